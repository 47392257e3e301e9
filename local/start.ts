import { STREAM_NAME_PATTERN } from '../lambda/shared/constants';
import { DeclarationError } from '../lambda/shared/declarations';
import { aggregatesFileOption, loadDeclarationsFile } from '../lambda/shared/declarations-file';
import { type Command, type Flag, UsageError, parseCommandLine, parseFlags } from '../cli/flags';
import { AggregatesReader } from '../dashboard/aggregates-reader';
import { startDashboardServer } from '../dashboard/server';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './emulators';
import { LOCAL_NAMES, startLocalPipeline } from './pipeline';
import { DEFAULT_KEYS, SCENARIOS, type ScenarioName } from '../loadgen/scenarios';
import { runLoad } from '../loadgen/run';
import { kinesisClient } from '../loadgen/kinesis-client';

export interface StartOptions {
  readonly load: boolean;
  readonly port: number;
  readonly kinesisPort: number;
  readonly dynamodbPort: number;
  readonly s3Port: number;
  readonly streamName: string;
  readonly dataDir?: string;
  readonly rate: number;
  readonly scenario: ScenarioName;
  readonly poison: number;
  readonly archiveBufferSeconds: number;
  /** The declarations file, resolved. */
  readonly aggregatesFile: string;
  /** Share of the aggregator's DynamoDB write requests that fail (operations contract). */
  readonly faultRate: number;
}

/**
 * The flags that say where local mode's emulators and state are, with `npm start`'s defaults: the
 * tools that work on a running local mode (backfill, redrive) take the same ones.
 */
export const LOCAL_MODE_PORTS = { kinesis: 4567, dynamodb: 4568, s3: 4569 } as const;

// Shown defaults only (defaultText): a tool that takes these flags may need to know whether one was given.
export const LOCAL_MODE_FLAGS = {
  'kinesis-port': {
    type: 'string',
    value: 'PORT',
    help: 'Kinesis emulator (kinesalite) port',
    defaultText: `${LOCAL_MODE_PORTS.kinesis}`,
  },
  'dynamodb-port': {
    type: 'string',
    value: 'PORT',
    help: 'DynamoDB emulator (dynalite) port',
    defaultText: `${LOCAL_MODE_PORTS.dynamodb}`,
  },
  's3-port': {
    type: 'string',
    value: 'PORT',
    help: 'S3 emulator (s3rver) port',
    defaultText: `${LOCAL_MODE_PORTS.s3}`,
  },
  'data-dir': {
    type: 'string',
    value: 'DIR',
    help: "keep the emulators' state in this folder, across runs",
    defaultText: 'in memory and a temporary folder, gone on exit',
  },
  aggregates: {
    type: 'string',
    value: 'PATH',
    help: 'the declared aggregates',
    defaultText: "the repository's aggregates.json",
  },
} as const satisfies Record<string, Flag>;

export interface LocalModeEndpoints {
  readonly kinesisPort: number;
  readonly dynamodbPort: number;
  readonly s3Port: number;
  readonly dataDir?: string;
}

/** The ports and data folder of LOCAL_MODE_FLAGS' values, checked and defaulted as `npm start` does. */
export function localModeEndpoints(values: Readonly<Record<string, unknown>>): LocalModeEndpoints {
  const text = (name: string): string | undefined => values[name] as string | undefined;
  return {
    kinesisPort: port('kinesis-port', text('kinesis-port') ?? `${LOCAL_MODE_PORTS.kinesis}`),
    dynamodbPort: port('dynamodb-port', text('dynamodb-port') ?? `${LOCAL_MODE_PORTS.dynamodb}`),
    s3Port: port('s3-port', text('s3-port') ?? `${LOCAL_MODE_PORTS.s3}`),
    ...(text('data-dir') === undefined ? {} : { dataDir: text('data-dir') }),
  };
}

function port(flag: string, raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65_535)
    throw new UsageError(`--${flag}: expected a port from 0 to 65535, got "${raw}"`);
  return n;
}

