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

/** The first MAX_FIELD_CHARS characters, never half of a surrogate pair. */
function cut(text: string): string {
  const end = MAX_FIELD_CHARS;
  const last = text.charCodeAt(end - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? end - 1 : end);
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

function asGroup(raw: unknown): string | null {
  return asText(raw) ?? null;
}

/** The number, when it is one within the event contract's bounds on `value`. */
function asNumber(v: unknown): number | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
  const abs = Math.abs(v);
  if (abs > MAX_ABS_VALUE || (v !== 0 && abs < MIN_ABS_NON_ZERO_VALUE)) return undefined;
  return v;
}

// The readers below run per event and field. Each reads its field itself, and through a function
// it calls by name: one call per read, and property reads and calls that see one field's shapes,
// where a getter shared by all fields took two calls and saw them all.

/**
 * A group value: strings, numbers and booleans compared as strings; a missing attribute, or one that
 * is null, an object or an array, groups under null.
 */
export function groupReader(field: string): (e: EventFields) => string | null {
  if (field === 'type') return (e) => asGroup(e.type);
  if (field === 'key') return (e) => asGroup(e.key);
  if (field === 'value') return (e) => asGroup(e.value);
  const name = field.slice('attributes.'.length);
  return (e) => asGroup(e.attributes?.[name]);
}

/** A value for `distinct` and `topK`: as a group value, but an event without one does not count. */
export function stringReader(field: string): (e: EventFields) => string | undefined {
  if (field === 'type') return (e) => asText(e.type);
  if (field === 'key') return (e) => asText(e.key);
  if (field === 'value') return (e) => asText(e.value);
  const name = field.slice('attributes.'.length);
  return (e) => asText(e.attributes?.[name]);
}

/**
 * A number for `sum`, `min`, `max`, `avg` and `quantiles`. Anything else does not count, and neither
 * does a number outside the event contract's bounds on `value`, so no stored sum leaves DynamoDB's
 * number range.
 */
export function numberReader(field: string): (e: EventFields) => number | undefined {
  if (field === 'type') return (e) => asNumber(e.type);
  if (field === 'key') return (e) => asNumber(e.key);
  if (field === 'value') return (e) => asNumber(e.value);
  const name = field.slice('attributes.'.length);
  return (e) => asNumber(e.attributes?.[name]);
}
