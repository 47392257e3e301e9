import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  type AggregatesStore as Store,
  AggregatesStore,
  type DeltaSource,
} from '../lambda/aggregator/aggregates-store';
import { type AggregateWriter, type DeadLetterWriter, processBatch } from '../lambda/aggregator/batch-processor';
import type { InputRecord, ItemDelta } from '../lambda/aggregator/core';
import { type AggregatePlan, type PlannedAggregate, windowStart } from '../lambda/shared/aggregate-plan';
import { BY_TYPE_PROJECTION } from '../lambda/shared/aggregate-item';
import { BY_KEY } from '../lambda/shared/declarations';
import { PROFILES, type Stage } from '../lib/config';
import { EventGenerator, type ScenarioName } from '../loadgen/scenarios';
import { declarationSignature, provisionedShards, onDemandShards } from '../cost/model';
import { aggregatesTableDefinition } from '../lambda/shared/table-definition';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { startDynalite, testDynamoDb, uniqueName } from '../test/support/emulators';
import { BENCH_START_MS, defaultPlan, itemBytes, meterCapacity, readUnits, ShardStream, writeUnits } from './events';
import type { ItemSizeInput, RequestsPerItem, WritesCostInputs } from '../cost/measured-inputs';
import type { BenchResult } from './harness';
import { seededRandom as seeded } from '../loadgen/random';
import { sdkItemClient } from '../lambda/shared/sdk-clients';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** DynamoDB's limit per partition (Developer Guide, "Partitions and data distribution"). */
export const PARTITION_WCU_PER_SECOND = 1_000;
export const PARTITION_RCU_PER_SECOND = 3_000;
/** The rate of the hot-item question: "keep it under the per-partition limit at 10,000 events/s". */
const HOT_RATE = 10_000;
const HOT_EVENT_BYTES = 1_024;

interface Tally {
  items: number;
  writes: number;
  reads: number;
  skipped: number;
}

/** The store, counting each item's requests by the declaration it belongs to. */
class CountingWriter implements AggregateWriter {
  constructor(
    readonly store: Store,
    readonly tallies: Map<string, Tally> = new Map(),
  ) {}

  async apply(delta: ItemDelta, source: DeltaSource): ReturnType<Store['apply']> {
    const outcome = await this.store.apply(delta, source);
    const name = delta.aggregate.name;
    let t = this.tallies.get(name);
    if (t === undefined) {
      t = { items: 0, writes: 0, reads: 0, skipped: 0 };
      this.tallies.set(name, t);
    }
    t.items++;
    t.writes += outcome.writes;
    t.reads += outcome.reads;
    if (outcome.skipped) t.skipped++;
    return outcome;
  }

  recordTypes(types: Iterable<string>): Promise<void> {
    return this.store.recordTypes(types);
  }
}

const NO_DEAD_LETTERS: DeadLetterWriter = {
  put: () => Promise.reject(new Error('the benchmark streams carry no poison records')),
};

function sumTallies(tallies: ReadonlyMap<string, Tally>, names: readonly string[]): Tally {
  const total = { items: 0, writes: 0, reads: 0, skipped: 0 };
  for (const n of names) {
    const t = tallies.get(n);
    if (t === undefined) continue;
    total.items += t.items;
    total.writes += t.writes;
    total.reads += t.reads;
    total.skipped += t.skipped;
  }
  return total;
}

const perItem = (t: Tally): number => (t.writes + t.reads) / Math.max(1, t.items);

async function scanAll(client: DynamoDBClient, table: string): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

async function createTable(client: DynamoDBClient, byTypeIndex = false): Promise<string> {
  const table = uniqueName('bench-writes');
  await client.send(new CreateTableCommand(aggregatesTableDefinition(table, { byTypeIndex })));
  return table;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)];
};
const groupKey = (item: Record<string, AttributeValue>, plan: PlannedAggregate): string =>
  JSON.stringify(plan.groupBy.map((f) => item[f]?.S ?? null));
const bytes = (n: number): string => `${Math.round(n).toLocaleString('en-US')} B`;
const wcu = (n: number): string => `${writeUnits(n)} WCU`;

