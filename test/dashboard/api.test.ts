import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AggregatesStore } from '../../lambda/aggregator/aggregates-store';
import { processBatch } from '../../lambda/aggregator/batch-processor';
import type { InputRecord } from '../../lambda/aggregator/core';
import { AggregatesReader } from '../../dashboard/aggregates-reader';
import { type ApiContext, handleApi } from '../../dashboard/api';
import { planAggregates } from '../../lambda/shared/aggregate-plan';
import { parseDeclarations, toJson } from '../../lambda/shared/declarations';
import { PROJECT_AGGREGATES_FILE, loadDeclarationsFile } from '../../lambda/shared/declarations-file';
import { type Emulator, createAggregatesTable, startDynalite, testDynamoDb, uniqueName } from '../support/emulators';
import { sequenceNumbers } from '../support/kinesis-events';
import { sdkItemClient } from '../../lambda/shared/sdk-clients';

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

/** page_view events for the `pages` declaration: (minute, user, page or none, latency, referrer). */
const PAGE_VIEWS: [number, string, string | undefined, number, string][] = [
  [0, 'u1', '/home', 100, 'google.com'],
  [0, 'u2', '/home', 200, 'google.com'],
  [0, 'u1', '/home', 300, 't.co'],
  [0, 'u3', '/cart', 50, 'google.com'],
  [0, 'u4', undefined, 70, '(direct)'],
  [1, 'u1', '/home', 400, 't.co'],
];

const DECLARATIONS = loadDeclarationsFile(PROJECT_AGGREGATES_FILE);

beforeAll(async () => {
  dynamo = await startDynalite();
  const table = uniqueName('api');
  const client = testDynamoDb(dynamo.endpoint);
  await createAggregatesTable(client, table);
  const payloads = [
    ...EVENTS.map(([type, key, minute, value], i) => ({
      eventId: `${i}`,
      eventTime: T0 + minute * 60_000 + 5_000,
      type,
      key,
      value,
    })),
    ...PAGE_VIEWS.map(([minute, key, page, latencyMs, referrer], i) => ({
      eventId: `p${i}`,
      eventTime: T0 + minute * 60_000 + 5_000,
      type: 'page_view',
      key,
      attributes: { ...(page === undefined ? {} : { page }), latencyMs, referrer },
    })),
  ];
  const seqs = sequenceNumbers(payloads.length);
  const records: InputRecord[] = payloads.map((event, i) => ({
    shardId: 'shardId-000000000000',
    sequenceNumber: seqs[i],
    partitionKey: event.key,
    data: Buffer.from(JSON.stringify(event)).toString('base64'),
    approximateArrivalTimestamp: T0 / 1000,
  }));
  const store = new AggregatesStore(sdkItemClient(client), table, { ttlDays: 1 });
  await processBatch(records, store, { put: () => Promise.resolve() }, { plan: planAggregates(DECLARATIONS, 86_400) });
  let faultRate = 0;
  ctx = {
    reader: new AggregatesReader(client, table),
    declarations: DECLARATIONS,
    faults: {
      get: () => ({ dynamodbWriteFailRate: faultRate }),
      set: (rate) => {
        faultRate = rate;
      },
    },
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

interface V2Body {
  aggregate: string;
  window: string;
  items: { group: Record<string, string | null>; windowStart?: string; measures: Record<string, unknown> }[];
  error: string;
}

async function get(path: string, context: ApiContext = ctx): Promise<{ status: number; body: Body }> {
  const url = new URL(path, 'http://x');
  return (await handleApi(context, url.pathname, url.searchParams)) as { status: number; body: Body };
}

async function getV2(path: string): Promise<{ status: number; body: V2Body }> {
  const url = new URL(path, 'http://x');
  return (await handleApi(ctx, url.pathname, url.searchParams)) as { status: number; body: V2Body };
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
    expect(r.body.types.map((t) => t.type).sort()).toEqual(['click', 'page_view', 'view']);
  });

  it('reports health, stats without a source, and 404s', async () => {
    expect((await get('/api/health')).body).toMatchObject({ ok: true, mode: 'local', windowSeconds: 60 });
    expect((await get('/api/stats')).body).toEqual({ poisonRecords: null, lagMs: null, failedBatches: null });
    expect((await get('/api/nope')).status).toBe(404);
  });
});

const range = `from=${iso(0)}&to=${iso(5)}`;

describe('v2: GET /api/definitions', () => {
  it('answers the validated declarations as the file states them', async () => {
    const r = await get('/api/definitions');
    expect(r.status).toBe(200);
    expect(r.body).toEqual(toJson(DECLARATIONS));
  });
});

