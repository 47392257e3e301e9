import { settleAll } from '../shared/concurrency';
import type { ApplyOutcome, DeltaSource } from './aggregates-store';
import type { AggregatePlan } from '../shared/aggregate-plan';
import type { SequenceRange } from '../shared/failure-registry';
import type { AttemptRegistration } from './failure-registry-store';
import {
  type InputRecord,
  type ItemDelta,
  type PoisonRecord,
  decodeBatch,
  earliestRecordIndex,
  preAggregate,
} from './core';

export interface AggregateWriter {
  apply(delta: ItemDelta, source: DeltaSource): Promise<ApplyOutcome>;
  /** Lists the batch's types for readers; a failure here never fails the batch. */
  recordTypes?(types: Iterable<string>): Promise<void>;
}

export interface DeadLetterWriter {
  put(record: PoisonRecord): Promise<void>;
}

/** The shard's failure registry (failure-registry-store.ts): what makes a failed batch redrivable. */
export interface AttemptRegistry {
  begin(shardId: string, range: SequenceRange): Promise<AttemptRegistration>;
  settle(shardId: string, registration: AttemptRegistration, own: SequenceRange, done: SequenceRange): Promise<void>;
}

export interface BatchProcessorOptions {
  readonly plan: AggregatePlan;
  /**
   * Registers each attempt before it writes, and what it applied after, so that a batch Lambda gives
   * up on can be redriven exactly once (`npm run redrive`). Without it a given-up batch is lost.
   */
  readonly registry?: AttemptRegistry;
  /**
   * Writes in flight at once, per batch.
   * @default 32
   */
  readonly concurrency?: number;
  /** Told of each write that failed after the SDK's own retries. */
  readonly onWriteError?: (error: unknown, what: string) => void;
}

export interface BatchStats {
  readonly records: number;
  readonly userRecords: number;
  readonly validEvents: number;
  readonly poisonRecords: number;
  readonly aggregateItems: number;
  readonly aggregateWrites: number;
  readonly aggregateReads: number;
  readonly conditionalReplays: number;
  /** Events too late for a window of an aggregate, once per window size. */
  readonly lateEvents: number;
  readonly skippedItems: number;
  readonly failedItems: number;
  readonly failedPoisonWrites: number;
  /** Requests to the failure registry: one as the attempt starts, one when it has applied records. */
  readonly registryRequests: number;
  /** Milliseconds from the oldest record's arrival in the stream to now. */
  readonly batchLagMs: number;
}

export interface BatchResult {
  /** Sequence numbers to report as batchItemFailures: Lambda retries from the lowest. */
  readonly failedSequenceNumbers: string[];
  readonly stats: BatchStats;
  /** Poison records of the batch counted by reason, for the log line a saved query groups by. */
  readonly poisonReasons: ReadonlyMap<string, number>;
  /** Late events per aggregate name. */
  readonly lateByAggregate: ReadonlyMap<string, number>;
}

/**
 * One batch, start to end: decode, park poison records, and write one delta per aggregate
 * item. A failure never stops the other writes; the batch reports the earliest record whose
 * effect is not stored, and the watermarks make the redelivered rest harmless.
 */