/**
 * Folds a whole window of one scenario at 1,000 events/s (in memory, from the load generator's own
 * events) into every group of the declarations that take them, and returns each group's states.
 */
function foldFullWindow(
  aggregates: readonly PlannedAggregate[],
  window: string,
  scenario: ScenarioName,
): Map<string, Map<string, { states: Map<string, unknown>; events: number }>> {
  const out = new Map<string, Map<string, { states: Map<string, unknown>; events: number }>>();
  const wanted = aggregates.filter((a) => a.declaration.windows.includes(window));
  if (wanted.length === 0) return out;
  const seconds = wanted[0].windowsMs[wanted[0].declaration.windows.indexOf(window)] / 1000;
  const rate = 1_000;
  const start = windowStart(BENCH_START_MS, seconds * 1000);
  const generator = new EventGenerator({
    scenario,
    seed: 3,
    keys: scenario === 'clickstream' ? 1_000 : scenario === 'iot' ? 200 : 40,
    poisonRate: 0,
    startMs: start,
    rate,
    keepValid: true,
  });
  for (const a of wanted) out.set(a.name, new Map());
  for (let i = 0; i < seconds * rate; i++) {
    const [e] = generator.next().valid;
    for (const a of wanted) {
      if (!a.matches(e.type)) continue;
      const groups = out.get(a.name)!;
      const id = JSON.stringify(a.groupOf(e));
      let g = groups.get(id);
      if (g === undefined) {
        g = { states: new Map(a.measures.map((m) => [m.name, m.kind.create(m.declaration)])), events: 0 };
        groups.set(id, g);
      }
      g.events++;
      for (const m of a.measures) {
        const input = m.input(e);
        if (input !== undefined)
          g.states.set(m.name, m.kind.add(g.states.get(m.name), m.kind.input === 'none' ? undefined : input));
      }
    }
  }
  return out;
}

/** The item as stored, with its measures replaced by the given states: its size at the end of the window. */
function withStates(
  item: Record<string, AttributeValue>,
  aggregate: PlannedAggregate,
  states: ReadonlyMap<string, unknown>,
): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  const names = aggregate.measures.map((m) => m.name);
  for (const [attribute, value] of Object.entries(item)) {
    if (!names.some((n) => attribute === n || attribute.startsWith(`${n}#`))) out[attribute] = value;
  }
  for (const m of aggregate.measures) Object.assign(out, m.kind.store(m.name, states.get(m.name)));
  return out;
}

const SCENARIO_OF: Readonly<Record<string, ScenarioName>> = {
  by_key: 'clickstream',
  by_type: 'clickstream',
  pages: 'clickstream',
  routes_by_region: 'logs',
  temperature: 'iot',
};

export interface WritesBench {
  readonly results: BenchResult[];
  readonly costInputs: WritesCostInputs;
}

/**
 * DynamoDB requests and capacity per stored item per batch, against dynalite, with the default
 * declarations (aggregates.json) and the load generator's events: three shards, one per scenario
 * (clickstream 20,000 records, logs and iot 10,000 each, all at 1,000 events/s), in 1,000-record
 * batches (what a 1 s batching window collects at that rate), then every batch delivered again
 * whole, as a retry would. Then the item sizes, the hot item that every shard writes, and its write
 * rate at 10,000 events/s against DynamoDB's limit per partition.
 */
