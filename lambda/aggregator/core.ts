import { asciiRecordText, type EventMaker, parseEventText, readEvent, readParsedEvent } from '../shared/event-schema';
import { deaggregate, isKplAggregated, type UserRecord } from '../shared/kpl-deaggregate';
import {
  type AggregatePlan,
  type BatchInputs,
  type PlannedAggregate,
  emptyInputs,
  isLate,
  measureStates,
  readEventInputs,
  windowStart,
} from '../shared/aggregate-plan';
import type { EventFields } from '../shared/fields';

// Local bindings of the functions called per event. Where these modules run as CommonJS made by a
// transform (tsx for the benchmarks, vitest), each use of an imported name calls its export getter;
// the Lambda bundle calls them directly, and so does this module now, wherever it runs.
const readEventOf = readEvent;
const textOf = asciiRecordText;
const parseTextOf = parseEventText;
const readParsedOf = readParsedEvent;
const startOf = windowStart;
const tooLate = isLate;
const readInputsOf = readEventInputs;
const foldStates = measureStates;

/** The fields of a Lambda Kinesis record the aggregator uses. */
export interface InputRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  /** Base64, as Lambda delivers it. */
  readonly data: string;
  /** Epoch seconds, as Lambda delivers it. */
  readonly approximateArrivalTimestamp: number;
}

/** One valid user record, reduced to what the aggregates need. */
export interface DecodedEvent extends EventFields {
  /** Index of the enclosing Kinesis record in the batch: batch order is shard order. */
  readonly recordIndex: number;
  /** KPL sub-sequence number, 0 for a plain record. */
  readonly sub: number;
  readonly eventTimeMs: number;
  /** When the record reached the stream: lateness is judged by it, so a retry judges the same. */
  readonly arrivalMs: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The one object a valid event becomes: decodeBatch sets its position and arrival once it is made. */
const decodedEvent: EventMaker<Mutable<DecodedEvent>> = (type, key, value, eventTimeMs, attributes) => ({
  recordIndex: 0,
  sub: 0,
  type,
  key,
  value,
  eventTimeMs,
  arrivalMs: 0,
  attributes,
});

export interface PoisonRecord {
  readonly recordIndex: number;
  readonly shardId: string;
  readonly sequenceNumber: string;
  /** Present for user records that came out of a KPL-aggregated record. */
  readonly subSequenceNumber?: number;
  readonly partitionKey: string;
  readonly approximateArrivalTimestamp: number;
  readonly reason: string;
  /** The user record's bytes, whole. */
  readonly data: Buffer;
}

export interface DecodedBatch {
  readonly events: DecodedEvent[];
  readonly poison: PoisonRecord[];
  /** User records after KPL de-aggregation, valid or not. */
  readonly userRecords: number;
}

// Local bindings as above: these are called per Kinesis record.
const kplAggregated = isKplAggregated;
const deaggregateOf = deaggregate;

/**
 * Decodes a batch: base64, KPL de-aggregation, the event contract. Never throws on bad
 * data: anything that is not a valid event comes back as a poison record with its reason.
 */
export function decodeBatch(records: readonly InputRecord[]): DecodedBatch {
  const decoder = new BatchDecoder();
  decoder.decodeAll(records);
  return { events: decoder.events, poison: decoder.poison, userRecords: decoder.userRecords };
}

/**
 * decodeBatch's state. Its long loops are methods with nothing after the loop: on Node 24, Maglev
 * compiles a long loop on stack during its first run, before the code after the loop has run, gives
 * that code an unconditional exit for want of type feedback, and then left its code at that exit on
 * later batches, up to 55 times a benchmark run here (`--trace-deopt`: "Insufficient type feedback").
 *
 * It takes the batch one step at a time: the text of every record that is plain base64 of ASCII
 * (nearly all), then JSON.parse of every text, then the checks, which decode the other records
 * (KPL, non-ASCII, oversized) whole. Done record by record, the same steps made the whole core about
 * a fifth slower (docs/testing.md); the baseline's own two steps gain too when so split.
 */
class BatchDecoder {
  readonly events: DecodedEvent[] = [];
  readonly poison: PoisonRecord[] = [];
  userRecords = 0;

  decodeAll(records: readonly InputRecord[]): void {
    // One array for the texts, then what they parse to: a second array of the batch's length cost
    // up to 3 % of the core. parseAll runs once, so a JSON string parsed is never taken for a text.
    const parsed: unknown[] = [];
    this.textAll(records, parsed);
    this.parseAll(parsed);
    this.checkAll(records, parsed);
  }

  private textAll(records: readonly InputRecord[], texts: unknown[]): void {
    for (let i = 0; i < records.length; i++) texts.push(textOf(records[i].data));
  }

