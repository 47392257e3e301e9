// A builtin taken as CommonJS, not an ES import, for the aggregator's cold start: see signed-request.ts.
const { isUtf8 } = process.getBuiltinModule('node:buffer');
/**
 * Event contract v1: one JSON object per Kinesis user record.
 * Shared by the aggregator, local mode, the load generator and the infrastructure.
 */
export interface PipelineEvent {
  readonly eventId: string;
  /** ISO-8601 with an offset, or epoch milliseconds. */
  readonly eventTime: string | number;
  readonly type: string;
  readonly key: string;
  /** Finite number, default 1. */
  readonly value?: number;
  readonly attributes?: Record<string, unknown>;
}

export const EVENT_LIMITS = {
  eventIdMaxLength: 128,
  keyMaxLength: 256,
  /** Larger user records are poison: they would crowd a 6 MB Lambda batch and an OpenSearch bulk request. */
  maxEventBytes: 256 * 1024,
  /**
   * |value| bound. With sums kept to SUM_DECIMALS places it holds every sum within
   * DynamoDB's 38 significant digits, so an aggregate write is never refused for its number.
   */
  maxAbsValue: 1e15,
  /** Smallest non-zero |value|: DynamoDB numbers stop at 1E-130. */
  minAbsNonZeroValue: 1e-100,
  /** Epoch-millisecond range whose ISO form has a four-digit year. */
  minEventTimeMs: 0,
  maxEventTimeMs: 253402300799999,
} as const;

export const TYPE_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)$/;

/** A valid event reduced to what the aggregates need. */
export interface ValidEvent {
  readonly type: string;
  readonly key: string;
  readonly value: number;
  readonly eventTimeMs: number;
  /** The event's `attributes`, when it has them: declared aggregates group by and measure their fields. */
  readonly attributes?: Readonly<Record<string, unknown>>;
}

/** Makes the caller's object of a valid event's fields, so a hot path makes one object per event. */
export type EventMaker<T> = (
  type: string,
  key: string,
  value: number,
  eventTimeMs: number,
  attributes: Readonly<Record<string, unknown>> | undefined,
) => T;

const validEvent: EventMaker<ValidEvent> = (type, key, value, eventTimeMs, attributes) =>
  attributes === undefined ? { type, key, value, eventTimeMs } : { type, key, value, eventTimeMs, attributes };

export type Validation =
  { readonly ok: true; readonly event: ValidEvent } | { readonly ok: false; readonly reason: string };

function invalid(reason: string): Validation {
  return { ok: false, reason };
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
}

/**
 * Strict ISO-8601 with a mandatory offset. Date.parse alone would accept 2026-02-30
 * by rolling it into March, so the calendar fields are checked here.
 * Returns epoch milliseconds, or undefined when the text is not such a timestamp.
 */
export function parseIsoTimestamp(text: string): number | undefined {
  const utc = parseCanonicalUtc(text);
  return utc === NOT_CANONICAL ? parseIsoByPattern(text) : utc;
}

const NOT_CANONICAL = -1;
const ZERO = 0x30;

/** The number of two ASCII digits at `at`, or NaN. */
function twoDigits(text: string, at: number): number {
  const a = text.charCodeAt(at) - ZERO;
  const b = text.charCodeAt(at + 1) - ZERO;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : NaN;
}

/**
 * The form producers send nearly always, `YYYY-MM-DDTHH:MM:SS(.fraction)Z` (what `toISOString`
 * writes), read character by character: the pattern's match and its eight substrings cost more
 * than the rest of the event's checks. The same checks and the same `Date.UTC` call as
 * parseIsoByPattern; NOT_CANONICAL sends any other text to it.
 */
