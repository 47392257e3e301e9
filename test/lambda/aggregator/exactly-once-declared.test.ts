import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AggregatesStore } from '../../../lambda/aggregator/aggregates-store';
import { type BatchStats, processBatch } from '../../../lambda/aggregator/batch-processor';
import { batchResponse, toInputRecords } from '../../../lambda/aggregator/handler';
import { planAggregates, windowStart } from '../../../lambda/shared/aggregate-plan';
import { parseDeclarations } from '../../../lambda/shared/declarations';
import { HeavyHitters } from '../../../lambda/shared/sketches/heavy-hitters';
import { HyperLogLog } from '../../../lambda/shared/sketches/hyperloglog';
import { QuantileSketch } from '../../../lambda/shared/sketches/quantile-sketch';
import {
  type Emulator,
  createAggregatesTable,
  startDynalite,
  testDynamoDb,
  testItemClient,
  uniqueName,
} from '../../support/emulators';
import { type FaultPlan, injectFaults, seeded } from '../../support/faults';
import { type StreamRecord, kinesisEvent, streamRecords } from '../../support/kinesis-events';
import { deliver, deliverWithReplays } from '../../support/lambda-driver';

/**
 * Exactly once for every measure, sketches included: whatever Lambda and DynamoDB do, each stored
 * item ends equal to the item built from the de-duplicated stream. Exact measures are checked
 * against sums computed here from the events; sketches byte for byte against sketches fed each
 * event once (HyperLogLog and DDSketch do not depend on order or merges; the top-K summary is exact,
 * and so order-free, while a group holds no more values than its capacity, as here).
 */
const DECLARATIONS = parseDeclarations({
  version: 2,
  aggregates: [
    {
      name: 'pages',
      types: ['view'],
      groupBy: ['attributes.page'],
      windows: ['1m', '1h'],
      measures: {
        views: { op: 'count' },
        users: { op: 'distinct', of: 'key' },
        latency: { op: 'quantiles', of: 'attributes.latencyMs' },
        referrers: { op: 'topK', of: 'attributes.referrer', k: 5 },
        total_ms: { op: 'sum', of: 'attributes.latencyMs' },
        fastest: { op: 'min', of: 'attributes.latencyMs' },
        slowest: { op: 'max', of: 'attributes.latencyMs' },
      },
    },
    {
      name: 'totals',
      types: ['*'],
      groupBy: [],
      windows: ['1m'],
      measures: { events: { op: 'count' }, keys: { op: 'distinct', of: 'key' }, mean: { op: 'avg', of: 'value' } },
    },
  ],
});
const PLAN = planAggregates(DECLARATIONS, 7 * 86_400);
const BASE = Date.UTC(2026, 10, 23, 9, 0);
const PAGES = ['/home', '/cart', '/search', '/p/1'];
const REFERRERS = Array.from({ length: 12 }, (_, i) => `ref-${i}.example`);

interface TruthItem {
  count: number;
  /** Exact, in hundredths or units as generated. */
  total: number;
  n: number;
  min?: number;
  max?: number;
  hll: HyperLogLog;
  quantiles?: QuantileSketch;
  top?: HeavyHitters;
}

interface Scenario {
  readonly payloads: { partitionKey: string; data: Buffer }[];
  /** `<aggregate>|<window>|<windowStart>|<group JSON>` → what the item must hold. */
  readonly truth: Map<string, TruthItem>;
}

function truthItem(truth: Map<string, TruthItem>, id: string, sketches: boolean): TruthItem {
  let t = truth.get(id);
  if (t === undefined) {
    t = {
      count: 0,
      total: 0,
      n: 0,
      hll: new HyperLogLog(),
      ...(sketches ? { quantiles: new QuantileSketch(0.01), top: new HeavyHitters(5) } : {}),
    };
    truth.set(id, t);
  }
  return t;
}

