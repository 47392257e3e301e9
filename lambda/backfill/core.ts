import { type PlannedAggregate, isLate, windowStart } from '../shared/aggregate-plan';
import {
  EVENT_LIMITS,
  type ValidEvent,
  type Validation,
  decodeEvent,
  parseEventText,
  validateEvent,
  validateParsedEvent,
} from '../shared/event-schema';

/**
 * Backfill's pure part: which windows a run recomputes, which archive objects it reads, how an
 * archived record becomes an event, and the fold of events into whole items. No AWS SDK here.
 *
 * An archive object's time is the one in its key: Firehose evaluates the time prefix at the
 * approximate arrival of the oldest record in the object, so every record in it arrived at or after
 * that time, and at most about one buffer interval later. Backfill judges each event's lateness by
 * its object's time: it counts every event the live path counted, and may also count one that
 * arrived up to one buffer interval after its window's allowed lateness ran out.
 */

const HOUR_MS = 3_600_000;

/** Where Firehose and local mode write the events (lib/constructs/archive-delivery.ts ARCHIVE_PREFIX). */
export const ARCHIVE_EVENTS_PREFIX = 'events/';

export interface BackfillSettings {
  /** allowedLateness of a declaration that sets none: the table's TTL, as in the aggregator. */
  readonly defaultLatenessSeconds: number;
  /** The archive delivery's buffer interval. */
  readonly bufferSeconds: number;
  /**
   * How long after arrival the aggregator may still apply a record (the event source mapping's
   * maximum record age): a window takes live writes until its lateness and this have passed.
   */
  readonly maxRecordAgeSeconds: number;
}

/** `--slice i/N`: the i-th of N contiguous blocks of the range, 1-based. */
export interface Slice {
  readonly index: number;
  readonly count: number;
}

export class BackfillRangeError extends Error {
  constructor(
    /** The command line's flag at fault; the state machine's input names the field without `--`. */
    readonly flag: string,
    readonly problem: string,
  ) {
    super(`${flag}: ${problem}`);
    this.name = 'BackfillRangeError';
  }
}

/** The windows of one size a run recomputes: starts from `first` to `last`, both included. */
export interface WindowSpan {
  /** Index into the declaration's windows. */
  readonly window: number;
  readonly widthMs: number;
  readonly first: number;
  readonly last: number;
}

