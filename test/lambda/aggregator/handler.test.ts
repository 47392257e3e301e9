import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_AGGREGATES_FILE } from '../../../lambda/shared/declarations-file';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { readAggregatorEnv } from '../../../lambda/aggregator/env';
import { aggregatorMetricDimensions } from '../../../lambda/shared/constants';
import {
  type Emulator,
  TEST_CREDENTIALS,
  createAggregatesTable,
  createBucket,
  startDynalite,
  startS3rver,
  testDynamoDb,
  testS3,
  uniqueName,
} from '../../support/emulators';
import { generateEvents } from '../../support/events';
import { kinesisEvent, kplAggregate, streamRecords } from '../../support/kinesis-events';
import { readAggregates, readObjects } from '../../support/read-back';

let dynamo: Emulator;
let s3: Emulator;
let table: string;
let bucket: string;
const saved = { ...process.env };

beforeAll(async () => {
  [dynamo, s3] = await Promise.all([startDynalite(), startS3rver()]);
  table = uniqueName('handler-aggregates');
  bucket = uniqueName('handler-dead-letter');
  await createAggregatesTable(testDynamoDb(dynamo.endpoint), table);
  await createBucket(testS3(s3.endpoint), bucket);
});

afterAll(async () => {
  process.env = saved;
  await Promise.all([dynamo?.close(), s3?.close()]);
});

beforeEach(() => {
  vi.resetModules();
  process.env = {
    ...saved,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    TABLE_NAME: table,
    DEAD_LETTER_BUCKET: bucket,
    AGGREGATES_FILE: PROJECT_AGGREGATES_FILE,
    METRICS_STACK: 'streaming-pipeline-test',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  };
});

interface EmfLine {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  [field: string]: unknown;
}

/** The EMF lines among what the handler wrote to stdout. */
function emfLines(stdout: readonly string[]): EmfLine[] {
  return stdout
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfLine);
}

/** Runs the handler on `records`, returning what it wrote to stdout. */
async function captureStdout(run: () => Promise<unknown>): Promise<string[]> {
  const stdout: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
  try {
    await run();
  } finally {
    write.mockRestore();
  }
  return stdout;
}