export const START: Command = {
  run: 'npm start --',
  about:
    'Runs the whole pipeline on this machine: Kinesis, DynamoDB and S3 emulators on 127.0.0.1, the real aggregator, ' +
    'the archive writer, a load generator and the dashboard. The OpenSearch sink runs only when deployed.',
  flags: {
    load: {
      type: 'boolean',
      negatable: true,
      default: true,
      help: 'run the built-in load generator (--no-load: only what you send)',
    },
    port: { type: 'string', value: 'PORT', help: 'dashboard port, on localhost', default: '3000' },
    ...LOCAL_MODE_FLAGS,
    'stream-name': { type: 'string', value: 'NAME', help: 'the Kinesis stream', default: 'events' },
    rate: { type: 'string', value: 'N', help: "the built-in load generator's events per second", default: '50' },
    scenario: {
      type: 'string',
      value: 'NAME',
      help: `the built-in load generator's scenario: ${SCENARIOS.join(', ')}`,
      default: 'clickstream',
    },
    poison: {
      type: 'string',
      value: 'RATE',
      help: 'share of its records that break the event contract, 0..1',
      default: '0.01',
    },
    'archive-buffer-seconds': {
      type: 'string',
      value: 'S',
      help: "the archive writer's buffer interval in seconds, up to 900",
      default: '10',
    },
    'fault-rate': {
      type: 'string',
      value: 'RATE',
      help: "share of the aggregator's DynamoDB writes that fail, 0..1 (POST /api/local/faults changes it)",
      default: '0',
    },
  },
  notes: ['It prints its endpoints and resource names, and stops cleanly on Ctrl-C. Exit 2 on a usage error.'],
};

export function parseStartOptions(argv: readonly string[]): StartOptions {
  const values = parseFlags(argv, START.flags);
  const text = (name: string): string => values[name] as string;
  const streamName = text('stream-name');
  if (!STREAM_NAME_PATTERN.test(streamName))
    throw new UsageError(`--stream-name: "${streamName}" is not a valid stream name`);
  const rate = Number(text('rate'));
  if (!(rate > 0)) throw new UsageError(`--rate: expected a positive number, got "${text('rate')}"`);
  const scenario = text('scenario');
  if (!(SCENARIOS as readonly string[]).includes(scenario))
    throw new UsageError(`--scenario: must be one of ${SCENARIOS.join(', ')}`);
  const poison = Number(text('poison'));
  if (!(poison >= 0 && poison <= 1))
    throw new UsageError(`--poison: expected a share from 0 to 1, got "${text('poison')}"`);
  const archiveBufferSeconds = Number(text('archive-buffer-seconds'));
  if (!(archiveBufferSeconds > 0 && archiveBufferSeconds <= 900)) {
    throw new UsageError(
      `--archive-buffer-seconds: expected a number of seconds from 0 to 900, got "${text('archive-buffer-seconds')}"`,
    );
  }
  const faultRate = Number(text('fault-rate'));
  if (!(faultRate >= 0 && faultRate <= 1)) {
    throw new UsageError(`--fault-rate: expected a share from 0 to 1, got "${text('fault-rate')}"`);
  }
  const aggregatesFile = aggregatesFileOption(values.aggregates as string | undefined);
  try {
    loadDeclarationsFile(aggregatesFile);
  } catch (error) {
    if (error instanceof DeclarationError) throw new UsageError(`--aggregates: ${error.message}`);
    throw error;
  }
  return {
    load: values.load !== false,
    aggregatesFile,
    faultRate,
    archiveBufferSeconds,
    port: port('port', text('port')),
    ...localModeEndpoints(values),
    streamName,
    rate,
    scenario: scenario as ScenarioName,
    poison,
  };
}

