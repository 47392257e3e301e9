import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../../lambda/backfill/handler';
import { NEW_DECLARATION, archivedObjects, putGzipArchive } from '../../backfill/archive-fixture';
import {
  type Emulator,
  TEST_CREDENTIALS,
  TEST_REGION,
  createAggregatesTable,
  createBucket,
  startDynalite,
  startS3rver,
  testDynamoDb,
  testS3,
  uniqueName,
} from '../../support/emulators';

const HOUR = 3_600_000;
const FROM = Math.floor((Date.now() - 2 * 86_400_000) / HOUR) * HOUR;
let dynamo: Emulator;
let s3rver: Emulator;
let dir: string;
const table = uniqueName('handler');
const bucket = uniqueName('handler-archive');
const saved = { ...process.env };

beforeAll(async () => {
  [dynamo, s3rver] = await Promise.all([startDynalite(), startS3rver()]);
  const s3 = testS3(s3rver.endpoint);
  await Promise.all([createAggregatesTable(testDynamoDb(dynamo.endpoint), table), createBucket(s3, bucket)]);
  await putGzipArchive(s3, bucket, archivedObjects(FROM, 600));
  dir = mkdtempSync(join(tmpdir(), 'backfill-handler-'));
  writeFileSync(join(dir, 'aggregates.json'), JSON.stringify(NEW_DECLARATION));
  // The function's environment, as lib/constructs/backfill.ts sets it, with the emulators' endpoints.
  Object.assign(process.env, {
    AWS_REGION: TEST_REGION,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_S3: s3rver.endpoint,
    TABLE_NAME: table,
    ARCHIVE_BUCKET: bucket,
    AGGREGATE_TTL_DAYS: '7',
    ARCHIVE_BUFFER_SECONDS: '30',
    MAX_RECORD_AGE_SECONDS: '3600',
    AGGREGATES_FILE: join(dir, 'aggregates.json'),
  });
}, 120_000);

afterAll(async () => {
  process.env = saved;
  await Promise.all([dynamo?.close(), s3rver?.close()]);
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('backfill handler', () => {
  const input = {
    aggregate: 'checkout',
    from: new Date(FROM).toISOString(),
    to: new Date(FROM + 2 * HOUR).toISOString(),
  };

  it('runs the slice of its Map item and returns its summary', async () => {
    const dry = await handler({ ...input, slice: '2/2', dryRun: true });
    expect(dry).toMatchObject({ aggregate: 'checkout', slice: '2/2', windows: 61, dryRun: true, deleted: 0 });
    const scan = () => testDynamoDb(dynamo.endpoint).send(new ScanCommand({ TableName: table, ConsistentRead: true }));
    expect((await scan()).Items).toHaveLength(0);
    const run = await handler({ ...input, slice: '2/2' });
    expect(run).toMatchObject({ slice: '2/2', written: dry.written, dryRun: false });
    expect((await scan()).Items).toHaveLength(dry.written);
  }, 120_000);

  it('fails with the field at fault', async () => {
    await expect(handler({ ...input, aggregate: 'nope' })).rejects.toThrow(/^aggregate: no declaration "nope"/);
    await expect(handler({ ...input, slice: '3/2' })).rejects.toThrow(/^slice: expected i\/N/);
    await expect(handler({ ...input, to: new Date().toISOString() })).rejects.toThrow(/^to: windows of "checkout"/);
  });
});