export interface BackfillRange {
  readonly aggregate: PlannedAggregate;
  /** The slice's part of [from, to): windows whose start lies in it are recomputed whole. */
  readonly fromMs: number;
  readonly toMs: number;
  readonly spans: readonly WindowSpan[];
  /** Archive objects whose time lies in [objectsFromMs, objectsToMs] can hold the events counted. */
  readonly objectsFromMs: number;
  readonly objectsToMs: number;
  readonly latenessMs: number;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** The smallest span every window size of the declaration divides: slices are cut on it. */
export function sliceUnitMs(aggregate: PlannedAggregate): number {
  return aggregate.windowsMs.reduce((a, b) => (a / gcd(a, b)) * b);
}

/** Parses `i/N`, 1 <= i <= N. */
export function parseSlice(text: string): Slice | undefined {
  const m = /^([1-9]\d{0,5})\/([1-9]\d{0,5})$/.exec(text);
  if (m === null) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return index <= count ? { index, count } : undefined;
}

/**
 * The latest `to` whose windows are all closed at `nowMs`: a window closes to live writes once its
 * end, its allowed lateness and the maximum record age have passed, and its events are all in the
 * archive one buffer interval later.
 */
export function latestClosedTo(aggregate: PlannedAggregate, nowMs: number, settings: BackfillSettings): number {
  const cutoff = nowMs - aggregate.latenessMs - (settings.bufferSeconds + settings.maxRecordAgeSeconds) * 1000;
  return Math.min(...aggregate.windowsMs.map((w) => Math.floor(cutoff / w) * w));
}

/**
 * Plans one slice of a run over [from, to). A range reaching a window still open to live writes is
 * refused, never clipped: the caller asked for those windows, and a silent clip would leave them
 * to the live path without saying so.
 */
export function planRange(
  aggregate: PlannedAggregate,
  fromMs: number,
  toMs: number,
  nowMs: number,
  settings: BackfillSettings,
  slice: Slice = { index: 1, count: 1 },
): BackfillRange {
  if (!(toMs > fromMs)) throw new BackfillRangeError('--to', 'must be later than --from');
  const latest = latestClosedTo(aggregate, nowMs, settings);
  if (toMs > latest) {
    throw new BackfillRangeError(
      '--to',
      `windows of "${aggregate.name}" before ${new Date(toMs).toISOString()} are not all closed yet: a window takes ` +
        `live writes until its end plus allowedLateness (${aggregate.latenessMs / 1000} s), the maximum record age ` +
        `(${settings.maxRecordAgeSeconds} s) and the archive's buffer interval (${settings.bufferSeconds} s) have ` +
        `passed. The latest --to now is ${new Date(latest).toISOString()}`,
    );
  }
  const unit = sliceUnitMs(aggregate);
  const firstUnit = Math.floor(fromMs / unit);
  const units = Math.ceil(toMs / unit) - firstUnit;
  const sliceFrom = Math.max(fromMs, (firstUnit + Math.floor(((slice.index - 1) * units) / slice.count)) * unit);
  const sliceTo = Math.min(toMs, (firstUnit + Math.floor((slice.index * units) / slice.count)) * unit);
  const spans: WindowSpan[] = [];
  aggregate.windowsMs.forEach((width, window) => {
    const first = Math.ceil(sliceFrom / width) * width;
    const last = Math.ceil(sliceTo / width) * width - width;
    if (first <= last) spans.push({ window, widthMs: width, first, last });
  });
  const bufferMs = settings.bufferSeconds * 1000;
  const eventsFrom = Math.min(...spans.map((s) => s.first), sliceFrom);
  const eventsTo = Math.max(...spans.map((s) => s.last + s.widthMs), sliceTo);
  return {
    aggregate,
    fromMs: sliceFrom,
    toMs: sliceTo,
    spans,
    // An object opened up to one buffer interval before the first window can hold its first events.
    objectsFromMs: eventsFrom - bufferMs,
    // An object's time is at most its records' arrival, and the last counted arrival is the last
    // window's end plus the lateness; one buffer interval more in case the key's time is later.
    objectsToMs: eventsTo + aggregate.latenessMs + bufferMs,
    latenessMs: aggregate.latenessMs,
  };
}

/** The archive's hourly time prefixes (`year=/month=/day=/hour=/`) a range's objects lie under. */
export function hourPrefixes(range: BackfillRange, prefix: string): string[] {
  const out: string[] = [];
  for (let h = Math.floor(range.objectsFromMs / HOUR_MS) * HOUR_MS; h <= range.objectsToMs; h += HOUR_MS) {
    const iso = new Date(h).toISOString();
    out.push(
      `${prefix}year=${iso.slice(0, 4)}/month=${iso.slice(5, 7)}/day=${iso.slice(8, 10)}/hour=${iso.slice(11, 13)}/`,
    );
  }
  return out;
}

const KEY_TIME =
  /year=(\d{4})\/month=(\d{2})\/day=(\d{2})\/hour=(\d{2})\/[^/]*-(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-[^/]*$/;
const PREFIX_TIME = /year=(\d{4})\/month=(\d{2})\/day=(\d{2})\/hour=(\d{2})\/[^/]+$/;

/**
 * An archive object's time, from its key: the object name's time to the second
 * (`<stream>-<version>-yyyy-MM-dd-HH-mm-ss-<uuid>`) when it lies within the time prefix's hour,
 * else the start of that hour. Undefined for a key outside the archive's layout.
 */
export function objectTime(key: string): number | undefined {
  const full = KEY_TIME.exec(key);
  if (full !== null) {
    const hour = Date.UTC(+full[1], +full[2] - 1, +full[3], +full[4]);
    const named = Date.UTC(+full[5], +full[6] - 1, +full[7], +full[8], +full[9], +full[10]);
    return named >= hour && named < hour + HOUR_MS ? named : hour;
  }
  const prefix = PREFIX_TIME.exec(key);
  return prefix === null ? undefined : Date.UTC(+prefix[1], +prefix[2] - 1, +prefix[3], +prefix[4]);
}

export type ArchiveFormat = 'gzip' | 'parquet';

/** The format of an object, from its name, as Firehose names them (`.parquet`; `.gz` or none for GZIP). */
export function formatOfKey(key: string): ArchiveFormat {
  return key.endsWith('.parquet') ? 'parquet' : 'gzip';
}

export interface DecodeSink {
  event(event: ValidEvent): void;
  poison(reason: string): void;
}

/** An event to the sink, or the reason there is none. */
export function deliver(decoded: Validation, sink: DecodeSink): void {
  if (decoded.ok) sink.event(decoded.event);
  else sink.poison(decoded.reason);
}

/**
 * NDJSON as the archive holds it, one user record a line; each line is checked by the event
 * contract exactly as the live path checks a record. Empty lines are not records.
 */
export function decodeNdjson(bytes: Buffer, sink: DecodeSink): void {
  const text = bytes.toString('utf8');
  // Decoded once, not per line: valid UTF-8 throughout (no U+FFFD) lets each line be parsed from the text.
  if (!text.includes('\uFFFD')) {
    decodeNdjsonText(text, sink);
    return;
  }
  let start = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(10, start);
    if (end === -1) end = bytes.length;
    let last = end;
    if (last > start && bytes[last - 1] === 13) last--;
    if (last > start) {
      deliver(decodeEvent(bytes.subarray(start, last)), sink);
    }
    start = end + 1;
  }
}

/**
 * A run of lines is parsed whole, then checked and folded, as the aggregator takes its batch one step
 * at a time (lambda/aggregator/core.ts BatchDecoder). A run ends at this many lines or characters,
 * whichever comes first, so that an object of any size holds one run's parsed values at once: a
 * megabyte of events parses to about two, and of tiny values such as `[{},{}]` to about twenty.
 */
const LINES_AT_A_TIME = 1_000;
const CHARACTERS_AT_A_TIME = 1_000_000;

/** What parsedLine gives a line too long to parse here; parseEventText never returns undefined. */
const UNPARSED = undefined;

/** The event contract on each line, with decodeEvent's checks and reasons, from text known to be valid UTF-8. */
function decodeNdjsonText(text: string, sink: DecodeSink): void {
  const lines = new NdjsonLines(sink);
  lines.takeAll(text);
  lines.flush();
}

class NdjsonLines {
  private readonly lines: string[] = [];
  private readonly parsed: unknown[] = [];
  private characters = 0;

