import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { GetRecordsCommand, type KinesisClient, ListShardsCommand, type _Record } from '@aws-sdk/client-kinesis';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { deaggregate } from '../lambda/shared/kpl-deaggregate';
import { Checkpoints } from './checkpoints';
import { shardIterator } from './shard-iterator';

export interface ArchiveOptions {
  readonly kinesis: KinesisClient;
  readonly s3: S3Client;
  readonly streamName: string;
  readonly bucket: string;
  /** @default 'events/' */
  readonly prefix?: string;
  /**
   * Buffer hints, as Firehose's: whichever is reached first flushes an object.
   * @default 1 MiB and 10 s locally (the stack's delivery defaults to 64 MiB and 60 s)
   */
  readonly bufferBytes?: number;
  readonly bufferSeconds?: number;
  readonly onError?: (error: unknown) => void;
  /** Where each shard was archived up to; a restart resumes after it. @default in memory */
  readonly checkpoints?: Checkpoints;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/**
 * Firehose's object key: the Hive-style time prefix of the first record's arrival (UTC), then
 * `<delivery stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>.gz`.
 */
export function archiveKey(prefix: string, deliveryStream: string, arrival: Date): string {
  const y = arrival.getUTCFullYear();
  const mo = pad(arrival.getUTCMonth() + 1);
  const d = pad(arrival.getUTCDate());
  const h = pad(arrival.getUTCHours());
  const stamp = `${y}-${mo}-${d}-${h}-${pad(arrival.getUTCMinutes())}-${pad(arrival.getUTCSeconds())}`;
  return `${prefix}year=${y}/month=${mo}/day=${d}/hour=${h}/${deliveryStream}-1-${stamp}-${randomUUID()}.gz`;
}

/** The user records of a Kinesis record, KPL-aggregated or not, as Firehose de-aggregates them. */
function userRecords(record: _Record): Buffer[] {
  const data = Buffer.from(record.Data!);
  const users = deaggregate(data, record.PartitionKey!);
  // A damaged aggregate is archived whole, as one line.
  return typeof users === 'string' ? [data] : users.map((u) => u.data);
}

/**
 * Local stand-in for the archive delivery stream: its own reader of every shard, buffering by size
 * and time, writing gzip NDJSON (one user record a line, poison included, as Firehose archives
 * whatever the stream holds) under Firehose's time-prefixed layout.
 */
export class ArchiveWriter {
  private stopped = false;
  private readonly running: Promise<void>[] = [];
  private lines: Buffer[] = [];
  private bytes = 0;
  private firstArrival: Date | undefined;
  /** The last record buffered, per shard: checkpointed once its object is written. */
  private buffered: Record<string, string> = {};
  private readonly checkpoints: Checkpoints;
  private openedAt = 0;
  private flushing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  readonly deliveryStream: string;

  constructor(private readonly options: ArchiveOptions) {
    this.deliveryStream = `${options.streamName}-archive`;
    this.checkpoints = options.checkpoints ?? new Checkpoints();
  }

  async start(): Promise<void> {
    const shards =
      (await this.options.kinesis.send(new ListShardsCommand({ StreamName: this.options.streamName }))).Shards ?? [];
    for (const shard of shards) this.running.push(this.readShard(shard.ShardId!));
    this.timer = setInterval(() => {
      if (this.lines.length > 0 && performance.now() - this.openedAt >= (this.options.bufferSeconds ?? 10) * 1000)
        void this.flush();
    }, 200);
  }

  /** Stops reading and writes what is buffered. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.all(this.running);
    await this.flush();
  }

  private async readShard(shardId: string): Promise<void> {
    const { kinesis, streamName } = this.options;
    let iterator = await shardIterator(kinesis, streamName, shardId, this.checkpoints.get(shardId));
    while (!this.stopped && iterator !== undefined) {
      try {
        const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
        iterator = page.NextShardIterator;
        for (const r of page.Records ?? []) this.add(shardId, r);
        if ((page.Records ?? []).length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
      } catch (error) {
        this.options.onError?.(error);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  private add(shardId: string, record: _Record): void {
    this.buffered[shardId] = record.SequenceNumber!;
    if (this.lines.length === 0) {
      this.firstArrival = record.ApproximateArrivalTimestamp;
      this.openedAt = performance.now();
    }
    for (const data of userRecords(record)) {
      const line = data[data.length - 1] === 0x0a ? data : Buffer.concat([data, Buffer.from('\n')]);
      this.lines.push(line);
      this.bytes += line.length;
    }
    if (this.bytes >= (this.options.bufferBytes ?? 1024 * 1024)) void this.flush();
  }

  private flush(): Promise<void> {
    const lines = this.lines;
    const arrival = this.firstArrival ?? new Date();
    const positions = this.buffered;
    this.buffered = {};
    this.lines = [];
    this.bytes = 0;
    this.firstArrival = undefined;
    if (lines.length === 0) return this.flushing;
    this.flushing = this.flushing.then(async () => {
      const command = new PutObjectCommand({
        Bucket: this.options.bucket,
        Key: archiveKey(this.options.prefix ?? 'events/', this.deliveryStream, arrival),
        Body: gzipSync(Buffer.concat(lines)),
        ContentType: 'application/x-ndjson',
      });
      // Retried as Firehose retries S3 delivery: an object is not dropped for one failed request.
      for (let attempt = 1; ; attempt++) {
        try {
          await this.options.s3.send(command);
          for (const [shardId, sequenceNumber] of Object.entries(positions))
            this.checkpoints.set(shardId, sequenceNumber);
          return;
        } catch (error) {
          this.options.onError?.(error);
          if (attempt >= 8) return;
          await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 100 * 2 ** attempt)));
        }
      }
    });
    return this.flushing;
  }
}
