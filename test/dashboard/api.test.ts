import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AggregatesStore } from '../../lambda/aggregator/aggregates-store';
import { processBatch } from '../../lambda/aggregator/batch-processor';
import type { InputRecord } from '../../lambda/aggregator/core';
import { AggregatesReader } from '../../dashboard/aggregates-reader';
import { type ApiContext, handleApi } from '../../dashboard/api';
import { type Emulator, createAggregatesTable, startDynalite, testDynamoDb, uniqueName } from '../support/emulators';
import { sequenceNumbers } from '../support/kinesis-events';

const T0 = Date.UTC(2026, 10, 23, 9, 0);
let dynamo: Emulator;
let ctx: ApiContext;

/** Events as (type, key, minute offset, value); written through the real aggregator path. */
const EVENTS: [string, string, number, number][] = [
  ['click', 'b', 0, 1],
  ['click', 'a', 0, 2],
  ['click', 'a', 0, 3],
  ['click', 'a', 1, 4],
  ['click', 'c', 2, 10],
  ['click', 'ünïcødé-🚀', 2, 5],
  ['click', 'a', 3, 1],
  ['view', 'a', 0, 7],
];

beforeAll(async () => {
  dynamo = await startDynalite();
  const table = uniqueName('api');
  const client = testDynamoDb(dynamo.endpoint);
  await createAggregatesTable(client, table);
  const seqs = sequenceNumbers(EVENTS.length);
  const records: InputRecord[] = EVENTS.map(([type, key, minute, value], i) => ({
    shardId: 'shardId-000000000000',
    sequenceNumber: seqs[i],
    partitionKey: key,
    data: Buffer.from(
      JSON.stringify({ eventId: `${i}`, eventTime: T0 + minute * 60_000 + 5_000, type, key, value }),
    ).toString('base64'),
    approximateArrivalTimestamp: T0 / 1000,
  }));
  const store = new AggregatesStore(client, table, { windowSeconds: 60, ttlDays: 1 });
  await processBatch(records, store, { put: () => Promise.resolve() }, { windowSeconds: 60 });
  ctx = {
    reader: new AggregatesReader(client, table),
    windowSeconds: 60,
    mode: 'local',
    tableName: table,
    now: () => T0 + 3 * 60_000 + 30_000,
  };
});

afterAll(async () => {
  await dynamo?.close();
});

interface Body {
  items: { key: string; windowStart: string; count: number }[];
  types: { type: string }[];
  error: string;
}

async function get(path: string): Promise<{ status: number; body: Body }> {
  const url = new URL(path, 'http://x');
  return (await handleApi(ctx, url.pathname, url.searchParams)) as { status: number; body: Body };
}

const iso = (minute: number): string => new Date(T0 + minute * 60_000).toISOString();

describe('GET /api/aggregates', () => {
  it('returns every key of a type with from <= windowStart < to, sorted by window then key', async () => {
    const r = await get(`/api/aggregates?type=click&from=${iso(0)}&to=${iso(3)}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      type: 'click',
      windowSeconds: 60,
      items: [
        { key: 'a', windowStart: iso(0), count: 2, sum: 5, min: 2, max: 3 },
        { key: 'b', windowStart: iso(0), count: 1, sum: 1, min: 1, max: 1 },
        { key: 'a', windowStart: iso(1), count: 1, sum: 4, min: 4, max: 4 },
        { key: 'c', windowStart: iso(2), count: 1, sum: 10, min: 10, max: 10 },
        { key: 'ünïcødé-🚀', windowStart: iso(2), count: 1, sum: 5, min: 5, max: 5 },
      ],
    });
  });

  it('reads one key over time from the table', async () => {
    const r = await get(`/api/aggregates?type=click&key=a&from=${iso(1)}&to=${iso(4)}`);
    expect(r.body.items.map((i) => [i.windowStart, i.count])).toEqual([
      [iso(1), 1],
      [iso(3), 1],
    ]);
  });

  it('accepts offsets in from and to', async () => {
    const r = await get(`/api/aggregates?type=view&from=2026-11-23T10:00:00%2B01:00&to=2026-11-23T10:01:00%2B01:00`);
    expect(r.body.items).toEqual([{ key: 'a', windowStart: iso(0), count: 1, sum: 7, min: 7, max: 7 }]);
  });

  it.each([
    ['', 'type: required'],
    ['type=bad%20type&from=2026-11-23T09:00:00Z&to=2026-11-23T10:00:00Z', 'type: must match'],
    ['type=click&to=2026-11-23T10:00:00Z', 'from: required'],
    ['type=click&from=9am&to=2026-11-23T10:00:00Z', 'from: must be ISO-8601'],
    ['type=click&from=2026-11-23T09:00:00Z', 'to: required'],
    ['type=click&from=2026-11-23T10:00:00Z&to=2026-11-23T09:00:00Z', 'to: must be later than from'],
    ['type=click&from=2026-11-01T00:00:00Z&to=2026-11-23T00:00:00Z', 'to: the range may span at most 7 days'],
    [`type=click&from=2026-11-23T09:00:00Z&to=2026-11-23T10:00:00Z&key=${'k'.repeat(257)}`, 'key: at most 256'],
  ])('answers ?%s with a 400 naming the parameter', async (query, error) => {
    const r = await get(`/api/aggregates?${query}`);
    expect(r.status).toBe(400);
    expect(r.body.error.startsWith(error)).toBe(true);
  });
});

describe('GET /api/top', () => {
  it('ranks keys over the last minutes by count, summing their windows', async () => {
    const r = await get('/api/top?type=click&minutes=5&by=count&limit=2');
    expect(r.body).toEqual({
      type: 'click',
      minutes: 5,
      by: 'count',
      items: [
        { key: 'a', count: 4, sum: 10, min: 1, max: 4 },
        { key: 'b', count: 1, sum: 1, min: 1, max: 1 },
      ],
    });
  });

  it('ranks by sum, and only over the windows of the last minutes', async () => {
    const bySum = await get('/api/top?type=click&minutes=5&by=sum&limit=3');
    expect(bySum.body.items.map((i) => i.key)).toEqual(['a', 'c', 'ünïcødé-🚀']);
    const recent = await get('/api/top?type=click&minutes=1');
    expect(recent.body.items.map((i) => [i.key, i.count])).toEqual([
      ['a', 1],
      ['c', 1],
      ['ünïcødé-🚀', 1],
    ]);
  });

  it.each([
    ['type=click&minutes=0', 'minutes: must be an integer from 1 to 1440'],
    ['type=click&limit=1000', 'limit: must be an integer from 1 to 100'],
    ['type=click&by=avg', 'by: must be count or sum'],
    ['minutes=5', 'type: required'],
  ])('answers ?%s with a 400 naming the parameter', async (query, error) => {
    const r = await get(`/api/top?${query}`);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe(error);
  });
});

describe('other endpoints', () => {
  it('lists the types from the types partition', async () => {
    const r = await get('/api/types');
    expect(r.body.types.map((t) => t.type).sort()).toEqual(['click', 'view']);
  });

  it('reports health, stats without a source, and 404s', async () => {
    expect((await get('/api/health')).body).toMatchObject({ ok: true, mode: 'local', windowSeconds: 60 });
    expect((await get('/api/stats')).body).toEqual({ poisonRecords: null, lagMs: null, failedBatches: null });
    expect((await get('/api/nope')).status).toBe(404);
  });
});
