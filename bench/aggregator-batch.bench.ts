import { AggregatesStore } from '../lambda/aggregator/aggregates-store';
import { processBatch } from '../lambda/aggregator/batch-processor';
import { DeadLetterStore } from '../lambda/aggregator/dead-letter-store';
import {
  createAggregatesTable,
  createBucket,
  startDynalite,
  startS3rver,
  testDynamoDb,
  testObjectWriter,
  testS3,
  uniqueName,
} from '../test/support/emulators';
import { coreWork } from './aggregator-core.bench';
import { clickstreamBatch, defaultPlan, ShardStream } from './events';
import type { BatchDurationPoint } from '../cost/measured-inputs';
import { type BenchResult, median } from './harness';
import { sdkItemClient } from '../lambda/shared/sdk-clients';

export const BATCH_SIZES = [1, 10, 100, 500, 1_000] as const;

/**
 * The aggregator's per-batch work (`processBatch`, the handler's body without Powertools' EMF
 * output) timed against dynalite and s3rver on this machine, with the default declarations
 * (aggregates.json), for batches of 1, 10, 100, 500 and 1,000 records of the load generator's
 * clickstream (1,000 users, 1,000 events/s: the batch sizes of a 1 s batching window from 1 to
 * 1,000 events/s per shard). Rounds continue one shard's stream, so nothing is a replay. The cost
 * model interpolates between the points, by stored items per batch, to bill Lambda duration.
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
    const store = new AggregatesStore(sdkItemClient(testDynamoDb(dynamo.endpoint)), table, { ttlDays: 7 });
    const deadLetters = new DeadLetterStore(testObjectWriter(s3.endpoint), bucket);
    const plan = defaultPlan();
    const stream = new ShardStream({ scenario: 'clickstream', seed: 100 });

    const once = async (size: number): Promise<{ ms: number; items: number }> => {
      const batch = stream.next(size);
      const started = performance.now();
      const { stats } = await processBatch(batch, store, deadLetters, { plan });
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
        sink += coreWork(cpu, plan);
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
      name: `LOCAL: aggregator batch of ${p.records} record${p.records === 1 ? '' : 's'} (${p.items} stored item${p.items === 1 ? '' : 's'}, default declarations), processBatch against dynalite`,
      value: p.ms,
      unit: 'ms/batch',
    },
    {
      id: `aggregator-batch.${p.records}.core-ms`,
      name: `LOCAL: the same batch's CPU part alone (decode, validate, window, group, fold measures)`,
      value: p.coreMs,
      unit: 'ms/batch',
    },
  ]);
}