/** Seeded events with attributes present, missing, of the wrong type; the truth computed here. */
function scenario(seed: number, count: number, keys = 40): Scenario {
  const rand = seeded(seed);
  const payloads: { partitionKey: string; data: Buffer }[] = [];
  const truth = new Map<string, TruthItem>();
  for (let i = 0; i < count; i++) {
    const key = `user-${Math.floor(rand() * keys)}`;
    const type = rand() < 0.8 ? 'view' : 'click';
    const ms = BASE + Math.floor(rand() * 3 * 60_000);
    const page = rand() < 0.1 ? undefined : PAGES[Math.floor(rand() * PAGES.length)];
    const r = rand();
    const latency = r < 0.05 ? 'slow' : r < 0.1 ? undefined : Math.floor(1 + 2_000 * rand() ** 3);
    const referrer = rand() < 0.05 ? undefined : REFERRERS[Math.floor(REFERRERS.length * rand() ** 2)];
    const value = Math.floor(rand() * 1_000) / 4;
    const attributes: Record<string, unknown> = {};
    if (page !== undefined) attributes.page = page;
    if (latency !== undefined) attributes.latencyMs = latency;
    if (referrer !== undefined) attributes.referrer = referrer;
    payloads.push({
      partitionKey: key,
      data: Buffer.from(JSON.stringify({ eventId: `e${i}`, eventTime: ms, type, key, value, attributes })),
    });

    const total = truthItem(truth, `totals|1m|${windowStart(ms, 60_000)}|[]`, false);
    total.count++;
    total.hll.add(key);
    total.total += value * 4;
    total.n++;
    if (type !== 'view') continue;
    for (const [window, width] of [
      ['1m', 60_000],
      ['1h', 3_600_000],
    ] as const) {
      const t = truthItem(truth, `pages|${window}|${windowStart(ms, width)}|${JSON.stringify([page ?? null])}`, true);
      t.count++;
      t.hll.add(key);
      if (typeof latency === 'number') {
        t.quantiles!.add(latency);
        t.total += latency;
        t.n++;
        t.min = Math.min(t.min ?? Infinity, latency);
        t.max = Math.max(t.max ?? -Infinity, latency);
      }
      if (referrer !== undefined) t.top!.add(referrer);
    }
  }
  return { payloads, truth };
}

let dynamo: Emulator;

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo?.close();
});

interface Pipeline {
  invoke: (batch: StreamRecord[], shardId?: string) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
  items: () => Promise<Map<string, Record<string, AttributeValue>>>;
  stats: BatchStats[];
}

async function pipeline(options: { faults?: FaultPlan; sdkAttempts?: number } = {}): Promise<Pipeline> {
  const table = uniqueName('declared');
  const admin = testDynamoDb(dynamo.endpoint);
  await createAggregatesTable(admin, table);
  const client = testItemClient(dynamo.endpoint, options.sdkAttempts ?? (options.faults ? 1 : 3));
  if (options.faults) injectFaults(client, options.faults);
  // Two stores, as two Lambda containers would have: neither may trust the other's remembered items.
  const stores = new Map<string, AggregatesStore>();
  const stats: BatchStats[] = [];
  return {
    stats,
    invoke: async (batch, shardId = 'shardId-000000000000') => {
      let store = stores.get(shardId);
      if (store === undefined) {
        store = new AggregatesStore(client, table, { ttlDays: 7 });
        stores.set(shardId, store);
      }
      const result = await processBatch(
        toInputRecords(kinesisEvent(batch, shardId)),
        store,
        { put: () => Promise.resolve() },
        { plan: PLAN },
      );
      stats.push(result.stats);
      return batchResponse(result.failedSequenceNumbers);
    },
    items: async () => {
      const out = new Map<string, Record<string, AttributeValue>>();
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await admin.send(
          new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }),
        );
        for (const item of page.Items ?? []) {
          const aggregate = item.aggregate?.S;
          if (aggregate === undefined) continue;
          const sk = item.sk.S!;
          const group = sk.slice(sk.indexOf('#') + 1);
          out.set(`${aggregate}|${item.window.S}|${Date.parse(item.windowStart.S!)}|${group}`, item);
        }
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
      return out;
    },
  };
}

