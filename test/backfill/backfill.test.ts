import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AttributeValue, type DynamoDBClient, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveSource } from '../../lambda/backfill/archive-source';
import { BACKFILLED_AT, BackfillStore } from '../../lambda/backfill/backfill-store';
import type { BackfillSettings } from '../../lambda/backfill/core';
import { type BackfillSummary, runBackfill } from '../../lambda/backfill/run';
import { itemKey } from '../../lambda/shared/aggregate-item';
import { planAggregates } from '../../lambda/shared/aggregate-plan';
import { type AggregateDeclaration, parseDeclarations } from '../../lambda/shared/declarations';
import { main } from '../../backfill/cli';
import { LOCAL_NAMES } from '../../local/pipeline';
import {
  type Emulator,
  createAggregatesTable,
  createBucket,
  startDynalite,
  startS3rver,
  testDynamoDb,
  testS3,
  uniqueName,
} from '../support/emulators';
import {
  type ArchivedObject,
  NEW_DECLARATION,
  archivedObjects,
  objectsRead,
  putGzipArchive,
  putParquetArchive,
  truth,
} from './archive-fixture';

type Item = Record<string, AttributeValue>;

const HOUR = 3_600_000;
const SETTINGS: BackfillSettings = {
  defaultLatenessSeconds: 7 * 86_400,
  bufferSeconds: 30,
  maxRecordAgeSeconds: 3_600,
};
const declarations = parseDeclarations(NEW_DECLARATION);
const declaration: AggregateDeclaration = declarations.aggregates[0];
const plan = planAggregates(declarations, SETTINGS.defaultLatenessSeconds);
// Two closed hours, two days ago: every window is long past its lateness.
const FROM = Math.floor((Date.now() - 2 * 86_400_000) / HOUR) * HOUR;
const TO = FROM + 2 * HOUR;

let dynamo: Emulator;
let s3rver: Emulator;
let dynamodb: DynamoDBClient;
let s3: S3Client;
let objects: ArchivedObject[];
let expected: Map<string, Item>;
let dir: string;
let aggregatesFile: string;
const gzipBucket = uniqueName('gzip-archive');
const parquetBucket = uniqueName('parquet-archive');

beforeAll(async () => {
  [dynamo, s3rver] = await Promise.all([startDynalite(), startS3rver()]);
  dynamodb = testDynamoDb(dynamo.endpoint, 10);
  s3 = testS3(s3rver.endpoint);
  objects = archivedObjects(FROM);
  expected = truth(declaration, objects, FROM, TO);
  dir = mkdtempSync(join(tmpdir(), 'backfill-'));
  aggregatesFile = join(dir, 'aggregates.json');
  writeFileSync(aggregatesFile, JSON.stringify(NEW_DECLARATION));
  await Promise.all([
    createBucket(s3, gzipBucket),
    createBucket(s3, parquetBucket),
    createBucket(s3, LOCAL_NAMES.archiveBucket),
    createAggregatesTable(dynamodb, LOCAL_NAMES.table),
  ]);
  await Promise.all([
    putGzipArchive(s3, gzipBucket, objects),
    putGzipArchive(s3, LOCAL_NAMES.archiveBucket, objects),
    putParquetArchive(s3, parquetBucket, objects),
  ]);
}, 180_000);

