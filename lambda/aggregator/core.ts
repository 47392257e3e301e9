import { createHash } from 'node:crypto';
import { deaggregateSync, type UserRecord } from 'aws-kinesis-agg';
import { SUM_DECIMALS, decodeEvent, windowStartMs } from '../shared/event-schema';

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
export interface DecodedEvent {
  /** Index of the enclosing Kinesis record in the batch: batch order is shard order. */
  readonly recordIndex: number;
  /** KPL sub-sequence number, 0 for a plain record. */
  readonly sub: number;
  readonly type: string;
  readonly key: string;
  readonly value: number;
  readonly windowStartMs: number;
}

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

const KPL_MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);
const KPL_CHECKSUM_BYTES = 16;

function isKplAggregated(bytes: Buffer): boolean {
  // Byte by byte: a subarray per record would cost a Buffer allocation on the hot path.
  return (
    bytes.length > KPL_MAGIC.length + KPL_CHECKSUM_BYTES &&
    bytes[0] === KPL_MAGIC[0] &&
    bytes[1] === KPL_MAGIC[1] &&
    bytes[2] === KPL_MAGIC[2] &&
    bytes[3] === KPL_MAGIC[3]
  );
}

function hasValidKplChecksum(bytes: Buffer): boolean {
  const body = bytes.subarray(KPL_MAGIC.length, bytes.length - KPL_CHECKSUM_BYTES);
  const digest = createHash('md5').update(body).digest();
  return digest.equals(bytes.subarray(bytes.length - KPL_CHECKSUM_BYTES));
}

/**
 * Splits a KPL-aggregated record into its user records with aws-kinesis-agg.
 * Returns undefined when the protobuf body is damaged; the caller then treats the
 * whole Kinesis record as one poison record, as the KCL does.
 */
function deaggregate(record: InputRecord): UserRecord[] | undefined {
  let failed = false;
  let result: UserRecord[] | undefined;
  deaggregateSync(
    {
      partitionKey: record.partitionKey,
      sequenceNumber: record.sequenceNumber,
      data: record.data,
      approximateArrivalTimestamp: record.approximateArrivalTimestamp,
      kinesisSchemaVersion: '1.0',
    },
    false,
    (err, userRecords) => {
      if (err) failed = true;
      else result = userRecords;
    },
  );
  return failed ? undefined : result;
}

/**
 * Decodes a batch: base64, KPL de-aggregation, the event contract. Never throws on bad
 * data: anything that is not a valid event comes back as a poison record with its reason.
 */
export function decodeBatch(records: readonly InputRecord[], windowSeconds: number): DecodedBatch {
  const events: DecodedEvent[] = [];
  const poison: PoisonRecord[] = [];
  let userRecords = 0;

  const accept = (record: InputRecord, recordIndex: number, bytes: Buffer, sub: number | undefined): void => {
    userRecords++;
    const event = decodeEvent(bytes);
    if (event.ok) {
      const e = event.event;
      events.push({
        recordIndex,
        sub: sub ?? 0,
        type: e.type,
        key: e.key,
        value: e.value,
        windowStartMs: windowStartMs(e.eventTimeMs, windowSeconds),
      });
    } else {
      poison.push({
        recordIndex,
        shardId: record.shardId,
        sequenceNumber: record.sequenceNumber,
        ...(sub === undefined ? {} : { subSequenceNumber: sub }),
        partitionKey: record.partitionKey,
        approximateArrivalTimestamp: record.approximateArrivalTimestamp,
        reason: event.reason,
        data: bytes,
      });
    }
  };

  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    const bytes = Buffer.from(record.data, 'base64');
    if (isKplAggregated(bytes)) {
      const users = hasValidKplChecksum(bytes) ? deaggregate(record) : undefined;
      if (users === undefined) {
        userRecords++;
        poison.push({
          recordIndex: i,
          shardId: record.shardId,
          sequenceNumber: record.sequenceNumber,
          partitionKey: record.partitionKey,
          approximateArrivalTimestamp: record.approximateArrivalTimestamp,
          reason: 'record: KPL-aggregated record with a bad checksum or body',
          data: bytes,
        });
        continue;
      }
      for (const user of users) accept(record, i, Buffer.from(user.data, 'base64'), user.subSequenceNumber);
    } else {
      accept(record, i, bytes, undefined);
    }
  }
  return { events, poison, userRecords };
}