/** Every stored item equals its truth: exact measures as numbers, sketches as the same bytes. */
async function expectExact(p: Pipeline, truth: Map<string, TruthItem>, label = ''): Promise<void> {
  const items = await p.items();
  expect([...items.keys()].sort(), label).toEqual([...truth.keys()].sort());
  for (const [id, t] of truth) {
    const item = items.get(id)!;
    const hex = (v: AttributeValue | undefined) => Buffer.from(v?.B ?? []).toString('hex');
    if (id.startsWith('totals|')) {
      expect(Number(item.events.N), `${label} ${id} events`).toBe(t.count);
      expect(Number(item['mean#n'].N), `${label} ${id} mean#n`).toBe(t.n);
      expect(Math.round(Number(item['mean#sum'].N) * 4), `${label} ${id} mean#sum`).toBe(t.total);
      expect(hex(item.keys), `${label} ${id} keys`).toBe(Buffer.from(t.hll.encode()).toString('hex'));
      continue;
    }
    expect(Number(item.views.N), `${label} ${id} views`).toBe(t.count);
    expect(Number(item.total_ms.N), `${label} ${id} total_ms`).toBe(t.total);
    expect(item.fastest?.N === undefined ? undefined : Number(item.fastest.N), `${label} ${id} fastest`).toBe(t.min);
    expect(item.slowest?.N === undefined ? undefined : Number(item.slowest.N), `${label} ${id} slowest`).toBe(t.max);
    expect(hex(item.users), `${label} ${id} users`).toBe(Buffer.from(t.hll.encode()).toString('hex'));
    expect(hex(item.latency), `${label} ${id} latency`).toBe(Buffer.from(t.quantiles!.encode()).toString('hex'));
    expect(hex(item.referrers), `${label} ${id} referrers`).toBe(Buffer.from(t.top!.encode()).toString('hex'));
  }
}

function total(stats: BatchStats[], field: keyof BatchStats): number {
  return stats.reduce((sum, s) => sum + s[field], 0);
}

/** The group of a write (from its sort key), to aim faults at some items only. */
function groupOf(input: Record<string, unknown>): string {
  const key = (input.Key ?? input.Item) as { sk?: { S?: string } } | undefined;
  const sk = key?.sk?.S ?? '';
  return sk.slice(sk.indexOf('#') + 1);
}

const WRITES = new Set(['UpdateItemCommand', 'PutItemCommand']);

