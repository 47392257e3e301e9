import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AggregatesStore } from '../../lambda/aggregator/aggregates-store';
import { processBatch } from '../../lambda/aggregator/batch-processor';
import { DeadLetterStore } from '../../lambda/aggregator/dead-letter-store';
import { toInputRecords } from '../../lambda/aggregator/handler';
import { itemKey } from '../../lambda/shared/aggregate-item';
import { planAggregates } from '../../lambda/shared/aggregate-plan';
import { parseDeclarations } from '../../lambda/shared/declarations';
import { type ExpectFileV2, ExpectedAggregates } from '../../loadgen/expect';
import { main, parseVerifyOptions } from '../../verify/cli';
import {
  type Emulator,
  createAggregatesTable,
  createBucket,
  startDynalite,
  startS3rver,
  testDynamoDb,
  testObjectWriter,
  testS3,
  uniqueName,
} from '../support/emulators';
import { seeded } from '../support/faults';
import { kinesisEvent, streamRecords } from '../support/kinesis-events';
import { BY_KEY_DECLARATION } from '../support/declarations';
import { sdkItemClient } from '../../lambda/shared/sdk-clients';

let dynamo: Emulator;
let s3: Emulator;
const dir = mkdtempSync(join(tmpdir(), 'verify-'));

beforeAll(async () => {
  [dynamo, s3] = await Promise.all([startDynalite(), startS3rver()]);
});
afterAll(async () => {
  await Promise.all([dynamo?.close(), s3?.close()]);
});

/** Every measure op, a type filter, a group that may be missing, and two window sizes. */
const DECLARATIONS = {
  version: 2,
  aggregates: [
    BY_KEY_DECLARATION,
    {
      name: 'pages',
      types: ['page_view'],
      groupBy: ['attributes.page'],
      windows: ['1m', '1h'],
      measures: {
        views: { op: 'count' },
        mean_ms: { op: 'avg', of: 'attributes.ms' },
        users: { op: 'distinct', of: 'key' },
        latency: { op: 'quantiles', of: 'attributes.ms' },
        refs: { op: 'topK', of: 'attributes.ref', k: 3 },
      },
    },
    {
      name: 'totals',
      types: ['*'],
      groupBy: [],
      windows: ['1m'],
      measures: { events: { op: 'count' }, spent: { op: 'sum', of: 'attributes.amount' } },
    },
  ],
};
const declarationsFile = join(dir, 'aggregates.json');
writeFileSync(declarationsFile, JSON.stringify(DECLARATIONS));
const declarations = parseDeclarations(DECLARATIONS);
const BASE = Date.UTC(2026, 10, 23, 9, 40);

/** Seeded events with attributes, some poison among them. */
function payloads(seed: number, n: number): { partitionKey: string; data: Buffer }[] {
  const rand = seeded(seed);
  return Array.from({ length: n }, (_, i) => {
    const key = `user-${Math.floor(rand() * 400)}`;
    if (rand() < 0.02) return { partitionKey: key, data: Buffer.from('not json') };
    const attributes: Record<string, unknown> = { ms: Math.round(Math.exp(2 + 3 * rand()) * 10) / 10 };
    if (rand() < 0.9) attributes.page = `/p/${Math.floor(rand() ** 2 * 6)}`;
    if (rand() < 0.8) attributes.ref = `ref-${Math.floor(rand() ** 3 * 30)}`;
    if (rand() < 0.3) attributes.amount = Math.round(rand() * 10_000) / 100;
    if (rand() < 0.05) attributes.ms = 'slow';
    const event = {
      eventId: `e${i}`,
      eventTime: BASE + Math.floor(rand() * 4 * 60_000),
      type: rand() < 0.75 ? 'page_view' : 'purchase',
      key,
      value: Math.round(rand() * 2_000 - 500) / 100,
      attributes,
    };
    return { partitionKey: key, data: Buffer.from(JSON.stringify(event)) };
  });
}