  /** undefined stays undefined, the mark of a record decoded from its bytes: parseEventText never gives it. */
  private parseAll(texts: unknown[]): void {
    for (let i = 0; i < texts.length; i++) {
      const text = texts[i] as string | undefined;
      if (text !== undefined) texts[i] = parseTextOf(text);
    }
  }

  /** In record order, so events and poison records keep it; the records with no text come in here whole. */
  private checkAll(records: readonly InputRecord[], parsed: readonly unknown[]): void {
    for (let i = 0; i < records.length; i++) this.decode(records[i], i, parsed[i]);
  }

  private decode(record: InputRecord, i: number, parsed: unknown): void {
    if (parsed !== undefined) {
      this.keep(record, i, readParsedOf(parsed, decodedEvent), undefined, undefined);
      return;
    }
    const bytes = Buffer.from(record.data, 'base64');
    if (!kplAggregated(bytes)) {
      this.keep(record, i, readEventOf(bytes, decodedEvent), undefined, bytes);
      return;
    }
    const users = deaggregateOf(bytes, record.partitionKey);
    // A damaged aggregate is one poison record, whole: the KCL passes it on undivided too.
    if (typeof users === 'string') {
      this.userRecords++;
      this.poison.push({
        recordIndex: i,
        shardId: record.shardId,
        sequenceNumber: record.sequenceNumber,
        partitionKey: record.partitionKey,
        approximateArrivalTimestamp: record.approximateArrivalTimestamp,
        reason: `record: KPL-aggregated record with a bad checksum or body: ${users}`,
        data: bytes,
      });
      return;
    }
    // A method of its own, not a loop in the loop over records: see BatchPass.addAll.
    this.keepAll(record, i, users);
  }

  private keepAll(record: InputRecord, recordIndex: number, users: readonly UserRecord[]): void {
    for (const user of users) {
      this.keep(record, recordIndex, readEventOf(user.data, decodedEvent), user.subSequenceNumber, user.data);
    }
  }

  /** `bytes` undefined: a plain record's, decoded again only if it is poison. */
  private keep(
    record: InputRecord,
    recordIndex: number,
    e: Mutable<DecodedEvent> | string,
    sub: number | undefined,
    bytes: Buffer | undefined,
  ): void {
    this.userRecords++;
    if (typeof e !== 'string') {
      e.recordIndex = recordIndex;
      e.sub = sub ?? 0;
      e.arrivalMs = record.approximateArrivalTimestamp * 1000;
      this.events.push(e);
    } else {
      this.poison.push({
        recordIndex,
        shardId: record.shardId,
        sequenceNumber: record.sequenceNumber,
        ...(sub === undefined ? {} : { subSequenceNumber: sub }),
        partitionKey: record.partitionKey,
        approximateArrivalTimestamp: record.approximateArrivalTimestamp,
        reason: e,
        data: bytes ?? Buffer.from(record.data, 'base64'),
      });
    }
  }
}

/** The change one batch makes to one stored item: one (aggregate, group, window size, window start). */
export interface ItemDelta {
  readonly aggregate: PlannedAggregate;
  /** Index into the aggregate's windows. */
  readonly window: number;
  readonly windowStartMs: number;
  readonly group: readonly (string | null)[];
  /** Indices into the batch's events, in shard order. */
  readonly entries: readonly number[];
  /** The measures' inputs of the batch's events, read by preAggregate; without them the fold reads the events. */
  readonly inputs?: BatchInputs;
}

export interface PreAggregated {
  readonly deltas: ItemDelta[];
  /** Events too late for at least one window size of an aggregate, per aggregate name. */
  readonly late: Map<string, number>;
}

interface Accumulator {
  readonly aggregate: PlannedAggregate;
  readonly window: number;
  readonly windowStartMs: number;
  readonly group: readonly (string | null)[];
  readonly entries: number[];
  readonly inputs: BatchInputs;
}

/**
 * One group of one aggregate in a batch. Per window size it keeps the item of the window start it
 * saw last: events come in event-time order, so the next event of the group nearly always falls in
 * the same window, and finding its item is one comparison rather than a lookup by start.
 */
class GroupSlot {
  /** Per window size, the item seen last. */
  readonly last: (Accumulator | undefined)[];
  /** Per window size, its items by window start, made at the group's second window start. */
  byStart: Map<number, Accumulator>[] | undefined;

  constructor(
    readonly group: readonly (string | null)[],
    windows: number,
  ) {
    this.last = new Array<Accumulator | undefined>(windows).fill(undefined);
  }

