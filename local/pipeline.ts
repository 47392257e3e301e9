import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { PROFILES } from '../lib/config';
import { DEAD_LETTER_PREFIX } from '../lambda/shared/constants';
import { aggregatesTableDefinition } from '../lambda/shared/table-definition';
import { kinesisClient } from '../loadgen/kinesis-client';
import { percentile } from '../loadgen/run';
import type { FaultControl, PipelineStats } from '../dashboard/api';
import type { Declarations } from '../lambda/shared/declarations';
import { loadDeclarationsFile } from '../lambda/shared/declarations-file';
import { onDynamoDbClient } from '../lambda/shared/aws-clients';
import { faultInjector } from './fault-injector';
import { ArchiveWriter } from './archive-writer';
import { Checkpoints } from './checkpoints';
import {
  type Emulator,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  startDynalite,
  startKinesalite,
  startS3rver,
} from './emulators';
import { EventSourcePoller, type FailedBatch } from './poller';
import { join } from 'node:path';

export interface LocalPipelineOptions {
  readonly streamName: string;
  /** @default 2 */
  readonly shards?: number;
  readonly kinesisPort: number;
  readonly dynamodbPort: number;
  readonly s3Port: number;
  /** Keep the emulators' state here; without it nothing survives the run. */
  readonly dataDir?: string;
  /** Archive buffer hints. */
  readonly archiveBufferSeconds?: number;
  readonly archiveBufferBytes?: number;
  readonly onError?: (what: string, error: unknown) => void;
  /** The declarations file (`--aggregates`), already validated by the caller. */
  readonly aggregatesFile: string;
  /**
   * Share of the aggregator's DynamoDB write requests refused before they reach the table.
   * @default 0
   */
  readonly faultRate?: number;
}

/** The names local mode gives the resources the stack would create. */
export const LOCAL_NAMES = {
  table: 'aggregates',
  deadLetterBucket: 'dead-letter',
  archiveBucket: 'archive',
  failureBucket: 'failed-batches',
} as const;

export interface LocalPipeline {
  readonly kinesisEndpoint: string;
  readonly dynamodbEndpoint: string;
  readonly s3Endpoint: string;
  readonly streamName: string;
  readonly streamArn: string;
  readonly declarations: Declarations;
  /** The aggregator's injected DynamoDB write failures (operations contract). */
  readonly faults: FaultControl;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  readonly kinesis: KinesisClient;
  /** Kinesis records the aggregator has finished with since start. */
  processedRecords(): number;
  stats(): Promise<PipelineStats>;
  stop(): Promise<void>;
}

