import { GetShardIteratorCommand, type KinesisClient } from '@aws-sdk/client-kinesis';

/** An iterator after the checkpoint, or from the oldest record kept when there is none. */
export async function shardIterator(
  kinesis: KinesisClient,
  streamName: string,
  shardId: string,
  after: string | undefined,
): Promise<string | undefined> {
  const { ShardIterator } = await kinesis.send(
    new GetShardIteratorCommand({
      StreamName: streamName,
      ShardId: shardId,
      ...(after === undefined
        ? { ShardIteratorType: 'TRIM_HORIZON' }
        : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: after }),
    }),
  );
  return ShardIterator;
}
