import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregatorBundleProps } from '../../../lib/constructs/aggregator';
import { bundleFileName, esbuildOptions } from '../../../lib/constructs/esbuild-options';
import { SOURCE_MAPS_ENV } from '../../../lib/constructs/pipeline-function';
import { DEFAULT_AGGREGATES_FILE } from '../../../lambda/shared/declarations';
import { PROJECT_AGGREGATES_FILE } from '../../../lambda/shared/declarations-file';
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
import { kinesisEvent, streamRecords } from '../../support/kinesis-events';
import { readAggregates, readObjects } from '../../support/read-back';

/**
 * The aggregator as it deploys: the esbuild bundle NodejsFunction builds (an ES module, with its own
 * SigV4 calls to DynamoDB and S3), imported in a plain Node process as Lambda's runtime imports it,
 * against the emulators.
 */
let dir: string;
let bundle: string;
let inputs: string[];
let dynamo: Emulator;
let s3: Emulator;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aggregator-bundle-test-'));
  bundle = join(dir, bundleFileName(aggregatorBundleProps()));
  const [result, d, s] = await Promise.all([
    build(esbuildOptions(aggregatorBundleProps(), bundle)),
    startDynalite(),
    startS3rver(),
  ]);
  [dynamo, s3] = [d, s];
  copyFileSync(PROJECT_AGGREGATES_FILE, join(dir, DEFAULT_AGGREGATES_FILE));
  inputs = Object.keys(result.metafile.inputs);
});

afterAll(async () => {
  await Promise.all([dynamo?.close(), s3?.close()]);
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('the aggregator bundle', () => {
  it('carries no SDK client: DynamoDB and S3 calls go through the signed-request core', () => {
    expect(inputs.filter((f) => /node_modules\/@(aws-sdk|smithy)\//.test(f))).toEqual([]);
    expect(inputs).toContain('lambda/shared/signed-request.ts');
    expect(inputs).toContain('lambda/shared/dynamodb-item-client.ts');
    expect(inputs).toContain('lambda/shared/s3-object-writer.ts');
  });

  it('is an ES module that never calls require: esbuild left out its dynamic-require shim', () => {
    const code = readFileSync(bundle, 'utf8');
    expect(code).not.toMatch(/Dynamic require of/);
    expect(code).not.toMatch(/typeof require/);
  });

  it('aggregates a batch and parks its poison records in the bucket, run as Lambda would load it', async () => {
    const table = uniqueName('bundle-aggregates');
    const bucket = uniqueName('bundle-dead-letter').toLowerCase();
    await Promise.all([
      createAggregatesTable(testDynamoDb(dynamo.endpoint), table),
      createBucket(testS3(s3.endpoint), bucket),
    ]);
    const { payloads, expected, poison } = generateEvents(7, 120, { poisonRate: 0.1 });
    expect(poison).toBeGreaterThan(0);
    const eventFile = join(dir, `${table}.json`);
    writeFileSync(eventFile, JSON.stringify(kinesisEvent(streamRecords(payloads))));
    const run = [
      "const { readFileSync } = await import('node:fs');",
      "const { pathToFileURL } = await import('node:url');",
      'const { handler } = await import(pathToFileURL(process.argv[1]).href);',
      "const result = await handler(JSON.parse(readFileSync(process.argv[2], 'utf8')));",
      'console.log(JSON.stringify(result));',
    ].join(' ');
    const args = ['--input-type=module', '-e', run, bundle, eventFile];
    const { stdout } = await promisify(execFile)(process.execPath, args, {
      env: {
        PATH: process.env.PATH,
        ...SOURCE_MAPS_ENV,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        AWS_ENDPOINT_URL_S3: s3.endpoint,
        TABLE_NAME: table,
        DEAD_LETTER_BUCKET: bucket,
        METRICS_STACK: 'bundle-test',
        POWERTOOLS_LOG_LEVEL: 'ERROR',
      },
      timeout: 120_000,
    });
    expect(stdout.trim().split('\n').at(-1)).toBe(JSON.stringify({ batchItemFailures: [] }));
    expect(await readAggregates(testDynamoDb(dynamo.endpoint), table)).toEqual(expected);
    expect((await readObjects(testS3(s3.endpoint), bucket, 'poison/')).size).toBe(poison);
  });
});
