import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AggregatesStore } from '../../lambda/aggregator/aggregates-store';
import { processBatch } from '../../lambda/aggregator/batch-processor';
import { DeadLetterStore } from '../../lambda/aggregator/dead-letter-store';
import { toInputRecords } from '../../lambda/aggregator/handler';
import { AGGREGATE_ATTR, partitionKey } from '../../lambda/shared/aggregate-item';
import { ExpectedAggregates } from '../../loadgen/expect';
import { parseExpectFile } from '../../verify/compare';
import { main, parseVerifyOptions } from '../../verify/cli';
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
import { generateEvents } from '../support/events';
import { kinesisEvent, streamRecords } from '../support/kinesis-events';

let dynamo: Emulator;
let s3: Emulator;
const dir = mkdtempSync(join(tmpdir(), 'verify-'));

beforeAll(async () => {
  [dynamo, s3] = await Promise.all([startDynalite(), startS3rver()]);
});
afterAll(async () => {
  await Promise.all([dynamo?.close(), s3?.close()]);
});

/** A table filled by the real aggregator from seeded events, and the expect file of the same events. */
async function aggregated(seed: number): Promise<{ table: string; expectFile: string }> {
  const table = uniqueName('aggregates');
  const bucket = uniqueName('dead-letter').toLowerCase();
  const client = testDynamoDb(dynamo.endpoint);
  await Promise.all([createAggregatesTable(client, table), createBucket(testS3(s3.endpoint), bucket)]);
  const { payloads } = generateEvents(seed, 600, { keys: 8, poisonRate: 0.02 });
  const store = new AggregatesStore(client, table, { windowSeconds: 60, ttlDays: 7 });
  const records = streamRecords(payloads);
  for (let i = 0; i < records.length; i += 200) {
    await processBatch(
      toInputRecords(kinesisEvent(records.slice(i, i + 200))),
      store,
      new DeadLetterStore(testS3(s3.endpoint), bucket),
      { windowSeconds: 60 },
    );
  }
  const expected = new ExpectedAggregates(60);
  for (const p of payloads) {
    try {
      expected.add(JSON.parse(p.data.toString()) as never);
    } catch {
      // Poison: the load generator's expect file leaves it out too.
    }
  }
  const expectFile = join(dir, `${table}.json`);
  expected.write(expectFile);
  return { table, expectFile };
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

describe('npm run verify', () => {
  it('finds every expected aggregate in a table the aggregator wrote', async () => {
    const { table, expectFile } = await aggregated(11);
    const r = await run(['--expect', expectFile, '--table', table, '--endpoint', dynamo.endpoint, '--wait', '0s']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\d+ events in (\d+) aggregate items; \1 match in table /);
    expect(r.out).toContain('OK: every expected aggregate is in the table');
  });

  it('names each item that differs or is missing, and exits 1', async () => {
    const { table, expectFile } = await aggregated(12);
    const want = parseExpectFile((await import('node:fs')).readFileSync(expectFile, 'utf8'), expectFile);
    const [changed, removed] = want.items;
    const client = testDynamoDb(dynamo.endpoint);
    const key = (i: typeof changed): Record<string, { S: string }> => ({
      [AGGREGATE_ATTR.pk]: { S: partitionKey(i.type, i.key) },
      [AGGREGATE_ATTR.sk]: { S: i.windowStart },
    });
    await client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: key(changed),
        UpdateExpression: 'ADD #c :one',
        ExpressionAttributeNames: { '#c': AGGREGATE_ATTR.count },
        ExpressionAttributeValues: { ':one': { N: '1' } },
      }),
    );
    await client.send(new DeleteItemCommand({ TableName: table, Key: key(removed) }));
    const r = await run(['--expect', expectFile, '--table', table, '--endpoint', dynamo.endpoint, '--wait', '0s']);
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      `${changed.type} / ${changed.key} / ${changed.windowStart}: count ${changed.count} expected, ${changed.count + 1} found`,
    );
    expect(r.out).toContain(`${removed.type} / ${removed.key} / ${removed.windowStart}: missing`);
    expect(r.out).toContain('MISMATCH');
    const json = await run([
      '--expect',
      expectFile,
      '--table',
      table,
      '--endpoint',
      dynamo.endpoint,
      '--wait',
      '0s',
      '--json',
    ]);
    expect(JSON.parse(json.out)).toMatchObject({ items: want.items.length, matched: want.items.length - 2 });
  });

  it.each([
    [[], /^--expect: required/],
    [['--expect', 'x.json'], /^--stack: give exactly one/],
    [['--expect', 'x.json', '--stack', 's', '--table', 't'], /^--stack: give exactly one/],
    [['--expect', 'x.json', '--stack', 's', '--endpoint', 'http://127.0.0.1:1'], /^--endpoint: only with --table/],
    [['--expect', 'x.json', '--table', 't', '--endpoint', 'localhost'], /^--endpoint: expected a URL/],
    [['--expect', 'x.json', '--table', 't', '--wait', 'soon'], /^--wait: expected a duration/],
  ])('refuses %j, naming the flag', (args, message) => {
    expect(() => parseVerifyOptions(args)).toThrow(message);
  });

  it('exits 2 for an unreadable or foreign expect file', async () => {
    const foreign = join(dir, 'foreign.json');
    writeFileSync(foreign, '{"items": 3}');
    expect((await run(['--expect', join(dir, 'none.json'), '--table', 't'])).err).toMatch(/^--expect: cannot read/);
    const r = await run(['--expect', foreign, '--table', 't']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^--expect: .* is not a load generator expect file/);
  });
});