export async function processBatch(
  records: readonly InputRecord[],
  aggregates: AggregateWriter,
  deadLetters: DeadLetterWriter,
  options: BatchProcessorOptions,
  now: () => number = Date.now,
): Promise<BatchResult> {
  const concurrency = options.concurrency ?? 32;
  const byShard = new Map<string, InputRecord[]>();
  for (const r of records) {
    const group = byShard.get(r.shardId);
    if (group === undefined) byShard.set(r.shardId, [r]);
    else group.push(r);
  }

  const failedSequenceNumbers: string[] = [];
  const poisonReasons = new Map<string, number>();
  let userRecords = 0;
  let validEvents = 0;
  let poisonRecords = 0;
  let aggregateItems = 0;
  let aggregateWrites = 0;
  let aggregateReads = 0;
  let conditionalReplays = 0;
  let lateEvents = 0;
  const lateByAggregate = new Map<string, number>();
  let skippedItems = 0;
  let failedItems = 0;
  let failedPoisonWrites = 0;
  let registryRequests = 0;
  const registry = options.registry;

  for (const [shardId, shardRecords] of byShard) {
    const range = {
      first: BigInt(shardRecords[0].sequenceNumber),
      last: BigInt(shardRecords[shardRecords.length - 1].sequenceNumber),
    };
    let registration: AttemptRegistration | undefined;
    if (registry !== undefined) {
      registryRequests++;
      try {
        registration = await registry.begin(shardId, range);
      } catch (error) {
        // Unregistered, the attempt must write nothing: a range Lambda gives up on is then wholly unapplied.
        options.onWriteError?.(error, `failure registry ${shardId}`);
        failedSequenceNumbers.push(shardRecords[0].sequenceNumber);
        continue;
      }
    }
    const batch = decodeBatch(shardRecords);
    const { deltas, late } = preAggregate(batch.events, options.plan);
    for (const [name, n] of late) {
      lateEvents += n;
      lateByAggregate.set(name, (lateByAggregate.get(name) ?? 0) + n);
    }
    userRecords += batch.userRecords;
    validEvents += batch.events.length;
    poisonRecords += batch.poison.length;
    for (const p of batch.poison) poisonReasons.set(p.reason, (poisonReasons.get(p.reason) ?? 0) + 1);
    aggregateItems += deltas.length;

    const source: DeltaSource = {
      shardId,
      events: batch.events,
      sequenceOf: (i) => shardRecords[i].sequenceNumber,
      ...(registration?.gapEnd === undefined
        ? {}
        : { gapEnd: registration.gapEnd, attemptFirst: shardRecords[0].sequenceNumber }),
    };
    const [poisonResults, deltaResults] = await Promise.all([
      settleAll(batch.poison, concurrency, (p) => deadLetters.put(p)),
      settleAll(deltas, concurrency, (d) => aggregates.apply(d, source)),
    ]);

    const failedPoison = batch.poison.filter((p, i) => {
      const r = poisonResults[i];
      if (r.ok) return false;
      options.onWriteError?.(r.error, `dead-letter ${p.shardId}/${p.sequenceNumber}`);
      return true;
    });
    const failedDeltas = deltas.filter((d, i) => {
      const r = deltaResults[i];
      if (r.ok) {
        aggregateWrites += r.value.writes;
        aggregateReads += r.value.reads;
        conditionalReplays += r.value.replays;
        if (r.value.skipped) skippedItems++;
        return false;
      }
      options.onWriteError?.(
        r.error,
        `aggregate ${d.aggregate.name} ${d.aggregate.declaration.windows[d.window]} ${JSON.stringify(d.group)} @${new Date(d.windowStartMs).toISOString()}`,
      );
      return true;
    });
    failedItems += failedDeltas.length;
    failedPoisonWrites += failedPoison.length;

    if (aggregates.recordTypes !== undefined && batch.events.length > 0) {
      const types = new Set<string>();
      for (const e of batch.events) types.add(e.type);
      await aggregates.recordTypes(types).catch((error: unknown) => {
        options.onWriteError?.(error, 'types partition');
      });
    }

    const earliest = earliestRecordIndex(failedDeltas, batch.events, failedPoison);
    if (earliest !== undefined) failedSequenceNumbers.push(shardRecords[earliest].sequenceNumber);
    if (registry !== undefined && registration !== undefined && earliest !== 0) {
      // Every record before the earliest failure is applied to every item it touches.
      const last = earliest === undefined ? range.last : BigInt(shardRecords[earliest].sequenceNumber) - 1n;
      registryRequests++;
      // A failure leaves an entry of applied records: later attempts keep marks for it that nobody
      // reads. Reporting the batch failed instead could let Lambda give it up unregistered yet applied.
      await registry.settle(shardId, registration, range, { first: range.first, last }).catch((error: unknown) => {
        options.onWriteError?.(error, `failure registry ${shardId}`);
      });
    }
  }

  let oldestArrival = Infinity;
  for (const r of records) oldestArrival = Math.min(oldestArrival, r.approximateArrivalTimestamp);

  return {
    failedSequenceNumbers,
    poisonReasons,
    lateByAggregate,
    stats: {
      records: records.length,
      userRecords,
      validEvents,
      poisonRecords,
      aggregateItems,
      aggregateWrites,
      aggregateReads,
      conditionalReplays,
      lateEvents,
      skippedItems,
      failedItems,
      failedPoisonWrites,
      registryRequests,
      batchLagMs: records.length === 0 ? 0 : Math.max(0, now() - oldestArrival * 1000),
    },
  };
}