describe('handler', () => {
  it('runs against the endpoints in the standard SDK variables, with no code change', async () => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout.push(String(chunk));
      return true;
    });
    const writeErr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    });
    const { handler } = await import('../../../lambda/aggregator/handler');
    const { payloads, expected, poison } = generateEvents(31, 300, { poisonRate: 0.05 });
    const plain = streamRecords(payloads.slice(0, 150));
    const aggregated = streamRecords(kplAggregate(payloads.slice(150), 25)).map((r, i) => ({
      ...r,
      sequenceNumber: (BigInt(plain[plain.length - 1].sequenceNumber) + BigInt(i + 1)).toString(),
    }));
    const result = await handler(kinesisEvent([...plain, ...aggregated]));
    write.mockRestore();
    writeErr.mockRestore();

    expect(result).toEqual({ batchItemFailures: [] });
    expect(await readAggregates(testDynamoDb(dynamo.endpoint), table)).toEqual(expected);
    expect((await readObjects(testS3(s3.endpoint), bucket, 'poison/')).size).toBe(poison);

    const emf = stdout
      .flatMap((line) => line.split('\n'))
      .filter((line) => line.includes('"_aws"'))
      .map(
        (line) => JSON.parse(line) as { _aws: { CloudWatchMetrics: { Namespace: string }[] } } & Record<string, number>,
      );
    expect(emf).toHaveLength(1);
    expect(emf[0]._aws.CloudWatchMetrics[0].Namespace).toBe('StreamingPipeline');
    expect(emf[0]).toMatchObject({
      service: 'aggregator',
      stack: 'streaming-pipeline-test',
      RecordsIn: plain.length + aggregated.length,
      UserRecords: 300,
      PoisonRecords: poison,
    });
    expect(emf[0].AggregateWrites).toBeGreaterThan(0);
    expect(emf[0].ConditionalReplays).toBe(0);
    expect(emf[0].LateEvents).toBe(0);
    expect(emf[0].AggregateReads).toBeGreaterThanOrEqual(0);
    expect(emf[0].BatchLag).toBeGreaterThan(0);
    expect(emf[0].BatchDuration).toBeGreaterThanOrEqual(0);

    // The saved query "poison records by reason" sums these lines' counts by reason.
    const poisonLines = [...stdout, ...stderr]
      .flatMap((chunk) => chunk.split('\n'))
      .filter((line) => line.includes('"poison records"'))
      .map((line) => JSON.parse(line) as { level: string; reason: string; records: number });
    expect(poisonLines.length).toBeGreaterThan(0);
    expect(new Set(poisonLines.map((l) => l.reason)).size).toBe(poisonLines.length);
    expect(poisonLines.every((l) => l.level === 'INFO' && /^\w+: /.test(l.reason))).toBe(true);
    expect(poisonLines.reduce((n, l) => n + l.records, 0)).toBe(poison);
  });

  it('publishes every metric with exactly the dimensions the alarms and the dashboard query', async () => {
    const { handler } = await import('../../../lambda/aggregator/handler');
    const { payloads } = generateEvents(7, 20);
    const stdout = await captureStdout(() => handler(kinesisEvent(streamRecords(payloads))));
    const [emf] = emfLines(stdout);
    const [directive] = emf._aws.CloudWatchMetrics;
    // One dimension set, the whole set: CloudWatch matches a metric on all of its dimensions.
    const expected = aggregatorMetricDimensions('streaming-pipeline-test');
    expect(expected).toEqual({ service: 'aggregator', stack: 'streaming-pipeline-test' });
    expect(directive.Dimensions).toHaveLength(1);
    expect([...directive.Dimensions[0]].sort()).toEqual(Object.keys(expected).sort());
    for (const [name, value] of Object.entries(expected)) expect(emf[name], name).toBe(value);
    expect(directive.Metrics.map((m) => m.Name)).toContain('PoisonRecords');
  });

  it('publishes under the stack "local" when no METRICS_STACK is set, and does not fail', async () => {
    delete process.env.METRICS_STACK;
    const { handler } = await import('../../../lambda/aggregator/handler');
    const { payloads } = generateEvents(8, 5);
    let result: unknown;
    const stdout = await captureStdout(async () => {
      result = await handler(kinesisEvent(streamRecords(payloads)));
    });
    expect(result).toEqual({ batchItemFailures: [] });
    const [emf] = emfLines(stdout);
    expect(emf._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service', 'stack']]);
    expect(emf).toMatchObject(aggregatorMetricDimensions('local'));
  });

  it('fails the invocation naming a declarations file it cannot use, and where the mistake is', async () => {
    process.env.AGGREGATES_FILE = '/nonexistent/aggregates.json';
    let loaded = await import('../../../lambda/aggregator/handler');
    await expect(loaded.handler(kinesisEvent([]))).rejects.toThrow(
      '/nonexistent/aggregates.json: cannot be read: ENOENT',
    );
    vi.resetModules();
    const dir = mkdtempSync(join(tmpdir(), 'aggregates-'));
    writeFileSync(
      join(dir, 'a.json'),
      JSON.stringify({ version: 2, aggregates: [{ name: 'x', types: [], windows: ['1m'], measures: {} }] }),
    );
    process.env.AGGREGATES_FILE = join(dir, 'a.json');
    loaded = await import('../../../lambda/aggregator/handler');
    await expect(loaded.handler(kinesisEvent([]))).rejects.toThrow(
      'a.json: aggregates[0].types: must be an array of 1 to 100 strings',
    );
  });

  it('fails the invocation naming a missing variable', async () => {
    delete process.env.TABLE_NAME;
    const { handler } = await import('../../../lambda/aggregator/handler');
    await expect(handler(kinesisEvent([]))).rejects.toThrow('TABLE_NAME: required environment variable is not set');
  });
});

describe('readAggregatorEnv', () => {
  it('reads the contract variables with their defaults', () => {
    // Deployed, the file sits beside the bundled handler.
    expect(
      readAggregatorEnv(
        { TABLE_NAME: 't', DEAD_LETTER_BUCKET: 'b' },
        join(__dirname, '..', '..', '..', 'lambda', 'aggregator'),
      ),
    ).toEqual({
      tableName: 't',
      deadLetterBucket: 'b',
      ttlDays: 30,
      aggregatesFile: join(__dirname, '..', '..', '..', 'lambda', 'aggregator', 'aggregates.json'),
      byTypeIndex: false,
    });
  });

  it.each([
    [{ DEAD_LETTER_BUCKET: 'b' }, 'TABLE_NAME'],
    [{ TABLE_NAME: 't' }, 'DEAD_LETTER_BUCKET'],
    [{ TABLE_NAME: 't', DEAD_LETTER_BUCKET: 'b', BY_TYPE_INDEX: 'yes' }, 'BY_TYPE_INDEX: must be true or false'],
    [
      { TABLE_NAME: 't', DEAD_LETTER_BUCKET: 'b', AGGREGATE_TTL_DAYS: '-2' },
      'AGGREGATE_TTL_DAYS: must be a positive integer',
    ],
  ])('refuses %j naming %s', (env, message) => {
    expect(() => readAggregatorEnv(env)).toThrow(message);
  });
});