describe('declared aggregates, exactly once against dynalite', () => {
  it('applies a batch once when Lambda delivers it twice, and the redelivery adds nothing', async () => {
    const { payloads, truth } = scenario(1, 400);
    const p = await pipeline();
    const records = streamRecords(payloads);
    expect((await p.invoke(records)).batchItemFailures).toEqual([]);
    expect((await p.invoke(records)).batchItemFailures).toEqual([]);
    await expectExact(p, truth);
    const [, second] = p.stats;
    expect(second.skippedItems).toBe(second.aggregateItems);
  });

  it('keeps to the request budget: one write per exact item, at most a read and a write per sketch item', async () => {
    const { payloads, truth } = scenario(2, 2_000);
    const p = await pipeline();
    await deliver(streamRecords(payloads), (b) => p.invoke(b), 250);
    await expectExact(p, truth);
    const requests = total(p.stats, 'aggregateWrites') + total(p.stats, 'aggregateReads');
    expect(requests / total(p.stats, 'aggregateItems')).toBeLessThanOrEqual(2);
    // One container writing alone remembers its items, so most sketch writes need no read.
    expect(total(p.stats, 'aggregateReads')).toBeLessThan(total(p.stats, 'aggregateItems') / 2);
  });

  it('is exact when Lambda retries from a reported failure and redelivers what was applied', async () => {
    const { payloads, truth } = scenario(3, 600);
    let failuresLeft = 6;
    const p = await pipeline({
      faults: (command, input, phase) => {
        if (phase === 'send' && WRITES.has(command) && groupOf(input).includes('/cart') && failuresLeft > 0) {
          failuresLeft--;
          return 'fail';
        }
        return undefined;
      },
    });
    const run = await deliver(streamRecords(payloads), (b) => p.invoke(b), 200);
    expect(run.redeliveries).toBeGreaterThan(0);
    expect(failuresLeft).toBe(0);
    await expectExact(p, truth);
  });

  it('is exact across bisected halves of a batch that was partly applied', async () => {
    const { payloads, truth } = scenario(4, 300);
    const records = streamRecords(payloads);
    let failing = true;
    const p = await pipeline({
      faults: (command, input, phase) =>
        failing && phase === 'send' && WRITES.has(command) && groupOf(input).includes('/search') ? 'fail' : undefined,
    });
    expect((await p.invoke(records)).batchItemFailures).toHaveLength(1);
    failing = false;
    const half = Math.floor(records.length / 2);
    await deliver(records.slice(0, half), (b) => p.invoke(b), half);
    await deliver(records.slice(half), (b) => p.invoke(b), records.length - half);
    await expectExact(p, truth);
  });

  it('is exact when writes succeed but their answers are lost, retried by the client or by Lambda', async () => {
    const { payloads, truth } = scenario(5, 500);
    let lost = 0;
    const p = await pipeline({
      sdkAttempts: 2,
      faults: (command, _input, phase) =>
        phase === 'answer' && WRITES.has(command) && lost++ % 5 === 0 && lost < 60 ? 'lose-answer' : undefined,
    });
    await deliver(streamRecords(payloads), (b) => p.invoke(b), 100);
    await expectExact(p, truth);
    expect(total(p.stats, 'conditionalReplays')).toBeGreaterThan(0);
  });

  // Generous: it asserts results, never time, and CI machines are busy.
  it(
    'stays exact under a random schedule of failures, lost answers, batch sizes and replays',
    { timeout: 600_000 },
    async () => {
      for (const seed of [31, 32]) {
        const rand = seeded(seed);
        const { payloads, truth } = scenario(seed, 600, 12);
        const p = await pipeline({
          sdkAttempts: 2,
          faults: (command, _input, phase) => {
            if (!WRITES.has(command) && command !== 'GetItemCommand') return undefined;
            const r = rand();
            if (phase === 'send' && r < 0.03) return 'fail';
            if (phase === 'answer' && r < 0.03) return 'lose-answer';
            return undefined;
          },
        });
        const run = await deliverWithReplays(streamRecords(payloads), (b) => p.invoke(b), rand);
        expect(run.redeliveries).toBeGreaterThan(0);
        await expectExact(p, truth, `seed ${seed}`);
      }
    },
  );

  it('merges two shards writing the same sketch items at once, losing neither', { timeout: 300_000 }, async () => {
    const a = scenario(41, 500, 20);
    const b = scenario(42, 500, 20);
    const p = await pipeline();
    await Promise.all([
      deliver(streamRecords(a.payloads), (batch) => p.invoke(batch, 'shardId-000000000001'), 25),
      deliver(streamRecords(b.payloads), (batch) => p.invoke(batch, 'shardId-000000000002'), 25),
    ]);
    const merged = new Map<string, TruthItem>();
    for (const { truth } of [a, b]) {
      for (const [id, t] of truth) {
        const m = merged.get(id);
        if (m === undefined) {
          merged.set(id, t);
          continue;
        }
        m.count += t.count;
        m.total += t.total;
        m.n += t.n;
        m.min = t.min === undefined ? m.min : Math.min(m.min ?? Infinity, t.min);
        m.max = t.max === undefined ? m.max : Math.max(m.max ?? -Infinity, t.max);
        m.hll.merge(t.hll);
        if (t.quantiles) m.quantiles!.merge(t.quantiles);
        if (t.top) m.top!.merge(t.top);
      }
    }
    await expectExact(p, merged);
    const items = await p.items();
    // Both shards' watermarks sit on the items they both wrote.
    expect(
      Object.keys(items.get([...merged.keys()].find((k) => k.startsWith('totals|'))!)!)
        .filter((k) => k.startsWith('w:'))
        .sort(),
    ).toEqual(['w:1', 'w:2']);
  });
});