/**
 * Position of a user record in its shard, as a string whose byte order is the record order:
 * the sequence number zero-padded to the API's maximum length (beyond DynamoDB's 38-digit
 * numbers), then the KPL sub-sequence number.
 */
export function watermarkOf(sequenceNumber: string, sub: number): string {
  return `${sequenceNumber.padStart(WATERMARK_SEQUENCE_DIGITS, '0')}.${String(sub).padStart(WATERMARK_SUB_DIGITS, '0')}`;
}
/** The Kinesis API's SequenceNumber pattern is `0|([1-9]\d{0,128})`. */
export const WATERMARK_SEQUENCE_DIGITS = 129;
export const WATERMARK_SUB_DIGITS = 10;

/** The change one batch makes to one aggregate item. */
export interface AggregateDelta {
  readonly type: string;
  readonly key: string;
  readonly windowStartMs: number;
  readonly count: number;
  /** Rounded to SUM_DECIMALS places. */
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  /** Indices into the batch's events, in shard order. */
  readonly entries: readonly number[];
}

interface Accumulator {
  type: string;
  key: string;
  windowStartMs: number;
  entries: number[];
}

const SUM_SCALE = 10 ** SUM_DECIMALS;

/**
 * Sums with Neumaier compensation so that a batch of decimal values keeps its exact
 * total before rounding, rather than drifting with every addition.
 */
function summarize(
  events: readonly DecodedEvent[],
  entries: readonly number[],
): { count: number; sum: number; min: number; max: number } {
  let sum = 0;
  let compensation = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const index of entries) {
    const v = events[index].value;
    const t = sum + v;
    compensation += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
    sum = t;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const total = sum + compensation;
  return { count: entries.length, sum: Math.round(total * SUM_SCALE) / SUM_SCALE || 0, min, max };
}

/**
 * Pre-aggregates a batch by (type, key, window): one delta, and so one write, per
 * aggregate item rather than per record. Deltas come out in the order of their first event.
 */
export function preAggregate(events: readonly DecodedEvent[]): AggregateDelta[] {
  // Nested maps rather than one map on a composite string: no string is built per event.
  const byType = new Map<string, Map<string, Map<number, Accumulator>>>();
  const groups: Accumulator[] = [];
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    let byKey = byType.get(e.type);
    if (byKey === undefined) {
      byKey = new Map<string, Map<number, Accumulator>>();
      byType.set(e.type, byKey);
    }
    let byWindow = byKey.get(e.key);
    if (byWindow === undefined) {
      byWindow = new Map<number, Accumulator>();
      byKey.set(e.key, byWindow);
    }
    const group = byWindow.get(e.windowStartMs);
    if (group === undefined) {
      const created = { type: e.type, key: e.key, windowStartMs: e.windowStartMs, entries: [i] };
      byWindow.set(e.windowStartMs, created);
      groups.push(created);
    } else {
      group.entries.push(i);
    }
  }
  return groups.map((g) => toDelta(events, g.type, g.key, g.windowStartMs, g.entries));
}

function toDelta(
  events: readonly DecodedEvent[],
  type: string,
  key: string,
  windowStart: number,
  entries: readonly number[],
): AggregateDelta {
  return { type, key, windowStartMs: windowStart, ...summarize(events, entries), entries };
}

/** Watermarks of a delta's first and last user records. */
export function deltaBounds(
  delta: AggregateDelta,
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
 * `watermark`. Each item takes a shard's records as a prefix in shard order (a batch's
 * records for one item are written together, and Lambda redelivers from the lowest failure
 * onwards), so the records after the watermark are exactly the ones not yet applied.
 * Returns undefined when nothing is left: the whole delta was a replay.
 */
export function deltaAfter(
  delta: AggregateDelta,
  events: readonly DecodedEvent[],
  watermark: string,
  sequenceOf: (recordIndex: number) => string,
): AggregateDelta | undefined {
  const rest = delta.entries.filter((i) => watermarkOf(sequenceOf(events[i].recordIndex), events[i].sub) > watermark);
  if (rest.length === 0) return undefined;
  if (rest.length === delta.entries.length) return delta;
  return toDelta(events, delta.type, delta.key, delta.windowStartMs, rest);
}

/** The earliest record index among the given deltas' events and poison records. */
export function earliestRecordIndex(
  deltas: readonly AggregateDelta[],
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
