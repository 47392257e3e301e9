import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { RecordAggregator } from 'aws-kinesis-agg';

export interface StreamRecord {
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly data: Buffer;
  readonly approximateArrivalTimestamp: number;
}

/** Sequence numbers shaped like Kinesis's: 56 digits, increasing. */
export function sequenceNumbers(
  count: number,
  start = 49_650_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000n,
): string[] {
  return Array.from({ length: count }, (_, i) => (start + BigInt(i) * 1_000_003n).toString());
}

/** Records as the stream would hold them, from raw payloads. */
export function streamRecords(
  payloads: readonly { partitionKey: string; data: Buffer }[],
  arrival = 1_795_427_040,
): StreamRecord[] {
  const seqs = sequenceNumbers(payloads.length);
  return payloads.map((p, i) => ({ ...p, sequenceNumber: seqs[i], approximateArrivalTimestamp: arrival }));
}

/** KPL-aggregated payloads made by aws-kinesis-agg, the awslabs encoder, not by our code. */
export function kplAggregate(
  users: readonly { partitionKey: string; data: Buffer }[],
  perRecord: number,
): { partitionKey: string; data: Buffer }[] {
  const out: { partitionKey: string; data: Buffer }[] = [];
  for (let i = 0; i < users.length; i += perRecord) {
    const aggregator = new RecordAggregator();
    for (const u of users.slice(i, i + perRecord))
      aggregator.addUserRecord({ partitionKey: u.partitionKey, data: u.data });
    const encoded = aggregator.build()!;
    out.push({ partitionKey: encoded.partitionKey, data: encoded.data });
  }
  return out;
}

export const TEST_STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/events';

/** A Lambda event with the exact shape the Kinesis event source mapping delivers. */
export function kinesisEvent(records: readonly StreamRecord[], shardId = 'shardId-000000000000'): KinesisStreamEvent {
  return {
    Records: records.map((r): KinesisStreamRecord => ({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: r.partitionKey,
        sequenceNumber: r.sequenceNumber,
        data: r.data.toString('base64'),
        approximateArrivalTimestamp: r.approximateArrivalTimestamp,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${shardId}:${r.sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/aggregator',
      awsRegion: 'us-east-1',
      eventSourceARN: TEST_STREAM_ARN,
    })),
  };
}
