import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { InputRecord } from '../lambda/aggregator/core';
import type { SequenceRange } from '../lambda/shared/failure-registry';

export type RangeRead =
  { readonly ok: true; readonly records: InputRecord[] } | { readonly ok: false; readonly reason: string };

/** Errors that mean the stream no longer holds the range: the shard, or its records, are gone. */
const GONE = new Set(['ResourceNotFoundException', 'InvalidArgumentException']);

/**
 * A shard's records from `first` to `last`, read back with GetShardIterator AT_SEQUENCE_NUMBER and
 * GetRecords. A shard closed by a split or merge still serves its records until the retention
 * period ends, so its ranges read the same. A range whose first record is no longer served
 * (trimmed past the retention period, or the shard deleted) is expired.
 */
export async function readRange(
  kinesis: Pick<KinesisClient, 'send'>,
  streamName: string,
  shardId: string,
  range: SequenceRange,
  pageLimit = 10_000,
): Promise<RangeRead> {
  let iterator: string | undefined;
  try {
    iterator = (
      await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: streamName,
          ShardId: shardId,
          ShardIteratorType: 'AT_SEQUENCE_NUMBER',
          StartingSequenceNumber: range.first.toString(),
        }),
      )
    ).ShardIterator;
  } catch (error) {
    const name = (error as { name?: string }).name ?? '';
    if (GONE.has(name))
      return { ok: false, reason: `the stream no longer serves it (${name}: ${(error as Error).message})` };
    throw error;
  }
  const records: InputRecord[] = [];
  let emptyPages = 0;
  while (iterator !== undefined) {
    const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: pageLimit }));
    const got = page.Records ?? [];
    for (const r of got) {
      const seq = BigInt(r.SequenceNumber!);
      if (records.length === 0 && seq !== range.first) {
        return { ok: false, reason: `its first record is no longer in the stream (the oldest kept is ${seq})` };
      }
      if (seq > range.last) return { ok: true, records };
      records.push({
        shardId,
        sequenceNumber: r.SequenceNumber!,
        partitionKey: r.PartitionKey!,
        data: Buffer.from(r.Data!).toString('base64'),
        approximateArrivalTimestamp: r.ApproximateArrivalTimestamp!.getTime() / 1000,
      });
      if (seq === range.last) return { ok: true, records };
    }
    // An open shard at its tip answers empty pages: the range's end is written before it was given
    // up, so a few empty pages in a row mean the rest is gone.
    emptyPages = got.length === 0 ? emptyPages + 1 : 0;
    if (emptyPages >= 5 && (page.MillisBehindLatest ?? 0) === 0) break;
    iterator = page.NextShardIterator;
  }
  if (records.length === 0) return { ok: false, reason: 'the stream returned none of its records' };
  return { ok: true, records };
}