function parseCanonicalUtc(text: string): number | undefined {
  const n = text.length;
  if (
    n < 20 ||
    n === 21 ||
    n > 30 ||
    text.charCodeAt(n - 1) !== 0x5a /* Z */ ||
    text.charCodeAt(4) !== 0x2d /* - */ ||
    text.charCodeAt(7) !== 0x2d ||
    text.charCodeAt(10) !== 0x54 /* T */ ||
    text.charCodeAt(13) !== 0x3a /* : */ ||
    text.charCodeAt(16) !== 0x3a ||
    (n > 20 && text.charCodeAt(19) !== 0x2e) /* . */
  ) {
    return NOT_CANONICAL;
  }
  const year = twoDigits(text, 0) * 100 + twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  let millis = 0;
  for (let at = 20, scale = 100; at < n - 1; at++, scale /= 10) {
    const digit = text.charCodeAt(at) - ZERO;
    if (!(digit >= 0 && digit <= 9)) return NOT_CANONICAL;
    if (at < 23) millis += digit * scale;
  }
  // NaN fails every comparison, so a non-digit falls through to the pattern too.
  if (!(year >= 0 && month >= 0 && day >= 0 && hour >= 0 && minute >= 0 && second >= 0)) return NOT_CANONICAL;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const date = year * 10_000 + month * 100 + day;
  if (date !== lastDate) {
    lastDate = date;
    lastDateMs = Date.UTC(year, month - 1, day);
  }
  // What Date.UTC(year, month - 1, day, hour, minute, second, millis) returns: whole milliseconds add exactly.
  return lastDateMs + hour * 3_600_000 + minute * 60_000 + second * 1000 + millis;
}

// The date of the last canonical time read, and its midnight: a batch's events nearly all share one
// date, and Date.UTC is a call into the runtime.
let lastDate = NaN;
let lastDateMs = 0;

function parseIsoByPattern(text: string): number | undefined {
  const m = ISO_8601.exec(text);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const millis = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3));
  let offsetMinutes = 0;
  const zone = m[8];
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const hh = Number(digits.slice(0, 2));
    const mm = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (hh > 23 || mm > 59) return undefined;
    offsetMinutes = sign * (hh * 60 + mm);
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
}

// A stream carries few distinct types, so their check is remembered (bounded, for hostile input).
const validTypes = new Set<string>();

function isValidType(type: string): boolean {
  if (validTypes.has(type)) return true;
  if (!TYPE_PATTERN.test(type)) return false;
  if (validTypes.size < 10_000) validTypes.add(type);
  return true;
}

/** C0 and C1 control characters, DEL included: a loop, cheaper on every event than a regular expression. */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks a parsed JSON value against the event contract. The reason names the field,
 * because it is stored with the poison record for whoever has to fix the producer.
 */
export function validateEvent(input: unknown): Validation {
  const event = checkEvent(input, validEvent);
  return typeof event === 'string' ? invalid(event) : { ok: true, event };
}

/** validateEvent's checks: the event made by `make`, or the reason it is not one. */
function checkEvent<T>(input: unknown, make: EventMaker<T>): T | string {
  if (!isPlainObject(input)) return 'event: must be a JSON object';
  const { eventId, eventTime, type, key, value, attributes } = input;
  if (typeof eventId !== 'string' || eventId.length === 0 || eventId.length > EVENT_LIMITS.eventIdMaxLength) {
    return `eventId: required string of 1..${EVENT_LIMITS.eventIdMaxLength} characters`;
  }
  if (typeof type !== 'string' || !isValidType(type)) {
    return `type: required string matching ${TYPE_PATTERN.source}`;
  }
  if (
    typeof key !== 'string' ||
    key.length === 0 ||
    key.length > EVENT_LIMITS.keyMaxLength ||
    hasControlCharacter(key)
  ) {
    return `key: required string of 1..${EVENT_LIMITS.keyMaxLength} characters without control characters`;
  }
  let eventTimeMs: number | undefined;
  if (typeof eventTime === 'number') {
    eventTimeMs = Number.isInteger(eventTime) ? eventTime : undefined;
  } else if (typeof eventTime === 'string') {
    eventTimeMs = parseIsoTimestamp(eventTime);
  }
  if (
    eventTimeMs === undefined ||
    eventTimeMs < EVENT_LIMITS.minEventTimeMs ||
    eventTimeMs > EVENT_LIMITS.maxEventTimeMs
  ) {
    return 'eventTime: required ISO-8601 timestamp with offset, or integer epoch milliseconds, years 1970..9999';
  }
  let numeric = 1;
  if (value !== undefined) {
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      Math.abs(value) > EVENT_LIMITS.maxAbsValue ||
      (value !== 0 && Math.abs(value) < EVENT_LIMITS.minAbsNonZeroValue)
    ) {
      return `value: optional finite number, 0 or ${EVENT_LIMITS.minAbsNonZeroValue} <= |value| <= ${EVENT_LIMITS.maxAbsValue}`;
    }
    numeric = value;
  }
  if (attributes !== undefined && !isPlainObject(attributes)) {
    return 'attributes: optional JSON object';
  }
  return make(type, key, numeric, eventTimeMs, attributes);
}