async function main(argv: readonly string[]): Promise<void> {
  const parsed = parseCommandLine(START, argv, parseStartOptions);
  if (!('options' in parsed)) {
    process.exitCode = parsed.exitCode;
    return;
  }
  const { options } = parsed;
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  const pipeline = await startLocalPipeline({
    streamName: options.streamName,
    kinesisPort: options.kinesisPort,
    dynamodbPort: options.dynamodbPort,
    s3Port: options.s3Port,
    archiveBufferSeconds: options.archiveBufferSeconds,
    aggregatesFile: options.aggregatesFile,
    faultRate: options.faultRate,
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    onError: (what, error) => process.stderr.write(`[${what}] ${(error as Error).message ?? String(error)}\n`),
  });
  const dashboard = await startDashboardServer(
    {
      reader: new AggregatesReader(pipeline.dynamodb, LOCAL_NAMES.table),
      declarations: pipeline.declarations,
      mode: 'local',
      tableName: LOCAL_NAMES.table,
      stats: () => pipeline.stats(),
      faults: pipeline.faults,
    },
    options.port,
  );

  log('Local pipeline is running (emulators on 127.0.0.1; Ctrl-C stops it)');
  log('');
  log(`  Dashboard          ${dashboard.url}`);
  log(`  Kinesis            ${pipeline.kinesisEndpoint}   stream "${pipeline.streamName}" (2 shards)`);
  log(`  DynamoDB           ${pipeline.dynamodbEndpoint}   table "${LOCAL_NAMES.table}"`);
  log(
    `  S3                 ${pipeline.s3Endpoint}   buckets "${LOCAL_NAMES.deadLetterBucket}" (poison/), "${LOCAL_NAMES.archiveBucket}" (events/), "${LOCAL_NAMES.failureBucket}"`,
  );
  log(
    '  Aggregator         the real lambda/aggregator handler, driven like the Kinesis event source mapping (dev profile settings)',
  );
  log(
    `  Aggregates         ${pipeline.declarations.aggregates.map((a) => a.name).join(', ')} from ${options.aggregatesFile}`,
  );
  if (options.faultRate > 0) {
    log(
      `  Faults             ${options.faultRate * 100}% of the aggregator's DynamoDB writes fail (POST /api/local/faults changes it)`,
    );
  }
  log('  OpenSearch sink    not emulated locally: there is no OpenSearch emulator on npm; it runs only when deployed');
  log('');
  log('  To point the AWS CLI or SDK at it:');
  log(
    `    export AWS_ACCESS_KEY_ID=${LOCAL_CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY=${LOCAL_CREDENTIALS.secretAccessKey} AWS_REGION=${LOCAL_REGION}`,
  );
  log(
    `    export AWS_ENDPOINT_URL_KINESIS=${pipeline.kinesisEndpoint} AWS_ENDPOINT_URL_DYNAMODB=${pipeline.dynamodbEndpoint} AWS_ENDPOINT_URL_S3=${pipeline.s3Endpoint}`,
  );
  log(
    `    aws dynamodb query --table-name ${LOCAL_NAMES.table} --key-condition-expression "pk = :p" --expression-attribute-values '{":p":{"S":"types"}}'`,
  );
  log(
    `    npm run loadgen -- --stream ${pipeline.streamName} --endpoint ${pipeline.kinesisEndpoint} --scenario iot --rate 200 --duration 60s`,
  );
  log(
    `  State: ${options.dataDir === undefined ? 'in memory and a temporary folder, gone on exit (--data-dir keeps it)' : `kept in ${options.dataDir}`}`,
  );

  let stopLoad: () => void = () => undefined;
  const loadStopped = new Promise<void>((resolve) => (stopLoad = resolve));
  const load = options.load
    ? runLoad(
        {
          stream: pipeline.streamName,
          endpoint: pipeline.kinesisEndpoint,
          region: LOCAL_REGION,
          scenario: options.scenario,
          rate: options.rate,
          durationMs: Number.MAX_SAFE_INTEGER,
          keys: DEFAULT_KEYS[options.scenario],
          seed: 1,
          kpl: false,
          poison: options.poison,
          json: false,
          concurrency: 2,
          maxRetries: 10,
          declarations: pipeline.declarations,
          startMs: Date.now(),
        },
        {
          client: kinesisClient({
            endpoint: pipeline.kinesisEndpoint,
            region: LOCAL_REGION,
            credentials: LOCAL_CREDENTIALS,
          }),
          stopSignal: loadStopped,
        },
      )
    : undefined;
  if (load !== undefined)
    log(
      `  Load generator     ${options.scenario} at ${options.rate} events/s, ${options.poison * 100}% poison (--no-load turns it off)`,
    );

  let stopping = false;
  const shutdown = (): void => {
    if (stopping) {
      process.exit(130);
    }
    stopping = true;
    log('\nStopping: load generator, pollers, archive flush, emulators…');
    stopLoad();
    void (async () => {
      await load;
      await dashboard.close();
      await pipeline.stop();
      log('Stopped.');
      process.exit(0);
    })();
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`npm start: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
