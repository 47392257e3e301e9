import { AggregatesStore } from '../lambda/aggregator/aggregates-store';
import { type BatchStats, processBatch } from '../lambda/aggregator/batch-processor';
import type { InputRecord } from '../lambda/aggregator/core';
import {
  createAggregatesTable,
  createBucket,
  startDynalite,
  startS3rver,
  testDynamoDb,
  testS3,
  uniqueName,
} from '../test/support/emulators';
import { DeadLetterStore } from '../lambda/aggregator/dead-letter-store';
import { clickstreamBatch } from './aggregator-core.bench';
import type { BenchResult } from './harness';

/**
 * DynamoDB write requests per aggregate item per batch, against dynalite: 20,000 records at 1,000
 * events/s delivered in 1,000-record batches (about what a 1 s batching window collects at that
 * rate), then delivered again whole, as a retry would.
 */
export async function benchAggregateWrites(): Promise<BenchResult[]> {
  const [dynamo, s3] = await Promise.all([startDynalite(), startS3rver()]);
  try {
    const table = uniqueName('bench');
    const bucket = uniqueName('bench-dead-letter');
    await createAggregatesTable(testDynamoDb(dynamo.endpoint), table);
    await createBucket(testS3(s3.endpoint), bucket);
    const store = new AggregatesStore(testDynamoDb(dynamo.endpoint), table, { windowSeconds: 60, ttlDays: 7 });
    const deadLetters = new DeadLetterStore(testS3(s3.endpoint), bucket);
    const records = clickstreamBatch(20_000, 11);

    const run = async (batches: InputRecord[][]): Promise<BatchStats[]> => {
      const stats: BatchStats[] = [];
      for (const b of batches) stats.push((await processBatch(b, store, deadLetters, { windowSeconds: 60 })).stats);
      return stats;
    };
    const chunks = (size: number): InputRecord[][] =>
      Array.from({ length: Math.ceil(records.length / size) }, (_, i) => records.slice(i * size, (i + 1) * size));
    const total = (stats: BatchStats[], f: keyof BatchStats): number => stats.reduce((t, s) => t + s[f], 0);

    const first = await run(chunks(1_000));
    const replay = await run(chunks(1_000));
    const writesPerItem = total(first, 'aggregateWrites') / total(first, 'aggregateItems');
    const replayPerItem = total(replay, 'aggregateWrites') / total(replay, 'aggregateItems');
    return [
      {
        name: 'DynamoDB writes per aggregate item per batch (20,000 records, 1,000-record batches)',
        value: writesPerItem,
        unit: 'writes/item',
        target: '<= 1.2',
        pass: writesPerItem <= 1.2,
      },
      {
        name: 'DynamoDB writes per record, same run',
        value: total(first, 'aggregateWrites') / records.length,
        unit: 'writes/record',
      },
      {
        name: 'the same batches redelivered (all already applied): requests per item, GetItem re-reads aside',
        value: replayPerItem,
        unit: 'writes/item',
      },
    ];
  } finally {
    await Promise.all([dynamo.close(), s3.close()]);
  }
}