async function ignoreExisting(create: Promise<unknown>): Promise<void> {
  try {
    await create;
  } catch (error) {
    const name = (error as { name?: string }).name ?? '';
    if (!['ResourceInUseException', 'BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(name)) throw error;
  }
}

async function countObjects(s3: S3Client, bucket: string, prefix: string): Promise<number> {
  let count = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    count += page.KeyCount ?? 0;
    token = page.NextContinuationToken;
  } while (token !== undefined);
  return count;
}

/**
 * The whole pipeline on one machine: emulators, the resources the stack creates, the real
 * aggregator handler behind a local event source mapping, and a local archive delivery.
 */
export async function startLocalPipeline(options: LocalPipelineOptions): Promise<LocalPipeline> {
  const config = PROFILES.dev;
  const dir = (name: string): string | undefined =>
    options.dataDir === undefined ? undefined : join(options.dataDir, name);
  const emulators: Emulator[] = [];
  const [kinesisEmu, dynamoEmu, s3Emu] = await Promise.all([
    startKinesalite(options.kinesisPort, dir('kinesis')),
    startDynalite(options.dynamodbPort, dir('dynamodb')),
    startS3rver(options.s3Port, dir('s3')),
  ]);
  emulators.push(kinesisEmu, dynamoEmu, s3Emu);

  const kinesis = kinesisClient({
    endpoint: kinesisEmu.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const dynamodb = new DynamoDBClient({
    endpoint: dynamoEmu.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const s3 = new S3Client({
    endpoint: s3Emu.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });

  await Promise.all([
    ignoreExisting(
      kinesis.send(new CreateStreamCommand({ StreamName: options.streamName, ShardCount: options.shards ?? 2 })),
    ),
    ignoreExisting(dynamodb.send(new CreateTableCommand(aggregatesTableDefinition(LOCAL_NAMES.table)))),
    ...[LOCAL_NAMES.deadLetterBucket, LOCAL_NAMES.archiveBucket, LOCAL_NAMES.failureBucket].map((b) =>
      ignoreExisting(s3.send(new CreateBucketCommand({ Bucket: b }))),
    ),
  ]);
  let streamArn = '';
  for (let i = 0; i < 100 && streamArn === ''; i++) {
    const s = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: options.streamName })))
      .StreamDescriptionSummary;
    if (s?.StreamStatus === 'ACTIVE') streamArn = s.StreamARN!;
    else await new Promise((r) => setTimeout(r, 20));
  }

  const declarations = loadDeclarationsFile(options.aggregatesFile);
  // The aggregator's client alone carries the faults; readers and tools see the table as it is.
  const faults = faultInjector(options.faultRate ?? 0);
  onDynamoDbClient((client) => faults.apply(client));

  // The handler module reads only the standard environment, exactly as in Lambda.
  Object.assign(process.env, {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEmu.endpoint,
    AWS_ENDPOINT_URL_S3: s3Emu.endpoint,
    TABLE_NAME: LOCAL_NAMES.table,
    DEAD_LETTER_BUCKET: LOCAL_NAMES.deadLetterBucket,
    AGGREGATES_FILE: options.aggregatesFile,
    AGGREGATE_TTL_DAYS: String(config.aggregates.ttlDays),
    POWERTOOLS_SERVICE_NAME: 'aggregator',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
  });
  const { handler } = (await import('../lambda/aggregator/handler')) as {
    handler: (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>;
  };

  const lags: { at: number; lag: number }[] = [];
  let failedBatches = 0;
  let processed = 0;
  const onError = options.onError ?? (() => undefined);
  const poller = new EventSourcePoller({
    kinesis,
    streamName: options.streamName,
    streamArn,
    region: LOCAL_REGION,
    settings: {
      batchSize: config.aggregator.batchSize,
      maxBatchingWindowMs: config.aggregator.maxBatchingWindowSeconds * 1000,
      retryAttempts: config.aggregator.retryAttempts,
      maxRecordAgeSeconds: config.aggregator.maxRecordAgeSeconds,
      bisectBatchOnError: true,
    },
    invoke: handler,
    onFailedBatch: async (failure: FailedBatch) => {
      failedBatches++;
      const info = failure.KinesisBatchInfo;
      await s3.send(
        new PutObjectCommand({
          Bucket: LOCAL_NAMES.failureBucket,
          Key: `${info.shardId}/${info.startSequenceNumber}-${info.endSequenceNumber}.json`,
          Body: JSON.stringify(failure),
          ContentType: 'application/json',
        }),
      );
    },
    onDone: (lag) => {
      processed++;
      const now = Date.now();
      lags.push({ at: now, lag });
      while (lags.length > 0 && (lags[0].at < now - 60_000 || lags.length > 100_000)) lags.shift();
    },
    onError: (error) => onError('aggregator', error),
    checkpoints: new Checkpoints(dir(join('checkpoints', 'aggregator.json'))),
  });
  const archive = new ArchiveWriter({
    kinesis,
    s3,
    streamName: options.streamName,
    bucket: LOCAL_NAMES.archiveBucket,
    bufferSeconds: options.archiveBufferSeconds,
    bufferBytes: options.archiveBufferBytes,
    onError: (error) => onError('archive', error),
    checkpoints: new Checkpoints(dir(join('checkpoints', 'archive.json'))),
  });
  await Promise.all([poller.start(), archive.start()]);

  return {
    kinesisEndpoint: kinesisEmu.endpoint,
    dynamodbEndpoint: dynamoEmu.endpoint,
    s3Endpoint: s3Emu.endpoint,
    streamName: options.streamName,
    streamArn,
    declarations,
    faults: {
      get: () => ({ dynamodbWriteFailRate: faults.rate }),
      set: (rate) => {
        faults.rate = rate;
      },
    },
    dynamodb,
    s3,
    kinesis,
    processedRecords: () => processed,
    stats: async () => {
      const recent = lags
        .filter((l) => l.at >= Date.now() - 60_000)
        .map((l) => l.lag)
        .sort((a, b) => a - b);
      return {
        poisonRecords: await countObjects(s3, LOCAL_NAMES.deadLetterBucket, DEAD_LETTER_PREFIX),
        lagMs: recent.length === 0 ? null : { p50: percentile(recent, 50), p99: percentile(recent, 99) },
        failedBatches,
      };
    },
    stop: async () => {
      await Promise.all([poller.stop(), archive.stop()]);
      await Promise.all(emulators.map((e) => e.close()));
    },
  };
}