  /** The item of this window start, or undefined when the batch has none yet. */
  item(window: number, start: number): Accumulator | undefined {
    const last = this.last[window];
    if (last === undefined || last.windowStartMs === start) return last;
    if (this.byStart === undefined) {
      this.byStart = this.last.map((item) => new Map(item === undefined ? [] : [[item.windowStartMs, item]]));
    }
    const found = this.byStart[window].get(start);
    if (found !== undefined) this.last[window] = found;
    return found;
  }

  add(window: number, item: Accumulator): void {
    this.last[window] = item;
    this.byStart?.[window].set(item.windowStartMs, item);
  }
}

/**
 * A tree of Maps, one level per `groupBy` field, keyed by the field's value (null for none, a key no
 * string can equal), whose leaves are the groups: an event's group is found without building a
 * string or an array for it.
 */
type GroupTree = Map<string | null, GroupTree | GroupSlot>;

/**
 * The node below `node` of `e`'s values of the group fields `from` up to `to`, made when missing:
 * a subtree, or the group's slot when `to` is past the last field.
 */
function nodeOf(
  aggregate: PlannedAggregate,
  node: GroupTree,
  e: DecodedEvent,
  from: number,
  to: number,
): GroupTree | GroupSlot {
  const readers = aggregate.groupReaders;
  const last = readers.length - 1;
  for (let k = from; k < to && k < last; k++) {
    const value = readers[k](e);
    let next = node.get(value) as GroupTree | undefined;
    if (next === undefined) {
      next = new Map();
      node.set(value, next);
    }
    node = next;
  }
  if (to <= last) return node;
  const value = last < 0 ? null : readers[last](e);
  let slot = node.get(value) as GroupSlot | undefined;
  if (slot === undefined) {
    slot = new GroupSlot(aggregate.groupOf(e), aggregate.windowsMs.length);
    node.set(value, slot);
  }
  return slot;
}

/** How many group fields, from the first, are `type`: an event's type alone finds its node below them. */
function typeLevels(aggregate: PlannedAggregate): number {
  let n = 0;
  while (n < aggregate.groupBy.length && aggregate.groupBy[n] === 'type') n++;
  return n;
}

interface Taking {
  readonly aggregates: readonly number[];
  readonly columns: readonly number[];
  /** Per aggregate taken, its node below the group fields the type fixes: the slot when that is all. */
  readonly nodes: readonly (GroupTree | GroupSlot)[];
}

function takingOf(plan: AggregatePlan, trees: readonly GroupTree[], e: DecodedEvent): Taking {
  const aggregates: number[] = [];
  const nodes: (GroupTree | GroupSlot)[] = [];
  const columns = new Set<number>();
  plan.aggregates.forEach((aggregate, a) => {
    if (!aggregate.matches(e.type)) return;
    aggregates.push(a);
    nodes.push(nodeOf(aggregate, trees[a], e, 0, typeLevels(aggregate)));
    for (const c of aggregate.columns) columns.add(c);
  });
  return { aggregates, columns: [...columns], nodes };
}

/**
 * The one pass: for every event, every declaration that takes its type, its group, then each window
 * size. One delta per stored item, so one write per item per batch rather than one per record. Deltas
 * keep their events' indices; the measures are folded from them when the item is written.
 */
export function preAggregate(events: readonly DecodedEvent[], plan: AggregatePlan): PreAggregated {
  const pass = new BatchPass(plan, events.length);
  pass.addAll(events);
  return pass.finish();
}

/** The state of preAggregate's pass over one batch. */
class BatchPass {
  private readonly aggregates: readonly PlannedAggregate[];
  private readonly lateCounts: number[];
  private readonly deltas: Accumulator[] = [];
  private readonly trees: GroupTree[];
  private readonly levels: number[];
  private readonly inputs: BatchInputs;
  // The aggregates that take a type, the inputs they read and their nodes the type fixes (by_key's
  // keys of one type, by_type's one group), found once per type in the batch.
  private readonly takers = new Map<string, Taking>();

  constructor(
    private readonly plan: AggregatePlan,
    size: number,
  ) {
    this.aggregates = plan.aggregates;
    this.lateCounts = new Array<number>(plan.aggregates.length).fill(0);
    this.trees = plan.aggregates.map((): GroupTree => new Map());
    this.levels = plan.aggregates.map(typeLevels);
    this.inputs = emptyInputs(plan, size);
  }

  /**
   * One call per event, with the loops over declarations and window sizes inside it: V8 compiles
   * add as a whole, where a long loop holding them got compiled on stack from one of the inner
   * loops, and Node 24's Maglev then left that code at every exit of it, thousands of times a
   * batch. Nothing follows the loop, for the reason BatchDecoder gives.
   */
  addAll(events: readonly DecodedEvent[]): void {
    for (let i = 0; i < events.length; i++) this.add(events[i], i);
  }

