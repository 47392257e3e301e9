import { join } from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SingleBar } from 'cli-progress';
import { type Command, type Flags, UsageError, parseCommandLine, parseFlags } from '../cli/flags';
import { resolveStack } from '../dashboard/stack-outputs';
import { PROFILES } from '../lib/config';
import { planAggregates } from '../lambda/shared/aggregate-plan';
import type { Declarations } from '../lambda/shared/declarations';
import { aggregatesOption } from '../loadgen/options';
import { kinesisClient } from '../loadgen/kinesis-client';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/credentials';
import { LOCAL_MODE_FLAGS, type LocalModeEndpoints, localModeEndpoints } from '../local/start';
import { type RangeResult, describeResult, describeSummary, exitCode, summarize } from './core';
import { type PointerSource, S3PointerSource, SqsPointerSource } from './pointer-sources';
import { redriveAll } from './redrive';

/** The names local mode gives its resources (local/pipeline.ts LOCAL_NAMES), without loading the pipeline. */
const LOCAL = { table: 'aggregates', failureBucket: 'failed-batches', stream: 'events' } as const;

const FLAGS = {
  stack: { type: 'string', value: 'NAME', help: 'a deployed stack: its on-failure queue, table and stream' },
  local: { type: 'boolean', help: "local mode's failed-batches store, table and stream (npm start)" },
  'kinesis-port': { ...LOCAL_MODE_FLAGS['kinesis-port'], value: 'PORT', help: 'with --local', defaultText: '4567' },
  'dynamodb-port': { ...LOCAL_MODE_FLAGS['dynamodb-port'], value: 'PORT', help: 'with --local', defaultText: '4568' },
  's3-port': { ...LOCAL_MODE_FLAGS['s3-port'], value: 'PORT', help: 'with --local', defaultText: '4569' },
  'data-dir': {
    ...LOCAL_MODE_FLAGS['data-dir'],
    value: 'DIR',
    help: "with --local: local mode's --data-dir, to redrive while it is stopped (the emulators start over it)",
  },
  aggregates: {
    ...LOCAL_MODE_FLAGS.aggregates,
    value: 'PATH',
    help: 'the declarations the aggregator runs with',
    defaultText: "the repository's aggregates.json",
  },
  'ttl-days': {
    type: 'string',
    value: 'N',
    help: 'the items’ TTL, the default allowed lateness as the aggregator applies it',
    defaultText: 'the stack’s AggregateTtlDays output; with --local, the dev profile’s',
  },
  region: { type: 'string', value: 'R', help: 'with --stack: the AWS Region (default: the SDK’s)' },
  profile: { type: 'string', value: 'P', help: 'with --stack: the AWS profile' },
  'dry-run': { type: 'boolean', help: 'read and plan every range, write and delete nothing' },
  json: { type: 'boolean', help: 'print the results as JSON' },
} as const satisfies Flags;

export const COMMAND: Command = {
  run: 'npm run redrive --',
  synopsis: ['--stack NAME', '--local [--kinesis-port PORT] [--dynamodb-port PORT] [--s3-port PORT] [--data-dir DIR]'],
  about:
    'Applies the batches Lambda gave up on (the on-failure queue, or local mode’s failed-batches store) exactly once: each range is read back from the stream and each aggregate item gets only the records it lacks. A pointer is deleted once its range is applied; a range past the stream’s retention is reported with the backfill commands that cover it.',
  flags: FLAGS,
  notes: ['Exit 0 when no failed batch is left, 1 when some are (expired or failed), 2 on a usage error.'],
};

export interface RedriveOptions {
  readonly stack?: string;
  readonly local?: LocalModeEndpoints;
  readonly region?: string;
  readonly profile?: string;
  /** Given on the command line; else the stack's, or local mode's. */
  readonly ttlDays?: number;
  readonly declarations: Declarations;
  readonly dryRun: boolean;
  readonly json: boolean;
}