/** A table filled by the real aggregator from seeded events, and the expect file of the same events. */
async function aggregated(seed: number): Promise<{ table: string; expectFile: string; file: ExpectFileV2 }> {
  const table = uniqueName('aggregates');
  const bucket = uniqueName('dead-letter').toLowerCase();
  const client = testDynamoDb(dynamo.endpoint);
  await Promise.all([createAggregatesTable(client, table), createBucket(testS3(s3.endpoint), bucket)]);
  const made = payloads(seed, 1500);
  const store = new AggregatesStore(sdkItemClient(client), table, { ttlDays: 7 });
  const plan = planAggregates(declarations, 7 * 86_400);
  const records = streamRecords(made);
  for (let i = 0; i < records.length; i += 300) {
    await processBatch(
      toInputRecords(kinesisEvent(records.slice(i, i + 300))),
      store,
      new DeadLetterStore(testObjectWriter(s3.endpoint), bucket),
      { plan },
    );
  }
  const expected = new ExpectedAggregates(declarations);
  for (const p of made) {
    try {
      expected.add(JSON.parse(p.data.toString()) as never);
    } catch {
      // Poison: the load generator's expect file leaves it out too.
    }
  }
  const expectFile = join(dir, `${table}.json`);
  expected.write(expectFile);
  return { table, expectFile, file: expected.toJSON() };
}

function capture(): { stream: Pick<NodeJS.WritableStream, 'write'>; text: () => string } {
  let text = '';
  const stream = { write: (chunk: string) => ((text += chunk), true) } as Pick<NodeJS.WritableStream, 'write'>;
  return { stream, text: () => text };
}

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = capture();
  const err = capture();
  const code = await main(args, out.stream, err.stream);
  return { code, out: out.text(), err: err.text() };
}

const local = (expectFile: string, table: string): string[] => [
  '--expect',
  expectFile,
  '--table',
  table,
  '--endpoint',
  dynamo.endpoint,
  '--aggregates',
  declarationsFile,
  '--wait',
  '0s',
];