export type Decoded =
  | { readonly ok: true; readonly event: ValidEvent; readonly parsed: Record<string, unknown> }
  | { readonly ok: false; readonly reason: string };

/**
 * One user record's bytes against the contract: size, UTF-8, JSON, then the fields. The reason of a
 * refusal names what is wrong, for whoever has to fix the producer.
 */
export function decodeEvent(bytes: Buffer): Decoded {
  const parsed = parseRecord(bytes);
  if (parsed instanceof Refusal) return { ok: false, reason: parsed.reason };
  const event = checkEvent(parsed, validEvent);
  return typeof event === 'string'
    ? { ok: false, reason: event }
    : { ok: true, event, parsed: parsed as Record<string, unknown> };
}

/**
 * decodeEvent without the wrapping objects, for the aggregator's hot path: the event as `make` makes
 * it, or the reason it is not one.
 */
export function readEvent<T>(bytes: Buffer, make: EventMaker<T>): T | string {
  const parsed = parseRecord(bytes);
  return parsed instanceof Refusal ? parsed.reason : checkEvent(parsed, make);
}

// Base64 longer than this decodes to more than the limit, whitespace aside: no need to decode it twice.
const MAX_EVENT_BASE64_CHARS = Math.ceil(EVENT_LIMITS.maxEventBytes / 3) * 4;

/**
 * The text of a base64 record when its bytes are ASCII within the size limit, else undefined. Such
 * bytes are valid UTF-8 and their own text, so readParsedEvent(parseEventText(text)) answers as
 * readEvent(bytes) does, without a Buffer per record: atob makes the string at once. It throws on
 * anything but plain base64, which the caller then decodes as before, so Buffer.from's leniency is
 * kept.
 */
export function asciiRecordText(base64: string): string | undefined {
  if (base64.length > MAX_EVENT_BASE64_CHARS) return undefined;
  let text: string;
  try {
    text = atob(base64);
  } catch {
    return undefined;
  }
  // atob's string has one character per byte; UTF-8 takes two bytes for each above U+007F.
  return text.length <= EVENT_LIMITS.maxEventBytes && Buffer.byteLength(text, 'utf8') === text.length
    ? text
    : undefined;
}

/**
 * readEvent of a record whose text asciiRecordText gave, first half: what JSON.parse makes of it, or
 * why it is not JSON. Never undefined. The aggregator parses a whole batch before it checks any of
 * it (BatchDecoder in core.ts says why).
 */
export function parseEventText(text: string): unknown {
  return parseText(text);
}

/** Second half: the event in what parseEventText gave, as `make` makes it, or why there is none. */
export function readParsedEvent<T>(parsed: unknown, make: EventMaker<T>): T | string {
  return parsed instanceof Refusal ? parsed.reason : checkEvent(parsed, make);
}

/** readParsedEvent as validateEvent answers: for backfill, whose lines are text already. */
export function validateParsedEvent(parsed: unknown): Validation {
  return parsed instanceof Refusal ? invalid(parsed.reason) : validateEvent(parsed);
}

/** Why a record is not JSON at all; no value JSON.parse returns is an instance. */
class Refusal {
  constructor(readonly reason: string) {}
}

function parseRecord(bytes: Buffer): unknown {
  if (bytes.length > EVENT_LIMITS.maxEventBytes) {
    return new Refusal(`record: ${bytes.length} bytes, over the ${EVENT_LIMITS.maxEventBytes}-byte limit`);
  }
  const text = bytes.toString('utf8');
  // Decoding turns invalid UTF-8 into U+FFFD; only then is the full check worth its pass over the bytes.
  if (text.includes('\uFFFD') && !isUtf8(bytes)) return new Refusal('record: not valid UTF-8');
  return parseText(text);
}

function parseText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return new Refusal('record: not JSON');
  }
}

/** Decimal places kept in `sum`; smaller fractions round away (count, min and max keep them). */
export const SUM_DECIMALS = 6;

/** Start of the UTC-aligned window holding the time, in epoch milliseconds. */
export function windowStartMs(eventTimeMs: number, windowSeconds: number): number {
  const width = windowSeconds * 1000;
  return Math.floor(eventTimeMs / width) * width;
}