afterAll(async () => {
  await Promise.all([dynamo?.close(), s3rver?.close()]);
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function scan(table: string): Promise<Map<string, Item>> {
  const out = new Map<string, Item>();
  let start: Item | undefined;
  do {
    const page = await dynamodb.send(
      new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    for (const item of page.Items ?? []) out.set(`${item.pk.S} ${item.sk.S}`, item);
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return out;
}

/** The measures' attributes of each item, as comparable values: numbers, and sketches as hex. */
function measures(items: ReadonlyMap<string, Item>): Map<string, Record<string, number | string>> {
  const out = new Map<string, Record<string, number | string>>();
  for (const [id, item] of items) {
    const m: Record<string, number | string> = {};
    for (const [name, value] of Object.entries(item)) {
      const measure = Object.keys(declaration.measures).some((n) => name === n || name.startsWith(`${n}#`));
      if (!measure) continue;
      m[name] = value.N !== undefined ? Number(value.N) : Buffer.from(value.B!).toString('hex');
    }
    out.set(id, m);
  }
  return out;
}

const inRange = (items: ReadonlyMap<string, Item>): Map<string, Item> =>
  new Map([...items].filter(([, item]) => item.aggregate?.S === 'checkout'));

function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  return main(args, { write: (s: string) => ((out += s), true) }, { write: (s: string) => ((err += s), true) }).then(
    (code) => ({ code, out, err }),
  );
}

const port = (endpoint: string): string => new URL(endpoint).port;
const localArgs = (): string[] => [
  '--local',
  '--dynamodb-port',
  port(dynamo.endpoint),
  '--s3-port',
  port(s3rver.endpoint),
  '--aggregates',
  aggregatesFile,
  '--archive-buffer-seconds',
  '30',
];

/** The fixture's two hours of `checkout`, as JSON. */
const WHOLE_RANGE = [
  '--aggregate',
  'checkout',
  '--from',
  new Date(FROM).toISOString(),
  '--to',
  new Date(TO).toISOString(),
  '--json',
];

async function backfillInto(
  table: string,
  bucket: string,
  slice?: { index: number; count: number },
): Promise<BackfillSummary> {
  return runBackfill(
    {
      aggregate: plan.aggregates[0],
      fromMs: FROM,
      toMs: TO,
      settings: SETTINGS,
      nowMs: Date.now(),
      ...(slice ? { slice } : {}),
    },
    new ArchiveSource(s3, bucket),
    new BackfillStore(dynamodb, table, { ttlDays: 7 }),
    { flushItems: 200 },
  );
}

describe('npm run backfill -- --local', () => {
  it('computes a new declaration from the archive: equal to the truth computed from the events sent', async () => {
    const { code, out, err } = await cli([...localArgs(), ...WHOLE_RANGE]);
    expect(err).not.toMatch(/backfill failed/);
    expect(code).toBe(0);
    const summary = JSON.parse(out) as BackfillSummary;
    const stored = inRange(await scan(LOCAL_NAMES.table));
    expect(stored.size).toBe(expected.size);
    expect(measures(stored)).toEqual(measures(expected));
    // Readers' plain attributes are there, and the item says it was backfilled.
    const [one] = stored.values();
    expect(Object.keys(one)).toEqual(
      expect.arrayContaining([
        'aggregate',
        'window',
        'windowStart',
        'type',
        'attributes.page',
        'expiresAt',
        BACKFILLED_AT,
      ]),
    );
    const read = objectsRead(objects, FROM, TO, 10 * 60_000, 30_000);
    const poison = read.flatMap((o) => o.records).filter((r) => r.event === undefined).length;
    expect(summary).toMatchObject({
      aggregate: 'checkout',
      objects: read.length,
      poison,
      written: expected.size,
      deleted: 0,
    });
    expect(summary.late).toBeGreaterThan(0);
  }, 180_000);

  it('replaces on a rerun: the same numbers, stale items of those windows removed, others untouched', async () => {
    const first = await scan(LOCAL_NAMES.table);
    const [someId, someItem] = [...inRange(first)][0];
    await dynamodb.send(
      new PutItemCommand({
        TableName: LOCAL_NAMES.table,
        Item: {
          ...someItem,
          n: { N: '999999' },
          'w:0': { S: '0a1' },
          'r:0:02ab': { N: '1' },
          'h:0:02cd': { S: '0a0' },
          retired: { N: '3' },
        },
      }),
    );
    const staleKey = itemKey('checkout', '1m', declaration.groupBy, FROM + 5 * 60_000, ['purchase', '/nowhere']);
    const outsideKey = itemKey('checkout', '1m', declaration.groupBy, TO, ['purchase', '/home']);
    for (const key of [staleKey, outsideKey]) {
      await dynamodb.send(
        new PutItemCommand({
          TableName: LOCAL_NAMES.table,
          Item: { pk: { S: key.pk }, sk: { S: key.sk }, aggregate: { S: 'checkout' }, n: { N: '5' } },
        }),
      );
    }
    const { code, out } = await cli([...localArgs(), ...WHOLE_RANGE]);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ written: expected.size, deleted: 1 });
    const stored = inRange(await scan(LOCAL_NAMES.table));
    const outsideId = `${outsideKey.pk} ${outsideKey.sk}`;
    expect(stored.get(outsideId)?.n).toEqual({ N: '5' });
    stored.delete(outsideId);
    expect(stored.has(`${staleKey.pk} ${staleKey.sk}`)).toBe(false);
    expect(measures(stored)).toEqual(measures(expected));
    expect(stored.get(someId)?.n).toEqual(expected.get(someId)?.n);
    // Watermarks and redrive markers stay; holes and attributes no longer declared go.
    expect(stored.get(someId)).toMatchObject({ 'w:0': { S: '0a1' }, 'r:0:02ab': { N: '1' } });
    expect(stored.get(someId)).not.toHaveProperty(['h:0:02cd']);
    expect(stored.get(someId)).not.toHaveProperty('retired');
  }, 180_000);

  it('refuses a range that reaches a window still open to live writes, naming --to', async () => {
    const now = Date.now();
    const { code, err } = await cli([
      ...localArgs(),
      '--aggregate',
      'checkout',
      '--from',
      new Date(now - 3 * HOUR).toISOString(),
      '--to',
      new Date(now).toISOString(),
    ]);
    expect(code).toBe(2);
    expect(err).toMatch(/^--to: windows of "checkout" before .* are not all closed yet/);
    expect(err).toMatch(/The latest --to now is \d{4}-/);
    expect(err).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('writes nothing on a dry run, and says what it would write', async () => {
    const table = uniqueName('dry');
    await createAggregatesTable(dynamodb, table);
    const summary = await runBackfill(
      { aggregate: plan.aggregates[0], fromMs: FROM, toMs: TO, settings: SETTINGS, nowMs: Date.now() },
      new ArchiveSource(s3, gzipBucket),
      new BackfillStore(dynamodb, table, { ttlDays: 7, dryRun: true }),
    );
    expect(summary).toMatchObject({ dryRun: true, written: expected.size, deleted: 0 });
    expect((await scan(table)).size).toBe(0);
  }, 120_000);
});

describe('backfill from either archive format, whole or in slices', () => {
  let whole: Map<string, Item>;

  beforeAll(async () => {
    const table = uniqueName('whole');
    await createAggregatesTable(dynamodb, table);
    await backfillInto(table, gzipBucket);
    whole = await scan(table);
  }, 120_000);

  it('gives the same answers from GZIP NDJSON and from Parquet', async () => {
    const table = uniqueName('parquet');
    await createAggregatesTable(dynamodb, table);
    const summary = await backfillInto(table, parquetBucket);
    expect(summary.objects).toBe(objectsRead(objects, FROM, TO, 10 * 60_000, 30_000).length);
    const stored = await scan(table);
    expect(measures(stored)).toEqual(measures(whole));
    expect(measures(stored)).toEqual(measures(expected));
  }, 120_000);

  it('gives the same answers in slices as in one run, each window in exactly one slice', async () => {
    const table = uniqueName('sliced');
    await createAggregatesTable(dynamodb, table);
    const summaries: BackfillSummary[] = [];
    // Five slices of two one-hour units: three of them are empty, and say so.
    for (let index = 1; index <= 5; index++) summaries.push(await backfillInto(table, gzipBucket, { index, count: 5 }));
    expect(summaries.reduce((n, s) => n + s.written, 0)).toBe(expected.size);
    expect(summaries.filter((s) => s.windows > 0)).toHaveLength(2);
    expect(summaries.reduce((n, s) => n + s.windows, 0)).toBe(2 * 60 + 2);
    expect(measures(await scan(table))).toEqual(measures(whole));
  }, 180_000);
});