export function parseRedriveOptions(argv: readonly string[]): RedriveOptions {
  const values = parseFlags(argv, FLAGS);
  for (const [name, v] of Object.entries(values)) {
    if (v === '') throw new UsageError(`--${name}: must not be empty`);
  }
  const text = (name: string): string | undefined => values[name] as string | undefined;
  const stack = text('stack');
  const local = values.local === true;
  if ((stack === undefined) === !local) {
    throw new UsageError('--stack: give exactly one of --stack NAME (a deployed stack) or --local (local mode)');
  }
  for (const name of ['kinesis-port', 'dynamodb-port', 's3-port', 'data-dir']) {
    if (!local && values[name] !== undefined) throw new UsageError(`--${name}: only with --local`);
  }
  for (const name of ['region', 'profile']) {
    if (local && values[name] !== undefined) throw new UsageError(`--${name}: only with --stack`);
  }
  let endpoints: LocalModeEndpoints | undefined;
  if (local) {
    try {
      endpoints = localModeEndpoints(values);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  const ttl = text('ttl-days');
  const ttlDays = ttl === undefined ? undefined : Number(ttl);
  if (ttlDays !== undefined && (!Number.isInteger(ttlDays) || ttlDays < 1 || ttlDays > 3_650)) {
    throw new UsageError(`--ttl-days: expected an integer from 1 to 3650, got "${ttl}"`);
  }
  return {
    ...(stack === undefined ? {} : { stack }),
    ...(endpoints === undefined ? {} : { local: endpoints }),
    ...(text('region') === undefined ? {} : { region: text('region') }),
    ...(text('profile') === undefined ? {} : { profile: text('profile') }),
    ...(ttlDays === undefined ? {} : { ttlDays }),
    declarations: aggregatesOption(text('aggregates')),
    dryRun: values['dry-run'] === true,
    json: values.json === true,
  };
}

type Output = Pick<NodeJS.WritableStream, 'write'>;

interface Target {
  readonly source: PointerSource;
  readonly clients: { kinesis: ReturnType<typeof kinesisClient>; dynamodb: DynamoDBClient };
  readonly tableName: string;
  readonly streamName: string;
  readonly backfillTarget: string;
  readonly ttlDays: number;
  close(): Promise<void>;
}

/** Local mode's endpoints; with --data-dir and nothing listening, the emulators started over its state. */
async function localTarget(endpoints: LocalModeEndpoints): Promise<Target> {
  const url = (port: number): string => `http://127.0.0.1:${port}`;
  const kinesisAt = (endpoint: string): ReturnType<typeof kinesisClient> =>
    kinesisClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  let kinesisEndpoint = url(endpoints.kinesisPort);
  let dynamodbEndpoint = url(endpoints.dynamodbPort);
  let s3Endpoint = url(endpoints.s3Port);
  const started: { close(): Promise<void> }[] = [];
  const running = await kinesisAt(kinesisEndpoint)
    .send(new ListStreamsCommand({}))
    .then(
      () => true,
      () => false,
    );
  if (!running) {
    if (endpoints.dataDir === undefined) {
      throw new Error(
        `local mode is not running (nothing answers on ${kinesisEndpoint}): start it with npm start, or give --data-dir`,
      );
    }
    const { startDynalite, startKinesalite, startS3rver } = await import('../local/emulators');
    const dir = endpoints.dataDir;
    const emulators = await Promise.all([
      startKinesalite(endpoints.kinesisPort, join(dir, 'kinesis')),
      startDynalite(endpoints.dynamodbPort, join(dir, 'dynamodb')),
      startS3rver(endpoints.s3Port, join(dir, 's3')),
    ]);
    started.push(...emulators);
    [kinesisEndpoint, dynamodbEndpoint, s3Endpoint] = emulators.map((e) => e.endpoint);
  }
  const s3 = new S3Client({
    endpoint: s3Endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  return {
    source: new S3PointerSource(s3, LOCAL.failureBucket),
    clients: {
      kinesis: kinesisAt(kinesisEndpoint),
      dynamodb: new DynamoDBClient({
        endpoint: dynamodbEndpoint,
        region: LOCAL_REGION,
        credentials: LOCAL_CREDENTIALS,
      }),
    },
    tableName: LOCAL.table,
    streamName: LOCAL.stream,
    backfillTarget: '--local',
    ttlDays: PROFILES.dev.aggregates.ttlDays,
    close: async () => {
      await Promise.all(started.map((e) => e.close()));
    },
  };
}

async function stackTarget(options: RedriveOptions): Promise<Target> {
  // The SDK's credential chain reads the profile from here, like the AWS CLI's --profile.
  if (options.profile !== undefined) process.env.AWS_PROFILE = options.profile;
  const region = options.region === undefined ? {} : { region: options.region };
  const stack = await resolveStack(new CloudFormationClient(region), options.stack!);
  if (stack.failureQueueUrl === undefined || stack.streamName === undefined) {
    throw new Error(`--stack: stack "${options.stack}" has no FailureQueueUrl or StreamName output; deploy it again`);
  }
  return {
    source: new SqsPointerSource(new SQSClient(region), stack.failureQueueUrl),
    clients: { kinesis: kinesisClient(region), dynamodb: new DynamoDBClient(region) },
    tableName: stack.tableName,
    streamName: stack.streamName,
    backfillTarget: `--stack ${stack.stackName}`,
    ttlDays: stack.ttlDays ?? PROFILES.dev.aggregates.ttlDays,
    close: () => Promise.resolve(),
  };
}

export async function main(
  argv: readonly string[],
  out: Output = process.stdout,
  err: Output & { isTTY?: boolean } = process.stderr,
): Promise<number> {
  const parsed = parseCommandLine(COMMAND, argv, parseRedriveOptions, { out, err });
  if ('exitCode' in parsed) return parsed.exitCode;
  const options = parsed.options;
  const target = options.local !== undefined ? await localTarget(options.local) : await stackTarget(options);
  const bar =
    err.isTTY === true && !options.json
      ? new SingleBar({
          stream: err as NodeJS.WriteStream,
          format: '{bar} {value}/{total} failed batches | {status}',
          hideCursor: true,
          clearOnComplete: true,
        })
      : undefined;
  const lines: string[] = [];
  try {
    const run = await redriveAll({
      kinesis: target.clients.kinesis,
      dynamodb: target.clients.dynamodb,
      tableName: target.tableName,
      streamName: target.streamName,
      plan: planAggregates(options.declarations, (options.ttlDays ?? target.ttlDays) * 86_400),
      source: target.source,
      ttlDays: options.ttlDays ?? target.ttlDays,
      backfillTarget: target.backfillTarget,
      dryRun: options.dryRun,
      onBadPointer: (id, problem) => lines.push(`SKIPPED  ${id}: ${problem}`),
      onStart: (n) => bar?.start(n, 0, { status: '' }),
      onResult: (r: RangeResult) => {
        bar?.increment({ status: r.status });
        if (!options.json) lines.push(describeResult(r));
      },
    });
    bar?.stop();
    const summary = summarize(run.results);
    if (options.json) {
      out.write(
        `${JSON.stringify({
          source: target.source.description,
          dryRun: options.dryRun,
          summary,
          registryEntriesRemoved: run.registryEntriesRemoved,
          results: run.results,
        })}\n`,
      );
    } else {
      for (const line of lines) out.write(`${line}\n`);
      out.write(`${describeSummary(summary, options.dryRun)}\n`);
    }
    return exitCode(summary);
  } finally {
    bar?.stop();
    await target.close();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`redrive: ${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