  private add(e: DecodedEvent, i: number): void {
    const aggregates = this.aggregates;
    let taking = this.takers.get(e.type);
    if (taking === undefined) {
      taking = takingOf(this.plan, this.trees, e);
      this.takers.set(e.type, taking);
    }
    readInputsOf(this.plan, this.inputs, taking.columns, e, i);
    for (let t = 0; t < taking.aggregates.length; t++) {
      const a = taking.aggregates[t];
      const aggregate = aggregates[a];
      const widths = aggregate.windowsMs;
      let slot: GroupSlot | undefined;
      let wasLate = false;
      for (let w = 0; w < widths.length; w++) {
        const width = widths[w];
        const start = startOf(e.eventTimeMs, width);
        if (tooLate(start, width, e.arrivalMs, aggregate.latenessMs)) {
          wasLate = true;
          continue;
        }
        if (slot === undefined) {
          const node = taking.nodes[t];
          slot = node instanceof GroupSlot ? node : (nodeOf(aggregate, node, e, this.levels[a], Infinity) as GroupSlot);
        }
        const acc = slot.item(w, start);
        if (acc === undefined) {
          const created = {
            aggregate,
            window: w,
            windowStartMs: start,
            group: slot.group,
            entries: [i],
            inputs: this.inputs,
          };
          slot.add(w, created);
          this.deltas.push(created);
        } else {
          acc.entries.push(i);
        }
      }
      if (wasLate) this.lateCounts[a]++;
    }
  }

  finish(): PreAggregated {
    const late = new Map<string, number>();
    for (let a = 0; a < this.aggregates.length; a++) {
      if (this.lateCounts[a] > 0) late.set(this.aggregates[a].name, this.lateCounts[a]);
    }
    return { deltas: this.deltas, late };
  }
}

/**
 * The measures of a delta, folded from its events, into the stored states when given: a sketch
 * keeps the parameters it was made with, so a changed `k` or `relativeAccuracy` applies to new items.
 */
export function deltaStates(
  delta: ItemDelta,
  events: readonly DecodedEvent[],
  into?: ReadonlyMap<string, unknown>,
): Map<string, unknown> {
  return foldStates(delta.aggregate, events, delta.entries, into, delta.inputs);
}

/**
 * Position of a user record in its shard, as a short string whose byte order is the record order:
 * the sequence number in base 32 after its length (two base-32 digits), then the KPL sub-sequence
 * number in seven. Sequence numbers run to 129 decimal digits, beyond DynamoDB's 38-digit numbers,
 * and a padded decimal form would cost 140 bytes on every item for every shard that writes it.
 */
export function watermarkOf(sequenceNumber: string, sub: number): string {
  const digits = BigInt(sequenceNumber).toString(32);
  return `${digits.length.toString(32).padStart(2, '0')}${digits}${sub.toString(32).padStart(7, '0')}`;
}

/** Watermarks of a delta's first and last user records. */
export function deltaBounds(
  delta: ItemDelta,
  events: readonly DecodedEvent[],
  sequenceOf: (recordIndex: number) => string,
): { first: string; last: string } {
  const first = events[delta.entries[0]];
  const last = events[delta.entries[delta.entries.length - 1]];
  return {
    first: watermarkOf(sequenceOf(first.recordIndex), first.sub),
    last: watermarkOf(sequenceOf(last.recordIndex), last.sub),
  };
}

/**
 * What is left of a delta once the item is known to hold every record of this shard up to
 * `watermark`. Each item takes a shard's records as a prefix in shard order (a batch's records for
 * one item are written together, and Lambda redelivers from the lowest failure onwards), so the
 * records after the watermark are exactly the ones not yet applied. Returns undefined when nothing
 * is left: the whole delta was a replay.
 */
export function deltaAfter(
  delta: ItemDelta,
  events: readonly DecodedEvent[],
  watermark: string,
  sequenceOf: (recordIndex: number) => string,
): ItemDelta | undefined {
  const rest = delta.entries.filter((i) => watermarkOf(sequenceOf(events[i].recordIndex), events[i].sub) > watermark);
  if (rest.length === 0) return undefined;
  if (rest.length === delta.entries.length) return delta;
  return { ...delta, entries: rest };
}

/** The earliest record index among the given deltas' events and poison records. */
export function earliestRecordIndex(
  deltas: readonly ItemDelta[],
  events: readonly DecodedEvent[],
  poison: readonly PoisonRecord[],
): number | undefined {
  let earliest: number | undefined;
  for (const d of deltas) {
    const index = events[d.entries[0]].recordIndex;
    if (earliest === undefined || index < earliest) earliest = index;
  }
  for (const p of poison) {
    if (earliest === undefined || p.recordIndex < earliest) earliest = p.recordIndex;
  }
  return earliest;
}