  constructor(private readonly sink: DecodeSink) {}

  /** A loop with nothing after it (docs/testing.md says why): the last run is flushed by the caller. */
  takeAll(text: string): void {
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end === -1) end = text.length;
      this.take(text, start, end);
      start = end + 1;
    }
  }

  private take(text: string, start: number, end: number): void {
    let last = end;
    if (last > start && text.charCodeAt(last - 1) === 13) last--;
    if (last <= start) return;
    this.lines.push(text.slice(start, last));
    this.characters += last - start;
    if (this.lines.length === LINES_AT_A_TIME || this.characters >= CHARACTERS_AT_A_TIME) this.flush();
  }

  flush(): void {
    this.parseLines();
    this.checkLines();
    this.lines.length = 0;
    this.parsed.length = 0;
    this.characters = 0;
  }

  private parseLines(): void {
    for (let i = 0; i < this.lines.length; i++) this.parsed.push(parsedLine(this.lines[i]));
  }

  private checkLines(): void {
    for (let i = 0; i < this.lines.length; i++) checkLine(this.lines[i], this.parsed[i], this.sink);
  }
}

function parsedLine(line: string): unknown {
  // A character is at most 3 UTF-8 bytes here (4 for a surrogate pair, two characters): a longer line
  // may be over the limit, which decodeEvent checks on the bytes before it parses.
  return line.length * 3 > EVENT_LIMITS.maxEventBytes ? UNPARSED : parseEventText(line);
}

function checkLine(line: string, parsed: unknown, sink: DecodeSink): void {
  deliver(parsed === UNPARSED ? decodeEvent(Buffer.from(line, 'utf8')) : validateParsedEvent(parsed), sink);
}
/** A row of the archive's Parquet table (lib/constructs/archive-table.ts: lower-case column names). */
export interface ArchiveRow {
  readonly eventid?: unknown;
  readonly eventtime?: unknown;
  readonly type?: unknown;
  readonly key?: unknown;
  readonly value?: unknown;
  readonly attributes?: unknown;
}

/**
 * A Parquet row back to the event it was converted from, then the event contract. The conversion
 * keeps `eventTime` as text, so all digits means epoch milliseconds; `attributes` is kept as its
 * JSON text. A null column is a field the record did not have.
 */
export function rowEvent(row: ArchiveRow): Validation {
  const event: Record<string, unknown> = {};
  if (row.eventid !== null && row.eventid !== undefined) event.eventId = row.eventid;
  const time = row.eventtime;
  if (time !== null && time !== undefined)
    event.eventTime = typeof time === 'string' && /^\d{1,16}$/.test(time) ? Number(time) : time;
  if (row.type !== null && row.type !== undefined) event.type = row.type;
  if (row.key !== null && row.key !== undefined) event.key = row.key;
  if (row.value !== null && row.value !== undefined) event.value = row.value;
  if (typeof row.attributes === 'string') {
    try {
      event.attributes = JSON.parse(row.attributes);
    } catch {
      return { ok: false, reason: 'attributes: not JSON' };
    }
  }
  return validateEvent(event);
}

