import { STREAM_NAME_PATTERN } from '../lambda/shared/constants';
import { DeclarationError } from '../lambda/shared/declarations';
import { aggregatesFileOption, loadDeclarationsFile } from '../lambda/shared/declarations-file';
import { parseArgs } from 'node:util';
import { AggregatesReader } from '../dashboard/aggregates-reader';
import { startDashboardServer } from '../dashboard/server';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './emulators';
import { LOCAL_NAMES, startLocalPipeline } from './pipeline';
import { DEFAULT_KEYS, SCENARIOS, type ScenarioName } from '../loadgen/scenarios';
import { runLoad } from '../loadgen/run';
import { kinesisClient } from '../loadgen/kinesis-client';

export const USAGE = `Usage: npm start -- [--no-load] [--port 3000] [--kinesis-port 4567] [--dynamodb-port 4568] [--s3-port 4569]
  [--stream-name events] [--data-dir DIR] [--rate 50] [--scenario clickstream|iot|logs] [--poison 0.01]
  [--archive-buffer-seconds 10] [--aggregates aggregates.json] [--fault-rate 0]`;

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
export const LOCAL_MODE_FLAGS = {
  'kinesis-port': { type: 'string' },
  'dynamodb-port': { type: 'string' },
  's3-port': { type: 'string' },
  'data-dir': { type: 'string' },
  aggregates: { type: 'string' },
} as const;

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
    kinesisPort: port('kinesis-port', text('kinesis-port'), 4567),
    dynamodbPort: port('dynamodb-port', text('dynamodb-port'), 4568),
    s3Port: port('s3-port', text('s3-port'), 4569),
    ...(text('data-dir') === undefined ? {} : { dataDir: text('data-dir') }),
  };
}

function port(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new Error(`--${flag}: expected a port from 0 to 65535, got "${raw}"`);
  return n;
}

export function parseStartOptions(argv: readonly string[]): StartOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    allowNegative: true,
    options: {
      load: { type: 'boolean', default: true },
      port: { type: 'string' },
      ...LOCAL_MODE_FLAGS,
      'stream-name': { type: 'string' },
      rate: { type: 'string' },
      scenario: { type: 'string' },
      poison: { type: 'string' },
      'archive-buffer-seconds': { type: 'string' },
      'fault-rate': { type: 'string' },
    },
  });
  const streamName = values['stream-name'] ?? 'events';
  if (!STREAM_NAME_PATTERN.test(streamName))
    throw new Error(`--stream-name: "${streamName}" is not a valid stream name`);
  const rate = values.rate === undefined ? 50 : Number(values.rate);
  if (!(rate > 0)) throw new Error(`--rate: expected a positive number, got "${values.rate}"`);
  const scenario = values.scenario ?? 'clickstream';
  if (!(SCENARIOS as readonly string[]).includes(scenario))
    throw new Error(`--scenario: must be one of ${SCENARIOS.join(', ')}`);
  const poison = values.poison === undefined ? 0.01 : Number(values.poison);
  if (!(poison >= 0 && poison <= 1)) throw new Error(`--poison: expected a share from 0 to 1, got "${values.poison}"`);
  const archiveBufferSeconds =
    values['archive-buffer-seconds'] === undefined ? 10 : Number(values['archive-buffer-seconds']);
  if (!(archiveBufferSeconds > 0 && archiveBufferSeconds <= 900)) {
    throw new Error(
      `--archive-buffer-seconds: expected a number of seconds from 0 to 900, got "${values['archive-buffer-seconds']}"`,
    );
  }
  const faultRate = values['fault-rate'] === undefined ? 0 : Number(values['fault-rate']);
  if (!(faultRate >= 0 && faultRate <= 1)) {
    throw new Error(`--fault-rate: expected a share from 0 to 1, got "${values['fault-rate']}"`);
  }
  const aggregatesFile = aggregatesFileOption(values.aggregates);
  try {
    loadDeclarationsFile(aggregatesFile);
  } catch (error) {
    if (error instanceof DeclarationError) throw new Error(`--aggregates: ${error.message}`);
    throw error;
  }
  return {
    load: values.load !== false,
    aggregatesFile,
    faultRate,
    archiveBufferSeconds,
    port: port('port', values.port, 3000),
    ...localModeEndpoints(values),
    streamName,
    rate,
    scenario: scenario as ScenarioName,
    poison,
  };
}

async function main(argv: readonly string[]): Promise<void> {
  let options: StartOptions;
  try {
    options = parseStartOptions(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
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