export async function benchAggregateWrites(): Promise<WritesBench> {
  const dynamo = await startDynalite();
  try {
    const client = testDynamoDb(dynamo.endpoint);
    const meter = meterCapacity(client);
    const plan = defaultPlan();
    const sketchNames = plan.aggregates.filter((a) => a.sketches).map((a) => a.name);
    const results: BenchResult[] = [];

    // 1. Requests per item per batch, then the redelivery.
    const table = await createTable(client);
    const first = new CountingWriter(new AggregatesStore(sdkItemClient(client), table, { ttlDays: 7 }));
    const streams = [
      { stream: new ShardStream({ scenario: 'clickstream', shardId: 'shardId-000000000000' }), batches: 20 },
      { stream: new ShardStream({ scenario: 'logs', shardId: 'shardId-000000000001' }), batches: 10 },
      { stream: new ShardStream({ scenario: 'iot', shardId: 'shardId-000000000002' }), batches: 10 },
    ];
    const batches: InputRecord[][] = [];
    for (let i = 0; i < 20; i++) for (const s of streams) if (i < s.batches) batches.push(s.stream.next(1_000));
    const records = batches.reduce((t, b) => t + b.length, 0);
    for (const b of batches) await processBatch(b, first, NO_DEAD_LETTERS, { plan });
    const firstMeter = new Map([...meter.byClass].map(([k, v]) => [k, { ...v }]));
    // The container that wrote them (it remembers them), as a retry of the same shard's batch meets.
    const replayWriter = new CountingWriter(first.store);
    for (const b of batches) await processBatch(b, replayWriter, NO_DEAD_LETTERS, { plan });

    const exact = sumTallies(first.tallies, [BY_KEY]);
    const sketch = sumTallies(first.tallies, sketchNames);
    const exactReplay = sumTallies(replayWriter.tallies, [BY_KEY]);
    const sketchReplay = sumTallies(replayWriter.tallies, sketchNames);
    const all = sumTallies(first.tallies, [...first.tallies.keys()]);
    const exactPerItem = perItem(exact);
    const sketchPerItem = perItem(sketch);
    const scope = `${records.toLocaleString('en-US')} records, 3 shards, 1,000-record batches`;
    results.push(
      {
        id: 'aggregate-writes.exact-requests-per-item',
        name: `DynamoDB requests per stored item per batch, exact measures only (by_key; ${scope})`,
        value: exactPerItem,
        unit: 'requests/item',
        target: '<= 1.2',
        pass: exactPerItem <= 1.2,
      },
      {
        id: 'aggregate-writes.sketch-requests-per-item',
        name: `DynamoDB requests per stored item per batch, items with sketches (${sketchNames.join(', ')}), reads + writes`,
        value: sketchPerItem,
        unit: 'requests/item',
        target: '<= 2',
        pass: sketchPerItem <= 2,
      },
    );
    for (const name of plan.aggregates.map((a) => a.name)) {
      const t = first.tallies.get(name);
      if (t === undefined) continue;
      results.push({
        id: `aggregate-writes.requests-per-item.${name}`,
        name: `  ${name}: ${t.items.toLocaleString('en-US')} item writes, ${t.writes.toLocaleString('en-US')} write and ${t.reads.toLocaleString('en-US')} read requests`,
        value: perItem(t),
        unit: 'requests/item',
      });
    }
    results.push(
      {
        id: 'aggregate-writes.requests-per-record',
        name: 'stored-item requests per record, same run (all declarations)',
        value: (all.writes + all.reads) / records,
        unit: 'requests/record',
      },
      {
        id: 'aggregate-writes.replay-exact',
        name: 'the same batches redelivered (all already applied), exact items: a refused conditional UpdateItem, then a GetItem (dynalite returns no item with the refusal; DynamoDB does, saving the read)',
        value: perItem(exactReplay),
        unit: 'requests/item',
      },
      {
        id: 'aggregate-writes.replay-sketch',
        name: 'the same batches redelivered, items with sketches (the container remembers them: the watermark says skip)',
        value: perItem(sketchReplay),
        unit: 'requests/item',
      },
    );

    // 2. Item sizes: as read back after the run, and at the end of a full window at 1,000 events/s.
    const stored = await scanAll(client, table);
    const items: ItemSizeInput[] = [];
    const byAggregate = new Map(plan.aggregates.map((a) => [a.name, a]));
    const folded = new Map<string, ReturnType<typeof foldFullWindow>>();
    for (const a of plan.aggregates) {
      for (const window of a.declaration.windows) {
        const readBack = stored.filter((i) => i.aggregate?.S === a.name && i.window?.S === window);
        if (readBack.length === 0) continue;
        const sizes = readBack.map(itemBytes);
        const scenario = SCENARIO_OF[a.name] ?? 'clickstream';
        const cacheKey = `${scenario} ${window}`;
        if (!folded.has(cacheKey)) {
          folded.set(
            cacheKey,
            foldFullWindow(
              plan.aggregates.filter((p) => (SCENARIO_OF[p.name] ?? 'clickstream') === scenario),
              window,
              scenario,
            ),
          );
        }
        const groups = folded.get(cacheKey)!.get(a.name) ?? new Map();
        // Each group is written once per batch that holds one of its events: with one 1 s batch a second,
        // a group of E events in a window of W seconds is in 1 − e^(−E/W) of the batches.
        const seconds = a.windowsMs[a.declaration.windows.indexOf(window)] / 1000;
        const full: { bytes: number; writes: number }[] = [];
        const byGroup = new Map(readBack.map((i) => [groupKey(i, a), i]));
        for (const [id, g] of groups) {
          const like = byGroup.get(id) ?? readBack[0];
          full.push({
            bytes: itemBytes(withStates(like, byAggregate.get(a.name)!, g.states)),
            writes: 1 - Math.exp(-g.events / seconds),
          });
        }
        const weighted =
          full.reduce((t, f) => t + f.bytes * f.writes, 0) /
          Math.max(
            1e-9,
            full.reduce((t, f) => t + f.writes, 0),
          );
        const mean = full.reduce((t, f) => t + f.bytes, 0) / Math.max(1, full.length);
        const largest = Math.max(...full.map((f) => f.bytes));
        const metered = firstMeter.get(`${a.name} ${window}`);
        const item: ItemSizeInput = {
          aggregate: a.name,
          window,
          signature: declarationSignature(a.declaration),
          sketches: a.sketches,
          readBackMedianBytes: median(sizes),
          fullWindowWriteWeightedBytes: weighted,
          fullWindowMeanBytes: mean,
          fullWindowMaxBytes: largest,
          fullWindowGroups: full.length,
        };
        items.push(item);
        const billed =
          metered === undefined
            ? ''
            : `; dynalite billed ${(metered.write / Math.max(1, metered.requests - metered.refused)).toFixed(2)} WCU per request in the run`;
        results.push(
          {
            id: `aggregate-writes.item-bytes.${a.name}.${window}.read-back`,
            name: `item size, ${a.name} ${window}, read back after the run: median of ${readBack.length} items (largest ${bytes(Math.max(...sizes))}, ${wcu(Math.max(...sizes))} per write)${billed}`,
            value: item.readBackMedianBytes,
            unit: `bytes (${wcu(item.readBackMedianBytes)} per write)`,
          },
          {
            id: `aggregate-writes.item-bytes.${a.name}.${window}.full-window`,
            name: `item size at the end of a full window at 1,000 events/s (${scenario}), ${a.name} ${window}: largest of ${full.length} group${full.length === 1 ? '' : 's'}`,
            value: largest,
            unit: `bytes (${wcu(largest)} per write)`,
            target: '< 16 KB',
            pass: largest < 16 * 1_024,
          },
        );
      }
    }

    // 3. The hot item: one that every shard writes, with 100 shards' watermarks.
    const hotTable = await createTable(client);
    const hotStore = new AggregatesStore(sdkItemClient(client), hotTable, { ttlDays: 7 });
    const SHARDS = 100;
    const shardId = (n: number): string => `shardId-${String(n).padStart(12, '0')}`;
    const hotNames = ['temperature', 'by_type'];
    const hotPlan: AggregatePlan = { ...plan, aggregates: plan.aggregates.filter((a) => hotNames.includes(a.name)) };
    const readHot = async (): Promise<Record<string, AttributeValue>[]> =>
      (await scanAll(client, hotTable)).filter(
        (i) => hotNames.includes(i.aggregate?.S ?? '') && (i.aggregate?.S !== 'by_type' || i.type?.S === 'temperature'),
      );
    let afterOne: Record<string, AttributeValue>[] = [];
    for (let s = 0; s < SHARDS; s++) {
      const stream = new ShardStream({ scenario: 'iot', shardId: shardId(s), seed: 100 + s });
      await processBatch(stream.next(50), hotStore, NO_DEAD_LETTERS, { plan: hotPlan });
      if (s === 0) afterOne = await readHot();
    }
    const hot = await readHot();
    const label = (i: Record<string, AttributeValue>): string =>
      `${i.aggregate?.S} ${i.window?.S}${i.aggregate?.S === 'by_type' ? ' (type temperature)' : ''}`;
    const watermarks = (i: Record<string, AttributeValue>): { count: number; bytes: number } => {
      const w = Object.entries(i).filter(([k]) => k.startsWith('w:'));
      return { count: w.length, bytes: itemBytes(Object.fromEntries(w)) };
    };
    let watermarkBytesPerShard = 0;
    const hotSizes = new Map<string, { base: number; watermark: number }>();
    for (const item of hot.sort((a, b) => label(a).localeCompare(label(b)))) {
      const size = itemBytes(item);
      const w = watermarks(item);
      const one = afterOne.find((i) => label(i) === label(item));
      watermarkBytesPerShard = w.bytes / w.count;
      hotSizes.set(label(item), { base: size - w.bytes, watermark: w.bytes / w.count });
      results.push({
        id: `aggregate-writes.hot-item.${item.aggregate?.S}.${item.window?.S}`,
        name: `hot item ${label(item)} written by ${w.count} shards: ${bytes(w.bytes)} of it their watermarks (${(w.bytes / w.count).toFixed(1)} B each)`,
        value: size,
        unit: `bytes (${wcu(size)}, ${readUnits(size)} RCU per read-modify-write; ${one === undefined ? 'n/a' : `${bytes(itemBytes(one))}, ${wcu(itemBytes(one))}`} with one shard)`,
        target: '< 16 KB',
        pass: size < 16 * 1_024,
      });
    }

    // 4. The hot item contended: 10 shards, each with its own container, each writing once a second,
    // at a random moment of the second (the batching windows of shards are not aligned), then all at once.
    const CONTENDERS = 10;
    const ROUNDS = 6;
    const random = seeded(17);
    const contend = async (spread: boolean): Promise<RequestsPerItem> => {
      const contendedTable = await createTable(client);
      const shared = new Map<string, Tally>();
      const contenders = Array.from({ length: CONTENDERS }, (_, s) => ({
        writer: new CountingWriter(new AggregatesStore(sdkItemClient(client), contendedTable, { ttlDays: 7 }), shared),
        stream: new ShardStream({ scenario: 'iot', shardId: shardId(s), seed: 200 + s, rate: 100 }),
      }));
      for (let r = 0; r < ROUNDS; r++) {
        await Promise.all(
          contenders.map(async (c) => {
            if (spread) await sleep(random() * 1_000);
            await processBatch(c.stream.next(100), c.writer, NO_DEAD_LETTERS, { plan: hotPlan });
          }),
        );
      }
      const t = sumTallies(shared, hotNames);
      const applied = Math.max(1, t.items - t.skipped);
      return { writes: t.writes / applied, reads: t.reads / applied };
    };
    const spread = await contend(true);
    const atOnce = await contend(false);
    results.push(
      {
        id: 'aggregate-writes.hot-item.contended',
        name: `hot items (temperature, by_type) written by ${CONTENDERS} shards, each its own container, each once a second at a random moment, ${ROUNDS} s: ${spread.writes.toFixed(2)} conditional PutItem (refused ones included) and ${spread.reads.toFixed(2)} GetItem per item write`,
        value: spread.writes + spread.reads,
        unit: 'requests/item',
      },
      {
        id: 'aggregate-writes.hot-item.contended-at-once',
        name: `the same, all ${CONTENDERS} shards at the same moment (the worst case): ${atOnce.writes.toFixed(2)} PutItem and ${atOnce.reads.toFixed(2)} GetItem per item write`,
        value: atOnce.writes + atOnce.reads,
        unit: 'requests/item',
      },
    );
    const contendedWrites = spread.writes;
    const contendedReads = spread.reads;

    // 5. The byType index entry, when the index is on: one more write per by_key write.
    const indexTable = await createTable(client, true);
    const indexed = new AggregatesStore(sdkItemClient(client), indexTable, { ttlDays: 7, byTypeIndex: true });
    await processBatch(new ShardStream({ scenario: 'clickstream' }).next(200), indexed, NO_DEAD_LETTERS, { plan });
    const byKeyItems = (await scanAll(client, indexTable)).filter((i) => i.aggregate?.S === BY_KEY);
    const projected = ['pk', 'sk', 'typeShard', 'windowKey', ...BY_TYPE_PROJECTION];
    const indexEntryBytes = median(
      byKeyItems.map((i) => itemBytes(Object.fromEntries(Object.entries(i).filter(([k]) => projected.includes(k))))),
    );
    results.push({
      id: 'aggregate-writes.by-type-index-entry',
      name: `byType index entry of a by_key item (keys and projected attributes), when aggregates.byTypeIndex is on: one more write per by_key write`,
      value: indexEntryBytes,
      unit: `bytes (${wcu(indexEntryBytes)} per write)`,
    });

    // 6. The hot item at 10,000 events/s against the limit per partition.
    const temperature = hotSizes.get('temperature 1m') ?? { base: 0, watermark: watermarkBytesPerShard };
    const windowsWritten = byAggregate.get('temperature')?.declaration.windows.length ?? 1;
    // Shards for 10,000 events/s of ~1 KB: 10 at the write limits (1,000 records/s and 1 MiB/s a shard), 15 as
    // the cost model provisions them (3 consumers share 2 MiB/s of reads a shard), 30 on demand (twice the peak);
    // and 100, a stream sized for 100,000 events/s: the item's write rate depends on the shards, not on the
    // events, as soon as each shard sees one of its events a second.
    const shardCases: [string, number][] = [
      ['write minimum', Math.ceil(HOT_RATE / 1_000)],
      ['provisioned, 3 consumers', provisionedShards(HOT_RATE, HOT_EVENT_BYTES, 3)],
      ['on demand, 2× headroom', onDemandShards(HOT_RATE, HOT_EVENT_BYTES, 3)],
      ['a 100-shard stream', 100],
    ];
    for (const [what, shards] of shardCases) {
      for (const stage of ['dev', 'prod'] as Stage[]) {
        const a = PROFILES[stage].aggregator;
        const window = Math.max(1, a.maxBatchingWindowSeconds);
        const perShard = HOT_RATE / shards;
        // One invocation per shard per batching window, more when the window holds more than a batch.
        const invocations = Math.max(1 / window, perShard / a.batchSize);
        const size = temperature.base + shards * temperature.watermark;
        const writesPerSecond = shards * invocations;
        // Refused conditional writes are billed too, at the stored item's size.
        const wcuPerWrite = contendedWrites * writeUnits(size);
        const perPartition = writesPerSecond * wcuPerWrite * windowsWritten;
        const rcu = writesPerSecond * contendedReads * readUnits(size) * windowsWritten;
        const limited = shards <= 30;
        results.push({
          id: `aggregate-writes.hot-rate.${shards}.${stage}`,
          name:
            `hot item temperature at 10,000 events/s, ${shards} shards (${what}), ${stage} (${invocations.toFixed(2)} invocations/s a shard): ` +
            `${writesPerSecond.toFixed(0)} writes/s × ${wcuPerWrite.toFixed(2)} WCU (${bytes(size)}, refused attempts included) × ${windowsWritten} window sizes`,
          value: perPartition,
          unit: `WCU/s on one partition (and ${rcu.toFixed(0)} RCU/s)`,
          target: limited ? `< ${PARTITION_WCU_PER_SECOND.toLocaleString('en-US')}` : undefined,
          pass: limited ? perPartition < PARTITION_WCU_PER_SECOND : undefined,
        });
      }
    }

    return {
      results,
      costInputs: {
        exactRequestsPerItem: { writes: exact.writes / exact.items, reads: exact.reads / exact.items },
        sketchRequestsPerItem: { writes: sketch.writes / sketch.items, reads: sketch.reads / sketch.items },
        contendedRequestsPerWrite: { ...spread, shards: CONTENDERS },
        itemSizes: items,
        watermarkBytesPerShard,
        byTypeIndexEntryBytes: indexEntryBytes,
      },
    };
  } finally {
    await dynamo.close();
  }
}
