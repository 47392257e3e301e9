import type { KinesisStreamBatchResponse } from 'aws-lambda';
import type { StreamRecord } from './kinesis-events';

export type Invoke = (batch: StreamRecord[]) => Promise<KinesisStreamBatchResponse>;

/**
 * Delivers a shard's records the way the Kinesis event source mapping does with
 * ReportBatchItemFailures: batches in order, and after a reported failure the next batch starts
 * at the lowest reported sequence number, redelivering everything after it.
 */
export async function deliver(
  records: readonly StreamRecord[],
  invoke: Invoke,
  batchSize: number | (() => number),
  maxInvocations = 10_000,
): Promise<{ invocations: number; redeliveries: number }> {
  let position = 0;
  let invocations = 0;
  let redeliveries = 0;
  while (position < records.length) {
    if (++invocations > maxInvocations) throw new Error(`no progress after ${maxInvocations} invocations`);
    const size = typeof batchSize === 'number' ? batchSize : batchSize();
    const batch = records.slice(position, position + size);
    const { batchItemFailures } = await invoke(batch);
    if (batchItemFailures.length === 0) {
      position += batch.length;
      continue;
    }
    redeliveries++;
    const lowest = batchItemFailures.map((f) => BigInt(f.itemIdentifier)).reduce((a, b) => (a < b ? a : b));
    const index = batch.findIndex((r) => BigInt(r.sequenceNumber) === lowest);
    if (index < 0) throw new Error(`reported ${lowest} is not in the batch`);
    position += index;
  }
  return { invocations, redeliveries };
}

/**
 * The random schedule both exactly-once suites run: the shard delivered in batches of 1..150, with
 * redelivery after reported failures, then replayed three times from random earlier points in
 * batches of 1..300, as Lambda retries and bisections might.
 */
export async function deliverWithReplays(
  records: readonly StreamRecord[],
  invoke: Invoke,
  rand: () => number,
): Promise<{ invocations: number; redeliveries: number }> {
  const run = await deliver(records, invoke, () => 1 + Math.floor(rand() * 150));
  for (let i = 0; i < 3; i++) {
    const from = Math.floor(rand() * records.length);
    await deliver(records.slice(from), invoke, () => 1 + Math.floor(rand() * 300));
  }
  return run;
}
