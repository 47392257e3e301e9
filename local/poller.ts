import { GetRecordsCommand, type KinesisClient, ListShardsCommand, type _Record } from '@aws-sdk/client-kinesis';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { Checkpoints } from './checkpoints';
import { shardIterator } from './shard-iterator';

/** The settings of the event source mapping this poller stands in for (lib/config.ts's aggregator section). */
export interface MappingSettings {
  readonly batchSize: number;
  readonly maxBatchingWindowMs: number;
  readonly retryAttempts: number;
  readonly maxRecordAgeSeconds: number;
  readonly bisectBatchOnError: boolean;
}

/** What Lambda sends to an on-failure destination for a Kinesis batch it gives up on. */
export interface FailedBatch {
  readonly version: '1.0';
  readonly timestamp: string;
  readonly requestContext: {
    readonly condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
    readonly approximateInvokeCount: number;
  };
  readonly responseContext: { readonly functionError?: string };
  readonly KinesisBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly approximateArrivalOfFirstRecord: string;
    readonly approximateArrivalOfLastRecord: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
}

export interface PollerOptions {
  readonly kinesis: KinesisClient;
  readonly streamName: string;
  readonly streamArn: string;
  readonly region: string;
  readonly settings: MappingSettings;
  readonly invoke: (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse | void>;
  readonly onFailedBatch: (failure: FailedBatch) => Promise<void>;
  /** Told, for every record whose batch succeeded, how long it took from put to done. */
  readonly onDone?: (lagMs: number) => void;
  readonly onError?: (error: unknown) => void;
  /**
   * How often an idle shard is read. Lambda reads each shard about once a second; locally faster.
   * @default 100
   */
  readonly idleMs?: number;
  /** Where each shard was left; a restart resumes after it. @default in memory */
  readonly checkpoints?: Checkpoints;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the real handler the way the Kinesis event source mapping does: one poller per shard, in
 * shard order, batches of up to `batchSize` gathered for at most `maxBatchingWindowMs`, the rest of
 * a batch redelivered from the lowest reported batch item failure, a batch bisected when the
 * function throws, and a batch given to the on-failure destination when its retries or its
 * records' age run out.
 */
export class EventSourcePoller {
  private stopped = false;
  private readonly running: Promise<void>[] = [];

  private readonly checkpoints: Checkpoints;

  constructor(private readonly options: PollerOptions) {
    this.checkpoints = options.checkpoints ?? new Checkpoints();
  }

  async start(): Promise<void> {
    const shards =
      (await this.options.kinesis.send(new ListShardsCommand({ StreamName: this.options.streamName }))).Shards ?? [];
    for (const shard of shards) this.running.push(this.pollShard(shard.ShardId!));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.running);
  }

  private async pollShard(shardId: string): Promise<void> {
    const { kinesis, streamName, settings } = this.options;
    let iterator = await shardIterator(kinesis, streamName, shardId, this.checkpoints.get(shardId));
    let buffer: _Record[] = [];
    let firstBufferedAt = 0;
    while (!this.stopped && iterator !== undefined) {
      try {
        const page = await kinesis.send(
          new GetRecordsCommand({ ShardIterator: iterator, Limit: Math.max(1, settings.batchSize - buffer.length) }),
        );
        iterator = page.NextShardIterator;
        const records = page.Records ?? [];
        if (records.length > 0 && buffer.length === 0) firstBufferedAt = performance.now();
        buffer.push(...records);
        const windowOver = buffer.length > 0 && performance.now() - firstBufferedAt >= settings.maxBatchingWindowMs;
        if (buffer.length >= settings.batchSize || windowOver) {
          const batch = buffer.slice(0, settings.batchSize);
          buffer = buffer.slice(settings.batchSize);
          firstBufferedAt = performance.now();
          await this.deliver(shardId, batch);
          // Done with, either way: applied, or handed to the on-failure destination.
          this.checkpoints.set(shardId, batch[batch.length - 1].SequenceNumber!);
        } else if (records.length === 0) {
          const idle = this.options.idleMs ?? 100;
          await sleep(
            buffer.length > 0
              ? Math.min(idle, Math.max(1, settings.maxBatchingWindowMs - (performance.now() - firstBufferedAt)))
              : idle,
          );
        }
      } catch (error) {
        this.options.onError?.(error);
        await sleep(500);
      }
    }
  }

  /** One batch to the end: success, or the on-failure destination. */
  private async deliver(shardId: string, batch: _Record[]): Promise<void> {
    const { settings } = this.options;
    const pending: { records: _Record[]; attempts: number }[] = [{ records: batch, attempts: 0 }];
    while (pending.length > 0) {
      const current = pending.shift()!;
      let records = current.records;
      let attempts = current.attempts;
      for (;;) {
        const oldest = records[0].ApproximateArrivalTimestamp!.getTime();
        if (Date.now() - oldest > settings.maxRecordAgeSeconds * 1000) {
          await this.fail(shardId, records, 'RecordAgeExceeded', attempts);
          break;
        }
        attempts++;
        let response: KinesisStreamBatchResponse | void;
        try {
          response = await this.options.invoke(this.event(shardId, records));
        } catch (error) {
          this.options.onError?.(error);
          if (settings.bisectBatchOnError && records.length > 1) {
            const half = Math.ceil(records.length / 2);
            // Both halves keep the attempts so far, as Lambda's bisection does.
            pending.unshift({ records: records.slice(0, half), attempts }, { records: records.slice(half), attempts });
            break;
          }
          if (attempts > settings.retryAttempts) {
            await this.fail(shardId, records, 'RetryAttemptsExhausted', attempts, String(error));
            break;
          }
          await sleep(Math.min(1000, 50 * 2 ** attempts));
          continue;
        }
        const failures = response?.batchItemFailures ?? [];
        if (failures.length === 0) {
          const now = Date.now();
          for (const r of records) this.options.onDone?.(now - r.ApproximateArrivalTimestamp!.getTime());
          break;
        }
        const lowest = failures.map((f) => BigInt(f.itemIdentifier)).reduce((a, b) => (a < b ? a : b));
        const from = records.findIndex((r) => BigInt(r.SequenceNumber!) === lowest);
        // An identifier that is not in the batch fails the whole batch, as Lambda treats it.
        const rest = from < 0 ? records : records.slice(from);
        const done = from < 0 ? [] : records.slice(0, from);
        const now = Date.now();
        for (const r of done) this.options.onDone?.(now - r.ApproximateArrivalTimestamp!.getTime());
        if (attempts > settings.retryAttempts) {
          await this.fail(shardId, rest, 'RetryAttemptsExhausted', attempts);
          break;
        }
        records = rest;
        await sleep(Math.min(1000, 50 * 2 ** attempts));
      }
    }
  }

  private async fail(
    shardId: string,
    records: _Record[],
    condition: FailedBatch['requestContext']['condition'],
    attempts: number,
    functionError?: string,
  ): Promise<void> {
    const first = records[0];
    const last = records[records.length - 1];
    await this.options.onFailedBatch({
      version: '1.0',
      timestamp: new Date().toISOString(),
      requestContext: { condition, approximateInvokeCount: attempts },
      responseContext: functionError === undefined ? {} : { functionError },
      KinesisBatchInfo: {
        shardId,
        startSequenceNumber: first.SequenceNumber!,
        endSequenceNumber: last.SequenceNumber!,
        approximateArrivalOfFirstRecord: first.ApproximateArrivalTimestamp!.toISOString(),
        approximateArrivalOfLastRecord: last.ApproximateArrivalTimestamp!.toISOString(),
        batchSize: records.length,
        streamArn: this.options.streamArn,
      },
    });
  }

  private event(shardId: string, records: readonly _Record[]): KinesisStreamEvent {
    return {
      Records: records.map((r): KinesisStreamRecord => ({
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: r.PartitionKey!,
          sequenceNumber: r.SequenceNumber!,
          data: Buffer.from(r.Data!).toString('base64'),
          approximateArrivalTimestamp: r.ApproximateArrivalTimestamp!.getTime() / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${shardId}:${r.SequenceNumber!}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::000000000000:role/local-aggregator',
        awsRegion: this.options.region,
        eventSourceARN: this.options.streamArn,
      })),
    };
  }
}