describe('npm run verify', () => {
  it('finds every declared aggregate of the expect file in a table the aggregator wrote', async () => {
    const { table, expectFile, file } = await aggregated(11);
    const r = await run(local(expectFile, table));
    expect(r.out).toMatch(/^\d+ events in (\d+) aggregate items; \1 match in table /);
    for (const a of file.aggregates) {
      const n = a.items.length;
      expect(r.out).toContain(`  ${a.name} ${a.window}: ${n} item${n === 1 ? '' : 's'} checked, 0 mismatches\n`);
    }
    expect(r.out).toContain('OK: every expected aggregate is in the table');
    expect(r.code).toBe(0);
  });

  it('names each item that differs, is missing or should not be there, and exits 1', async () => {
    const { table, expectFile, file } = await aggregated(12);
    const client = testDynamoDb(dynamo.endpoint);
    const byKey = file.aggregates.find((a) => a.name === 'by_key')!;
    const pages = file.aggregates.find((a) => a.name === 'pages' && a.window === '1m')!;
    const changed = byKey.items[0];
    const removed = pages.items[0];
    const keyOf = (name: string, window: string, groupBy: readonly string[], i: typeof changed) => {
      const { pk, sk } = itemKey(
        name,
        window,
        groupBy,
        Date.parse(i.windowStart),
        groupBy.map((f) => i.group[f]),
      );
      return { pk: { S: pk }, sk: { S: sk } };
    };
    await client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: keyOf('by_key', '1m', byKey.groupBy, changed),
        UpdateExpression: 'ADD #c :one',
        ExpressionAttributeNames: { '#c': 'count' },
        ExpressionAttributeValues: { ':one': { N: '1' } },
      }),
    );
    const key = keyOf('pages', '1m', pages.groupBy, removed);
    const { Item } = await client.send(new GetItemCommand({ TableName: table, Key: key }));
    await client.send(new DeleteItemCommand({ TableName: table, Key: key }));
    const moved = keyOf('pages', '1m', pages.groupBy, { ...removed, group: { 'attributes.page': '/elsewhere' } });
    await client.send(
      new PutItemCommand({ TableName: table, Item: { ...Item, ...moved, 'attributes.page': { S: '/elsewhere' } } }),
    );

    const r = await run(local(expectFile, table));
    expect(r.code).toBe(1);
    const { type, key: k } = changed.group;
    expect(r.out).toContain(
      `by_key 1m / type=${type} key=${k} / ${changed.windowStart}: count ${changed.measures.count as number} expected, ${(changed.measures.count as number) + 1} found`,
    );
    const page = removed.group['attributes.page'] ?? 'null';
    expect(r.out).toContain(
      `pages 1m / attributes.page=${page} / ${removed.windowStart}: missing (expected ${removed.events} events)`,
    );
    expect(r.out).toContain(`pages 1m / attributes.page=/elsewhere / ${removed.windowStart}: stored, but no accepted`);
    expect(r.out).toContain(`  pages 1m: ${pages.items.length + 1} items checked, 2 mismatches\n`);
    expect(r.out).toContain('MISMATCH');

    const json = await run([...local(expectFile, table), '--json']);
    const items = file.aggregates.reduce((n, a) => n + a.items.length, 0);
    expect(JSON.parse(json.out)).toMatchObject({ ok: false, items, matched: items - 2, mismatchCount: 3 });
  });

  it('still checks a version 1 expect file, against by_key', async () => {
    const { table, file } = await aggregated(13);
    const v1 = join(dir, `${table}-v1.json`);
    writeFileSync(v1, JSON.stringify({ windowSeconds: file.windowSeconds, events: file.events, items: file.items }));
    const r = await run(local(v1, table));
    expect(r.out).toContain(`by_key 1m: ${file.items!.length} items checked, 0 mismatches`);
    expect(r.code).toBe(0);
  });

  it.each([
    [[], /^--expect: required/],
    [['--expect', 'x.json'], /^--stack: give exactly one/],
    [['--expect', 'x.json', '--stack', 's', '--table', 't'], /^--stack: give exactly one/],
    [['--expect', 'x.json', '--stack', 's', '--endpoint', 'http://127.0.0.1:1'], /^--endpoint: only with --table/],
    [['--expect', 'x.json', '--table', 't', '--endpoint', 'localhost'], /^--endpoint: expected a URL/],
    [['--expect', 'x.json', '--table', 't', '--wait', 'soon'], /^--wait: expected a duration/],
    [
      ['--expect', 'x.json', '--table', 't', '--aggregates', join(dir, 'none.json')],
      /^--aggregates: .*none\.json: cannot be read/,
    ],
  ])('refuses %j, naming the flag', (args, message) => {
    expect(() => parseVerifyOptions(args)).toThrow(message);
  });

  it('exits 2 for an unreadable or foreign expect file, or declarations that do not match it', async () => {
    const foreign = join(dir, 'foreign.json');
    writeFileSync(foreign, '{"items": 3}');
    expect((await run(['--expect', join(dir, 'none.json'), '--table', 't'])).err).toMatch(/^--expect: cannot read/);
    const r = await run(['--expect', foreign, '--table', 't']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^--expect: .* is not a load generator expect file/);

    const other = join(dir, 'other.json');
    writeFileSync(other, JSON.stringify({ ...DECLARATIONS, aggregates: DECLARATIONS.aggregates.slice(0, 2) }));
    new ExpectedAggregates(declarations).write(join(dir, 'empty-expect.json'));
    const wrong = await run(['--expect', join(dir, 'empty-expect.json'), '--table', 't', '--aggregates', other]);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(/^--aggregates: .*other\.json does not declare "totals", which the expect file holds/);
  });

  it('names the cause when the table is not at the endpoint, and what to check', async () => {
    const expected = new ExpectedAggregates(declarations);
    for (const p of payloads(13, 20)) {
      try {
        expected.add(JSON.parse(p.data.toString()) as never);
      } catch {
        // Poison: not expected.
      }
    }
    const expectFile = join(dir, 'small-expect.json');
    expected.write(expectFile);
    await expect(run(local(expectFile, 'no-such-table'))).rejects.toThrow(
      `--table: table "no-such-table" was not found at ${dynamo.endpoint}: check the name and --endpoint.`,
    );
  });

  it('prints its usage with --help and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: npm run verify');
    expect(r.out).toContain('--aggregates');
  });
});
