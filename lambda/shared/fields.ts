import { EVENT_LIMITS } from './event-schema';

// Read once: numberReader checks them per event, and an imported object is read through a getter
// where this module runs as CommonJS made by a transform (core.ts says more).
const MAX_ABS_VALUE = EVENT_LIMITS.maxAbsValue;
const MIN_ABS_NON_ZERO_VALUE = EVENT_LIMITS.minAbsNonZeroValue;

/** What declared aggregates read of an event. */
export interface EventFields {
  readonly type: string;
  readonly key: string;
  readonly value: number;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

/** Group values and measured strings longer than this are cut, so keys and sketches stay bounded. */
export const MAX_FIELD_CHARS = 256;

type Getter = (e: EventFields) => unknown;

/** The first MAX_FIELD_CHARS characters, never half of a surrogate pair. */
function cut(text: string): string {
  const end = MAX_FIELD_CHARS;
  const last = text.charCodeAt(end - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? end - 1 : end);
}

function getter(field: string): Getter {
  if (field === 'type') return (e) => e.type;
  if (field === 'key') return (e) => e.key;
  if (field === 'value') return (e) => e.value;
  const name = field.slice('attributes.'.length);
  return (e) => e.attributes?.[name];
}

function asText(raw: unknown): string | undefined {
  switch (typeof raw) {
    case 'string':
      return raw.length > MAX_FIELD_CHARS ? cut(raw) : raw;
    case 'number':
    case 'boolean':
      return String(raw);
    default:
      return undefined;
  }
}

/**
 * A group value: strings, numbers and booleans compared as strings; a missing attribute, or one that
 * is null, an object or an array, groups under null.
 */
export function groupReader(field: string): (e: EventFields) => string | null {
  const get = getter(field);
  return (e) => asText(get(e)) ?? null;
}

/** A value for `distinct` and `topK`: as a group value, but an event without one does not count. */
export function stringReader(field: string): (e: EventFields) => string | undefined {
  const get = getter(field);
  return (e) => asText(get(e));
}

/**
 * A number for `sum`, `min`, `max`, `avg` and `quantiles`. Anything else does not count, and neither
 * does a number outside the event contract's bounds on `value`, so no stored sum leaves DynamoDB's
 * number range.
 */
export function numberReader(field: string): (e: EventFields) => number | undefined {
  const get = getter(field);
  return (e) => {
    const v = get(e);
    if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
    const abs = Math.abs(v);
    if (abs > MAX_ABS_VALUE || (v !== 0 && abs < MIN_ABS_NON_ZERO_VALUE)) return undefined;
    return v;
  };
}
