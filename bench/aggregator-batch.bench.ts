import { AggregatesStore } from '../lambda/aggregator/aggregates-store';
import { processBatch } from '../lambda/aggregator/batch-processor';
import { decodeBatch, preAggregate, type InputRecord } from '../lambda/aggregator/core';
import { DeadLetterStore } from '../lambda/aggregator/dead-letter-store';
import {
  createAggregatesTable,
  createBucket,
  startDynalite,
  startS3rver,
  testDynamoDb,
  testS3,
  uniqueName,
} from '../test/support/emulators';
import { clickstreamBatch } from './aggregator-core.bench';
import { type BatchDurationPoint, type BenchResult, median } from './harness';

export const BATCH_SIZES = [1, 10, 100, 500] as const;

/** A fresh batch for each round: the same data, sequence numbers past every earlier round's, so nothing is a replay. */
function roundBatch(size: number, round: number): InputRecord[] {
  return clickstreamBatch(size, 100 + round).map((r) => ({
    ...r,
    sequenceNumber: (BigInt(r.sequenceNumber) + BigInt(round) * 1_000_000n).toString(),
  }));
}

/**
 * The aggregator's per-batch work (`processBatch`, the handler's body without Powertools' EMF
 * output) timed against dynalite and s3rver on this machine, for batches of 1, 10, 100 and 500
 * records of the clickstream data (200 keys, 3 types, 5 minutes of event time, so most records
 * are an item of their own: the expensive case). The cost model interpolates between the points,
 * by aggregate items per batch, to bill Lambda duration.
 *
 * These are LOCAL measurements. dynalite does about 1,000 updates/s here, slower per write than
 * DynamoDB at 32 writes in flight, while this machine's core is faster than the CPU share Lambda
 * gives 512 MB to 1 GB; the writes dominate, so the figure is taken as a conservative estimate.
 */
export async function measureBatchDurations(rounds = 7): Promise<BatchDurationPoint[]> {
  const [dynamo, s3] = await Promise.all([startDynalite(), startS3rver()]);
  try {
    const table = uniqueName('bench-batch');
    const bucket = uniqueName('bench-batch-dead-letter');
    await createAggregatesTable(testDynamoDb(dynamo.endpoint), table);
    await createBucket(testS3(s3.endpoint), bucket);
    const store = new AggregatesStore(testDynamoDb(dynamo.endpoint), table, { windowSeconds: 60, ttlDays: 7 });
    const deadLetters = new DeadLetterStore(testS3(s3.endpoint), bucket);

    let round = 0;
    const once = async (size: number): Promise<{ ms: number; items: number }> => {
      const batch = roundBatch(size, round++);
      const started = performance.now();
      const { stats } = await processBatch(batch, store, deadLetters, { windowSeconds: 60 });
      const ms = performance.now() - started;
      if (stats.failedItems > 0) throw new Error(`aggregator batch benchmark: ${stats.failedItems} writes failed`);
      return { ms, items: stats.aggregateItems };
    };

    // Warm-up: connections, JIT, and the table's first items.
    for (let i = 0; i < 3; i++) await once(BATCH_SIZES[BATCH_SIZES.length - 1]);

    const points: BatchDurationPoint[] = [];
    for (const size of BATCH_SIZES) {
      const runs: { ms: number; items: number }[] = [];
      for (let i = 0; i < rounds; i++) runs.push(await once(size));
      const cpu = clickstreamBatch(size, 5);
      const coreRuns: number[] = [];
      let sink = 0;
      for (let i = 0; i < 50; i++) {
        const started = performance.now();
        sink += preAggregate(decodeBatch(cpu, 60).events).length;
        coreRuns.push(performance.now() - started);
      }
      if (sink === 0) throw new Error('benchmark optimized away');
      points.push({
        records: size,
        items: median(runs.map((r) => r.items)),
        ms: median(runs.map((r) => r.ms)),
        coreMs: median(coreRuns.slice(10)),
      });
    }
    return points;
  } finally {
    await Promise.all([dynamo.close(), s3.close()]);
  }
}

export function batchDurationResults(points: readonly BatchDurationPoint[]): BenchResult[] {
  return points.flatMap((p) => [
    {
      id: `aggregator-batch.${p.records}.ms`,
      name: `LOCAL: aggregator batch of ${p.records} record${p.records === 1 ? '' : 's'} (${p.items} aggregate item${p.items === 1 ? '' : 's'}), processBatch against dynalite`,
      value: p.ms,
      unit: 'ms/batch',
    },
    {
      id: `aggregator-batch.${p.records}.core-ms`,
      name: `LOCAL: the same batch's CPU part alone (decode, validate, window, pre-aggregate)`,
      value: p.coreMs,
      unit: 'ms/batch',
    },
  ]);
}