/** One recomputed item: its aggregate, window and group, and the measures' states. */
export interface BackfilledItem {
  readonly aggregate: PlannedAggregate;
  readonly window: number;
  readonly windowStartMs: number;
  readonly group: readonly (string | null)[];
  readonly states: ReadonlyMap<string, unknown>;
}

/** Windows closed by one `close` call, per size: starts from `first` to `last`. */
export interface ClosedWindows {
  readonly spans: readonly WindowSpan[];
  readonly items: readonly BackfilledItem[];
}

export interface FoldCounts {
  /** Valid events of the declaration's types in the range's windows, counted at least once. */
  events: number;
  /** Events too late for at least one of the range's windows. */
  late: number;
}

interface Group {
  readonly group: (string | null)[];
  readonly states: unknown[];
}

/** Map key of a group: one field is its value after a tag (`s`, or a lone `n` for null), several their JSON. */
function groupId(group: readonly (string | null)[]): string {
  if (group.length === 1) return group[0] === null ? 'n' : `s${group[0]}`;
  return JSON.stringify(group);
}

/**
 * Folds events into the range's windows and hands windows back as they close: once objects whose
 * time is past a window's end plus its lateness are being read, no later object can add to it, so
 * memory holds only the windows still open to the archive, not the whole range.
 */
export class WindowFold {
  readonly counts: FoldCounts = { events: 0, late: 0 };
  /** Per span: window start, then group. */
  private readonly open: Map<number, Map<string, Group>>[];
  /** Per span: the next window start not yet handed back. */
  private readonly next: number[];

  constructor(private readonly range: BackfillRange) {
    this.open = range.spans.map(() => new Map<number, Map<string, Group>>());
    this.next = range.spans.map((s) => s.first);
  }

  /** One event, judged as having arrived at `arrivalMs`: its archive object's time. */
  add(event: ValidEvent, arrivalMs: number): void {
    const a = this.range.aggregate;
    if (!a.matches(event.type)) return;
    let group: (string | null)[] | undefined;
    let id = '';
    let counted = false;
    let late = false;
    for (let i = 0; i < this.range.spans.length; i++) {
      const span = this.range.spans[i];
      const start = windowStart(event.eventTimeMs, span.widthMs);
      if (start < span.first || start > span.last) continue;
      // A window already handed back is past its lateness for every object read from now on.
      if (start < this.next[i] || isLate(start, span.widthMs, arrivalMs, a.latenessMs)) {
        late = true;
        continue;
      }
      if (group === undefined) {
        group = a.groupOf(event);
        id = groupId(group);
      }
      let byGroup = this.open[i].get(start);
      if (byGroup === undefined) {
        byGroup = new Map();
        this.open[i].set(start, byGroup);
      }
      let g = byGroup.get(id);
      if (g === undefined) {
        g = { group, states: a.measures.map((m) => m.kind.create(m.declaration)) };
        byGroup.set(id, g);
      }
      for (let m = 0; m < a.measures.length; m++) {
        const measure = a.measures[m];
        const input = measure.input(event);
        if (input !== undefined)
          g.states[m] = measure.kind.add(g.states[m], measure.kind.input === 'none' ? undefined : input);
      }
      counted = true;
    }
    if (counted) this.counts.events++;
    if (late) this.counts.late++;
  }

  /** Hands back every window that no object of time `beforeMs` or later can add to. */
  close(beforeMs: number): ClosedWindows {
    const spans: WindowSpan[] = [];
    const items: BackfilledItem[] = [];
    this.range.spans.forEach((span, i) => {
      const first = this.next[i];
      while (this.next[i] <= span.last && this.next[i] + span.widthMs + this.range.latenessMs < beforeMs) {
        const start = this.next[i];
        for (const g of this.open[i].get(start)?.values() ?? []) items.push(this.item(span.window, start, g));
        this.open[i].delete(start);
        this.next[i] += span.widthMs;
      }
      if (this.next[i] > first) spans.push({ ...span, first, last: this.next[i] - span.widthMs });
    });
    return { spans, items };
  }

  /** Every window still held. */
  finish(): ClosedWindows {
    return this.close(Infinity);
  }

  /** Items held now: how much memory the open windows take. */
  heldItems(): number {
    let n = 0;
    for (const byStart of this.open) for (const groups of byStart.values()) n += groups.size;
    return n;
  }

  private item(window: number, windowStartMs: number, g: Group): BackfilledItem {
    const a = this.range.aggregate;
    return {
      aggregate: a,
      window,
      windowStartMs,
      group: g.group,
      states: new Map(a.measures.map((m, i) => [m.name, g.states[i]])),
    };
  }
}