describe('v2: GET /api/aggregates', () => {
  it('answers per-window totals and the top keys of a type from by_type', async () => {
    const r = await getV2(`/api/aggregates?aggregate=by_type&window=1m&${range}&type=click`);
    expect(r.status).toBe(200);
    expect(r.body.aggregate).toBe('by_type');
    expect(r.body.items.map((i) => [i.windowStart, i.group, i.measures.count, i.measures.sum])).toEqual([
      [iso(0), { type: 'click' }, 3, 6],
      [iso(1), { type: 'click' }, 1, 4],
      [iso(2), { type: 'click' }, 2, 15],
      [iso(3), { type: 'click' }, 1, 1],
    ]);
    expect(r.body.items[0].measures.top_keys).toEqual([
      { value: 'a', count: 2 },
      { value: 'b', count: 1 },
    ]);
  });

  it('answers every measure the way people read it: numbers, quantile objects, ranked top-K', async () => {
    const r = await getV2(`/api/aggregates?aggregate=pages&window=1m&${range}`);
    const byPage = new Map(
      r.body.items.filter((i) => i.windowStart === iso(0)).map((i) => [i.group['attributes.page'], i.measures]),
    );
    // A missing attribute groups under null.
    expect([...byPage.keys()].sort()).toEqual(['/cart', '/home', null]);
    const home = byPage.get('/home')!;
    expect(home.views).toBe(3);
    expect(home.users).toBe(2);
    expect(home.referrers).toEqual([
      { value: 'google.com', count: 2 },
      { value: 't.co', count: 1 },
    ]);
    const latency = home.latency as Record<string, number>;
    expect(Object.keys(latency)).toEqual(['p50', 'p90', 'p95', 'p99']);
    // Nearest rank of 100, 200, 300: p50 is 200, p90..p99 are 300, each within 1 %.
    expect(latency.p50).toBeGreaterThanOrEqual(198);
    expect(latency.p50).toBeLessThanOrEqual(202);
    expect(latency.p99).toBeGreaterThanOrEqual(297);
    expect(latency.p99).toBeLessThanOrEqual(303);
  });

  it('filters by group fields and answers the quantiles asked for', async () => {
    const r = await getV2(`/api/aggregates?aggregate=pages&window=1h&${range}&attributes.page=%2Fhome&q=0.5,0.999`);
    expect(r.body.window).toBe('1h');
    expect(r.body.items).toHaveLength(1);
    expect(r.body.items[0].group).toEqual({ 'attributes.page': '/home' });
    expect(r.body.items[0].measures.views).toBe(4);
    expect(Object.keys(r.body.items[0].measures.latency as object)).toEqual(['p50', 'p99.9']);
  });

  it('answers a group filter that matches nothing with no items, and v1 keys through by_key', async () => {
    expect(
      (await getV2(`/api/aggregates?aggregate=pages&window=1m&${range}&attributes.page=%2Fnone`)).body.items,
    ).toEqual([]);
    const r = await getV2(`/api/aggregates?aggregate=by_key&${range}&type=click&key=a`);
    expect(r.body.window).toBe('1m');
    expect(r.body.items.map((i) => i.measures.count)).toEqual([2, 1, 1]);
  });

  it.each([
    [`window=1m&${range}`, 'aggregate: required'],
    [`aggregate=nope&${range}`, 'aggregate: no declaration "nope"'],
    [`aggregate=pages&window=5m&${range}`, 'window: "pages" is declared with 1m, 1h, not "5m"'],
    [`aggregate=pages&window=1m&${range}&page=x`, 'page: not a parameter, nor a group field of "pages"'],
    [`aggregate=pages&window=1m&${range}&q=2`, 'q: must be up to 20 comma-separated quantiles'],
    [`aggregate=pages&window=1m&from=${iso(0)}`, 'to: required'],
  ])('answers ?%s with a 400 naming the parameter', async (query, error) => {
    const r = await getV2(`/api/aggregates?${query}`);
    expect(r.status).toBe(400);
    expect(r.body.error.startsWith(error)).toBe(true);
  });
});

describe('v2: GET /api/top', () => {
  it('ranks groups by an exact measure over the last minutes, merging their windows and sketches', async () => {
    const r = await getV2('/api/top?aggregate=pages&window=1m&minutes=10&by=views&limit=2');
    expect(r.status).toBe(200);
    expect(r.body.items.map((i) => [i.group['attributes.page'], i.measures.views, i.measures.users])).toEqual([
      ['/home', 4, 2],
      ['/cart', 1, 1],
    ]);
    expect(r.body.items[0].measures.referrers).toEqual(
      [
        { value: 't.co', count: 2 },
        { value: 'google.com', count: 2 },
      ].sort((a, b) => (a.value < b.value ? -1 : 1)),
    );
  });

  it.each([
    ['aggregate=pages&by=users', 'by: must name an exact measure of "pages": views'],
    ['aggregate=pages&minutes=0', 'minutes: must be an integer from 1 to 10080'],
  ])('answers ?%s with a 400 naming the parameter', async (query, error) => {
    const r = await getV2(`/api/top?${query}`);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe(error);
  });
});

describe('v1 calls without by_key', () => {
  it('answer 404 saying which declaration they read', async () => {
    const declarations = parseDeclarations({
      version: 2,
      aggregates: [{ name: 'totals', types: ['*'], windows: ['1m'], measures: { n: { op: 'count' } } }],
    });
    const r = await get(`/api/aggregates?type=click&${range}`, { ...ctx, declarations });
    expect(r.status).toBe(404);
    expect(r.body.error).toMatch(/^the v1 calls read the "by_key" declaration/);
    expect((await get('/api/top?type=click', { ...ctx, declarations })).status).toBe(404);
  });
});

describe('local faults', () => {
  it('reads and sets the injected write failure rate, and refuses a bad one', async () => {
    const post = (body: unknown) => handleApi(ctx, '/api/local/faults', new URLSearchParams(), 'POST', body);
    expect((await handleApi(ctx, '/api/local/faults', new URLSearchParams())).body).toEqual({
      dynamodbWriteFailRate: 0,
    });
    expect(await post({ dynamodbWriteFailRate: 0.25 })).toEqual({ status: 200, body: { dynamodbWriteFailRate: 0.25 } });
    expect(await post({ dynamodbWriteFailRate: 2 })).toEqual({
      status: 400,
      body: { error: 'dynamodbWriteFailRate: required, a number from 0 to 1' },
    });
    await post({ dynamodbWriteFailRate: 0 });
  });

  it('does not exist against a deployed stack', async () => {
    const deployed: ApiContext = { ...ctx, mode: 'aws', faults: undefined };
    const r = await handleApi(deployed, '/api/local/faults', new URLSearchParams(), 'POST', {});
    expect(r.status).toBe(404);
  });
});
