import { describe, expect, it } from 'vitest';
import { PROFILES, type PipelineConfig } from '../../lib/config';
import {
  ASSUMPTIONS,
  batchDurationMs,
  cheaperModeByRate,
  type CostInput,
  type CostBreakdown,
  declarationSignature,
  firehoseBilledBytes,
  GB,
  groupsOf,
  itemSizeOf,
  itemsPerBatch,
  kinesisBilledBytes,
  type LineItem,
  monthlyCost,
  onDemandShards,
  peakCrossover,
  provisionedShards,
  putPayloadUnits,
  recordsPerBatch,
  SECONDS_PER_MONTH,
  type StreamMode,
  withOverrides,
} from '../../cost/model';
import { PRICES } from '../../cost/prices';
import { parseDeclarations } from '../../lambda/shared/declarations';
import { BY_KEY_ONLY, DECLARATIONS, MEASURED } from './fixtures';
import { synthPipeline } from '../support/synth';

const MiB = 1_048_576;

function input(overrides: Partial<CostInput> & { stage?: 'dev' | 'prod'; mode?: StreamMode } = {}): CostInput {
  const { stage = 'dev', mode = 'provisioned', ...rest } = overrides;
  return {
    rate: 100,
    sizeBytes: 1_024,
    config: withOverrides(PROFILES[stage], { mode }),
    declarations: DECLARATIONS,
    mode,
    keys: 1_000,
    peakFactor: 1,
    measured: MEASURED,
    ...rest,
  };
}

const sum = (items: LineItem[], service: string): number =>
  items.filter((i) => i.service === service).reduce((t, i) => t + i.usd, 0);
const find = (items: LineItem[], text: string): LineItem | undefined => items.find((i) => i.item.includes(text));

describe('billing units', () => {
  it('provisioned shards = ceil(max(bytes/1 MiB, records/1,000)) with up to two consumers', () => {
    const brief = (rate: number, size: number): number =>
      Math.max(1, Math.ceil(Math.max((rate * size) / MiB, rate / 1000)));
    for (const [rate, size] of [
      [1, 100],
      [999, 1],
      [1_000, 1],
      [1_001, 1],
      [1_000, 1_024],
      [500, 2_048],
      [600, 2_048],
      [10_000, 1_024],
      [3_000, 1],
      [12_345, 777],
    ]) {
      expect(provisionedShards(rate, size, 1), `${rate} × ${size}`).toBe(brief(rate, size));
      expect(provisionedShards(rate, size, 2), `${rate} × ${size}`).toBe(brief(rate, size));
    }
    expect(provisionedShards(1_000, 1_024, 1)).toBe(1);
    expect(provisionedShards(1_001, 1, 1)).toBe(2);
    expect(provisionedShards(600, 2_048, 1)).toBe(2);
  });

  it('a third consumer makes the 2 MiB/s shared read limit bind before the write limit', () => {
    // 1,000 × 1,024 B = 0.977 MiB/s written, 2.93 MiB/s read by three consumers: 2 shards.
    expect(provisionedShards(1_000, 1_024, 3)).toBe(2);
    expect(provisionedShards(1_000, 1_024, 2)).toBe(1);
    // 10,000 × 1 KiB: 9.77 MiB/s written, 29.3 MiB/s read: 15 shards.
    expect(provisionedShards(10_000, 1_024, 3)).toBe(15);
  });

  it('an on-demand stream keeps at least 4 shards and twice the peak', () => {
    expect(onDemandShards(10, 1_024, 3)).toBe(4);
    expect(onDemandShards(10_000, 1_024, 3)).toBe(30);
  });

  it('rounds records as each service bills them', () => {
    expect([1, 1_024, 1_025, 4_608].map(kinesisBilledBytes)).toEqual([1_024, 1_024, 2_048, 5_120]);
    expect([1, 25_600, 25_601, 1_048_576].map(putPayloadUnits)).toEqual([1, 1, 2, 41]);
    expect([1, 3_072, 5_120, 5_121, 12_288].map(firehoseBilledBytes)).toEqual([5_120, 5_120, 5_120, 10_240, 15_360]);
  });

  it('batches hold the batching window of a shard, capped by batch size and the 6 MB payload', () => {
    const dev = PROFILES.dev; // batch size 500, window 1 s
    expect(recordsPerBatch(100, 1_024, dev)).toBe(100);
    expect(recordsPerBatch(1_000, 1_024, dev)).toBe(500);
    expect(recordsPerBatch(0.2, 1_024, dev)).toBe(1);
    // 100,000-byte records: 133,336 base64 bytes + 500 of envelope each, 47 fit in 6 MiB.
    expect(recordsPerBatch(1_000, 100_000, dev)).toBe(47);
    const window5: PipelineConfig = { ...dev, aggregator: { ...dev.aggregator, maxBatchingWindowSeconds: 5 } };
    expect(recordsPerBatch(50, 1_024, window5)).toBe(250);
  });

  it('aggregate items per batch: distinct (type, key, window) of uniform keys', () => {
    // cells = 1,000 × (1 + 1/60); items = cells × (1 − e^(−1,000/cells)).
    const cells = 1_000 * (1 + 1 / 60);
    expect(itemsPerBatch(1_000, 1_000, 1, 60)).toBeCloseTo(cells * (1 - Math.exp(-1_000 / cells)), 6);
    expect(itemsPerBatch(1_000, 1_000, 1, 60)).toBeCloseTo(636.5, 1);
    // One key: about one item, never fewer than one, never more than the records.
    expect(itemsPerBatch(10, 1, 1, 60)).toBeCloseTo(1.0167, 3);
    expect(itemsPerBatch(1, 1, 0.001, 60)).toBe(1);
    expect(itemsPerBatch(5, 1_000_000, 1, 60)).toBeLessThanOrEqual(5);
  });

  it('batch duration interpolates the measured points by items', () => {
    expect(batchDurationMs(MEASURED.batchPoints, 0.5)).toBe(2);
    expect(batchDurationMs(MEASURED.batchPoints, 1)).toBe(2);
    expect(batchDurationMs(MEASURED.batchPoints, 50)).toBeCloseTo(100, 9);
    expect(batchDurationMs(MEASURED.batchPoints, 450)).toBeCloseTo(900, 9);
    expect(batchDurationMs(MEASURED.batchPoints, 900)).toBeCloseTo(1_800, 9); // the last slope, 2 ms per item
    expect(() => batchDurationMs([], 1)).toThrow('npm run bench');
  });
});

describe('monthly cost, hand-checked', () => {
  const events = 100 * SECONDS_PER_MONTH; // 262.8 million

  it('provisioned Kinesis: shard-hours and PUT payload units', () => {
    const b = monthlyCost(input());
    expect(b.derived.shards).toBe(1);
    expect(find(b.items, 'shards × 730 h')!.usd).toBeCloseTo(730 * 0.015, 9); // $10.95
    expect(find(b.items, 'PUT payload units')!.usd).toBeCloseTo(262.8 * 0.014, 9); // $3.6792
    expect(sum(b.items, 'Kinesis')).toBeCloseTo(10.95 + 3.6792, 9);
    expect(find(b.items, 'extended retention')).toBeUndefined(); // dev keeps 24 h
  });

  it('on-demand Kinesis: stream-hours, data in, data out for each of 3 polling readers', () => {
    const b = monthlyCost(input({ mode: 'on-demand' }));
    const gb = (events * 1_024) / GB; // 250.63 GB
    expect(find(b.items, 'stream × 730 h')!.usd).toBeCloseTo(29.2, 9);
    expect(find(b.items, 'data in')!.usd).toBeCloseTo(gb * 0.08, 9);
    expect(find(b.items, 'retrieved by 3 polling readers')!.usd).toBeCloseTo(gb * 3 * 0.04, 9);
    expect(find(b.items, 'enhanced fan-out')).toBeUndefined();
    expect(sum(b.items, 'Kinesis')).toBeCloseTo(29.2 + gb * 0.2, 9);
  });

  it('extended retention in prod (168 h): per shard-hour provisioned, per GB-month on demand', () => {
    const provisioned = monthlyCost(input({ stage: 'prod' }));
    expect(find(provisioned.items, 'extended retention')!.usd).toBeCloseTo(provisioned.derived.shards * 730 * 0.02, 9);
    const onDemand = monthlyCost(input({ stage: 'prod', mode: 'on-demand' }));
    expect(find(onDemand.items, 'extended retention')!.usd).toBeCloseTo(((100 * 1_024 * 144 * 3_600) / GB) * 0.1, 9);
  });

  it('Lambda and DynamoDB from the declarations, the measured duration, requests per item and item sizes', () => {
    const b = monthlyCost(input());
    // One shard at 100 events/s, 1 s window: 100-record batches, 2.628 million of them.
    const batches = events / 100;
    // by_key: 1,000 keys over one 60 s window (and a sliver of the next).
    const cells = 1_000 * (1 + 1 / 60);
    const byKey = cells * (1 - Math.exp(-100 / cells)); // 95.24
    // regions: 6 groups, every one in every batch.
    const regionCells = 6 * (1 + 1 / 60);
    const regions = regionCells * (1 - Math.exp(-100 / regionCells)); // 6.1
    const ms = Math.ceil(200 + 2 * (byKey + regions - 100)); // 203 ms
    expect(b.derived.recordsPerBatch).toBe(100);
    expect(b.derived.itemsPerBatch).toBeCloseTo(byKey + regions, 9);
    expect(find(b.items, 'aggregator invocations')!.usd).toBeCloseTo(2.628 * 0.2, 9);
    expect(find(b.items, `aggregator ${ms} ms × 512 MB`)!.usd).toBeCloseTo(
      batches * (ms / 1_000) * 0.5 * PRICES.lambda.armGbSecond.usd,
      9,
    );
    // Exact items: one request each, 1 WRU (250 B). Sketch items: 1,500 B is 2 WRU, and half a read of 1 RRU.
    expect(find(b.items, 'aggregate writes, by_key')!.quantity).toBeCloseTo((batches * byKey * 1 * 1) / 1e6, 9);
    expect(find(b.items, 'aggregate writes, regions')!.quantity).toBeCloseTo((batches * regions * 1 * 2) / 1e6, 9);
    expect(find(b.items, 'sketch reads, regions')!.quantity).toBeCloseTo((batches * regions * 0.5 * 1) / 1e6, 9);
    expect(find(b.items, 'sketch reads, regions')!.unitUsd).toBe(PRICES.dynamodb.readRequestUnits.usd);
    expect(find(b.items, 'sketch reads, by_key')).toBeUndefined();
    // Storage: the items of each window, for the TTL (7 d) and the window, at their measured size plus 100 B.
    const windows = (7 * 86_400 + 60) / 60;
    const stored = 1_000 * (1 - Math.exp(-6)) * windows * 350 + 6 * windows * 1_300;
    expect(find(b.items, 'storage,')!.quantity).toBeCloseTo(stored / GB, 12);
    // Twice the measured requests per exact item, twice the by_key write bill.
    const twice = monthlyCost(input({ measured: { ...MEASURED, exact: { writes: 2, reads: 0 } } }));
    expect(find(twice.items, 'aggregate writes, by_key')!.usd).toBeCloseTo(
      2 * find(b.items, 'aggregate writes, by_key')!.usd,
      9,
    );
    // --batch-ms replaces the measurement.
    const fixed = monthlyCost(input({ batchMs: 40 }));
    expect(find(fixed.items, 'aggregator 40 ms')!.usd).toBeCloseTo(
      batches * 0.04 * 0.5 * PRICES.lambda.armGbSecond.usd,
      9,
    );
  });

  it("an item every shard writes holds every shard's watermark and pays the contended requests", () => {
    // 1,500 events/s of 1 KiB with 3 consumers: 3 provisioned shards.
    const b = monthlyCost(input({ rate: 1_500 }));
    expect(b.derived.shards).toBe(3);
    const byKey = b.derived.declarations.find((l) => l.aggregate === 'by_key')!;
    const regions = b.derived.declarations.find((l) => l.aggregate === 'regions')!;
    expect(byKey).toMatchObject({ shardsWriting: 1, groupsPerShard: 1_000 / 3, writeBytes: 250, wruPerWrite: 1 });
    expect(byKey.requests).toEqual(MEASURED.exact);
    expect(regions).toMatchObject({ shardsWriting: 3, groupsPerShard: 6, writeBytes: 1_600, wruPerWrite: 2 });
    expect(regions.requests).toEqual(MEASURED.contended);
    expect(regions.storedBytes).toBe(1_200 + 2 * 50 + 100);
  });
  it('Firehose bills every record as 5 KB on each leg', () => {
    const b = monthlyCost(input());
    const gb = (events * 5_120) / GB;
    expect(find(b.items, 'archive ingestion')!.usd).toBeCloseTo(gb * 0.029, 9);
    expect(find(b.items, 'search ingestion')!.usd).toBeCloseTo(gb * 0.029, 9);
  });

  it('S3 holds the archive in Standard, then Standard-IA until it expires', () => {
    const b = monthlyCost(input()); // dev: IA after 30 days, expiry at 90
    const gbPerMonth = (events * 1_025 * 0.2) / GB;
    expect(find(b.items, 'Standard (30 d')!.quantity).toBeCloseTo((gbPerMonth * 30) / (730 / 24), 9);
    expect(find(b.items, 'Standard-IA (60 d')!.quantity).toBeCloseTo((gbPerMonth * 60) / (730 / 24), 9);
    // 100 KiB/s fills no 64 MiB buffer in 60 s: one object a minute.
    expect(find(b.items, 'objects written')!.usd).toBeCloseTo(43.8 * 0.005, 9);
  });

  it('OpenSearch: dev is one t3.small.search with 10 GiB; prod is 3 data nodes, 3 masters and 3 × 100 GiB', () => {
    const dev = monthlyCost(input());
    expect(sum(dev.items, 'OpenSearch')).toBeCloseTo(730 * 0.036 + 10 * 0.122, 9);
    const prod = monthlyCost(input({ stage: 'prod' }));
    const s = PROFILES.prod.search;
    expect(sum(prod.items, 'OpenSearch')).toBeCloseTo(
      3 * 730 * PRICES.opensearch.instanceHour[s.dataNodeType].usd +
        3 * 730 * PRICES.opensearch.instanceHour[s.masterNodeType].usd +
        300 * 0.122,
      9,
    );
  });

  it('an instance type with no price fails naming the setting', () => {
    const config = { ...PROFILES.dev, search: { ...PROFILES.dev.search, dataNodeType: 'x9.huge.search' } };
    expect(() => monthlyCost(input({ config }))).toThrow('search.dataNodeType: no price for "x9.huge.search"');
  });

  it('CloudWatch: alarms, dashboard, the nine custom metrics, the alarm topic key', () => {
    const b = monthlyCost(input());
    expect(find(b.items, 'standard alarms (33 alarm metrics)')!.usd).toBeCloseTo(3.3, 9);
    const off = monthlyCost(input({ config: withOverrides(PROFILES.dev, { mode: 'provisioned', search: false }) }));
    expect(find(off.items, 'standard alarms (21 alarm metrics)')!.usd).toBeCloseTo(2.1, 9);
    expect(find(b.items, 'KMS key')!.usd).toBe(1);
    expect(find(b.items, 'composite alarm')!.usd).toBeCloseTo(0.5, 9);
    expect(find(b.items, 'dashboard')!.usd).toBe(3);
    expect(find(b.items, 'custom metrics')!.usd).toBeCloseTo(2.7, 9);
  });

  it('the total is the sum of the line items, and each line is quantity × unit price', () => {
    const b = monthlyCost(input({ stage: 'prod', mode: 'on-demand' }));
    for (const i of b.items) expect(i.usd).toBeCloseTo(i.quantity * i.unitUsd, 9);
    expect(b.totalUsd).toBeCloseTo(
      b.items.reduce((t, i) => t + i.usd, 0),
      9,
    );
    expect(Object.values(b.byService).reduce((t, v) => t + v, 0)).toBeCloseTo(b.totalUsd, 9);
  });
});

describe('monthly cost, properties', () => {
  it('grows with the rate, in both modes and both profiles', () => {
    const rates = [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 50_000];
    for (const stage of ['dev', 'prod'] as const) {
      for (const mode of ['on-demand', 'provisioned'] as const) {
        const totals = rates.map((rate) => monthlyCost(input({ stage, mode, rate })).totalUsd);
        for (let i = 1; i < totals.length; i++) {
          expect(totals[i], `${stage} ${mode} at ${rates[i]} events/s`).toBeGreaterThan(totals[i - 1]);
        }
      }
    }
  });

  it('Parquet adds format conversion and nothing else', () => {
    const gzip = monthlyCost(input());
    const parquet = monthlyCost(
      input({ config: withOverrides(PROFILES.dev, { mode: 'provisioned', archiveFormat: 'parquet' }) }),
    );
    const conversion = find(parquet.items, 'conversion to Parquet')!;
    expect(find(gzip.items, 'conversion')).toBeUndefined();
    expect(conversion.usd).toBeCloseTo(((100 * SECONDS_PER_MONTH * 5_120) / GB) * 0.018, 9);
    expect(parquet.totalUsd - gzip.totalUsd).toBeCloseTo(conversion.usd, 9);
  });

  it('search.enabled=false removes the domain, the search Firehose and its consumer', () => {
    for (const mode of ['on-demand', 'provisioned'] as const) {
      const on = monthlyCost(input({ stage: 'prod', mode }));
      const off = monthlyCost(
        input({ stage: 'prod', mode, config: withOverrides(PROFILES.prod, { mode, search: false }) }),
      );
      expect(on.byService.OpenSearch).toBeGreaterThan(0);
      expect(off.byService.OpenSearch).toBe(0);
      expect(off.items.filter((i) => /search/.test(i.item))).toEqual([]);
      expect(off.derived.consumers).toBe(2);
      expect(off.totalUsd).toBeLessThan(on.totalUsd);
    }
    const off = monthlyCost(input({ mode: 'on-demand', config: withOverrides(PROFILES.dev, { search: false }) }));
    expect(find(off.items, 'retrieved by 2 polling readers')).toBeDefined();
  });

  it('provisioned is cheaper at a steady rate; on-demand wins once peaks dwarf the average', () => {
    for (const rate of [10, 100, 1_000]) {
      const provisioned = monthlyCost(input({ rate, mode: 'provisioned' }));
      const onDemand = monthlyCost(input({ rate, mode: 'on-demand' }));
      expect(provisioned.byService.Kinesis).toBeLessThan(onDemand.byService.Kinesis);
      expect(provisioned.totalUsd).toBeLessThan(onDemand.totalUsd);
    }
    // by_key alone: the Kinesis trade-off, free of the items every shard writes (more shards, more writes).
    const base = {
      sizeBytes: 1_024,
      config: PROFILES.dev,
      declarations: BY_KEY_ONLY,
      keys: 1_000,
      peakFactor: 1,
      measured: MEASURED,
    };
    expect(cheaperModeByRate(base)).toEqual([{ rate: 1, mode: 'provisioned' }]);

    const f = peakCrossover({ ...base, rate: 1_000 })!;
    expect(f).toBeGreaterThan(1);
    const at = (peakFactor: number, mode: StreamMode): number =>
      monthlyCost(input({ rate: 1_000, peakFactor, mode, declarations: BY_KEY_ONLY })).totalUsd;
    expect(at(f, 'on-demand')).toBeLessThan(at(f, 'provisioned'));
    expect(at(Math.round((f - 0.1) * 10) / 10, 'on-demand')).toBeGreaterThanOrEqual(
      at(Math.round((f - 0.1) * 10) / 10, 'provisioned'),
    );
  });

  it('finds the rate where the cheaper mode changes', () => {
    // Shards sized for 60 times the average: provisioned wins while one shard holds the peak, then loses.
    const base = {
      sizeBytes: 1_024,
      config: PROFILES.dev,
      declarations: BY_KEY_ONLY,
      keys: 1_000,
      peakFactor: 60,
      measured: MEASURED,
    };
    const segments = cheaperModeByRate(base);
    expect(segments.slice(0, 2).map((s) => s.mode)).toEqual(['provisioned', 'on-demand']);
    for (let i = 1; i < segments.length; i++) expect(segments[i].mode).not.toBe(segments[i - 1].mode);
    const total = (rate: number, mode: StreamMode): number =>
      monthlyCost(input({ rate, mode, peakFactor: 60, declarations: BY_KEY_ONLY })).totalUsd;
    const switchAt = segments[1].rate;
    expect(total(switchAt, 'on-demand')).toBeLessThan(total(switchAt, 'provisioned'));
    expect(total(1, 'provisioned')).toBeLessThan(total(1, 'on-demand'));
  });

  it('refuses inputs it cannot bill', () => {
    expect(() => monthlyCost(input({ rate: 0 }))).toThrow('rate');
    expect(() => monthlyCost(input({ peakFactor: 0.5 }))).toThrow('peak factor');
  });
});

describe('declarations', () => {
  const declaration = (groupBy: string[], measures: Record<string, unknown> = { n: { op: 'count' } }) =>
    parseDeclarations({ version: 2, aggregates: [{ name: 'd', types: ['*'], groupBy, windows: ['1m'], measures }] })
      .aggregates[0];

  it.each([
    [[], 1],
    [['type'], ASSUMPTIONS.typeCardinality],
    [['attributes.page'], 500],
    [['attributes.region', 'type'], 6 * ASSUMPTIONS.typeCardinality],
    [['attributes.colour'], ASSUMPTIONS.otherAttributeCardinality],
    [['key'], 1_000],
    [['type', 'key'], 1_000],
    [['attributes.region', 'key'], 1_000],
  ])('groupBy %j has %d groups with 1,000 keys', (groupBy, groups) => {
    expect(groupsOf(declaration(groupBy), 1_000)).toBe(groups);
  });

  it('takes measured sizes for the declaration measured, and estimates any other', () => {
    const [byKey] = DECLARATIONS.aggregates;
    expect(itemSizeOf(byKey, '1m', MEASURED)).toEqual({ writeBytes: 250, storedBytes: 250, source: 'measured' });
    // The same name with other measures is another declaration.
    const other = declaration(['type', 'key'], {
      n: { op: 'count' },
      mean: { op: 'avg', of: 'value' },
      p: { op: 'quantiles', of: 'value' },
      top: { op: 'topK', of: 'attributes.page', k: 5 },
      users: { op: 'distinct', of: 'attributes.session' },
    });
    expect(declarationSignature(other)).not.toBe(declarationSignature(byKey));
    const u = ASSUMPTIONS.unmeasuredItem;
    const bytes = u.baseBytes + u.exactMeasureBytes * 3 + u.quantilesBytes + 5 * u.topKBytesPerK + u.distinctBytes;
    expect(itemSizeOf(other, '1m', MEASURED)).toEqual({ writeBytes: bytes, storedBytes: bytes, source: 'estimated' });
  });

  const withIndex = (stage: 'dev' | 'prod', mode: StreamMode, rate: number, byTypeIndex: boolean): CostBreakdown =>
    monthlyCost(input({ stage, mode, rate, config: withOverrides(PROFILES[stage], { mode, byTypeIndex }) }));

  it.each([
    ['dev', 'on-demand', 10],
    ['dev', 'provisioned', 1_000],
    ['prod', 'on-demand', 1_000],
    ['prod', 'provisioned', 100],
    ['prod', 'provisioned', 10_000],
  ] as const)(
    'the byType index in %s, %s, at %d events/s: one index write per by_key write, nothing else',
    (stage, mode, rate) => {
      const off = withIndex(stage, mode, rate, false);
      const on = withIndex(stage, mode, rate, true);
      expect(off.items.filter((i) => i.item.includes('byType'))).toEqual([]);
      expect(off.derived.byTypeIndexUsd).toBe(0);
      const byKey = off.derived.declarations.find((l) => l.aggregate === 'by_key')!;
      const byKeyWrites = off.derived.batchesPerMonth * byKey.itemsPerBatch;
      const writes = find(on.items, 'byType index writes')!;
      expect(writes.quantity).toBeCloseTo(byKeyWrites / 1e6, 9); // 200 B: 1 WRU each
      expect(writes.unitUsd).toBe(PRICES.dynamodb.writeRequestUnits.usd);
      const storage = find(on.items, 'storage, byType index')!;
      const entries = byKey.itemsStored;
      expect(storage.quantity).toBeCloseTo((entries * (200 + 100)) / GB, 12);
      // Every other line is the same, DynamoDB's write lines included.
      expect(on.items.filter((i) => i !== writes && i !== storage)).toEqual(off.items);
      expect(on.derived.byTypeIndexUsd).toBeCloseTo(writes.usd + storage.usd, 9);
      expect(on.totalUsd - off.totalUsd).toBeCloseTo(on.derived.byTypeIndexUsd, 9);
    },
  );

  it.each(['by_key', 'regions'])('%s: items with sketches cost reads, exact ones none', (name) => {
    for (const rate of [10, 1_000, 20_000]) {
      const b = monthlyCost(input({ rate }));
      const load = b.derived.declarations.find((l) => l.aggregate === name)!;
      const reads = find(b.items, `sketch reads, ${name}`);
      if (!load.sketches) {
        expect(reads).toBeUndefined();
        continue;
      }
      expect(reads!.quantity).toBeCloseTo(
        (b.derived.batchesPerMonth * load.itemsPerBatch * load.requests.reads * load.rruPerRead) / 1e6,
        9,
      );
      expect(reads!.quantity).toBeGreaterThan(0);
    }
  });
});

describe('monitoring counts the model bills', () => {
  /** Alarm metrics as CloudWatch bills them: one per alarm, or one per metric of a metric-math alarm. */
  function billed(context: Record<string, unknown>): { alarmMetrics: number; composites: number; dashboards: number } {
    const resources = synthPipeline(context).template.toJSON().Resources as Record<
      string,
      { Type: string; Properties: { Metrics?: { MetricStat?: unknown }[] } }
    >;
    const of = (type: string) => Object.values(resources).filter((r) => r.Type === type);
    return {
      alarmMetrics: of('AWS::CloudWatch::Alarm')
        .map((a) => (a.Properties.Metrics ?? [{ MetricStat: {} }]).filter((m) => m.MetricStat !== undefined).length)
        .reduce((x, y) => x + y, 0),
      composites: of('AWS::CloudWatch::CompositeAlarm').length,
      dashboards: of('AWS::CloudWatch::Dashboard').length,
    };
  }

  it('are the ones the stack synthesizes, with and without the search leg', () => {
    expect(billed({})).toEqual({
      alarmMetrics: ASSUMPTIONS.alarmMetricsWithSearch,
      composites: ASSUMPTIONS.compositeAlarms,
      dashboards: ASSUMPTIONS.dashboards,
    });
    expect(billed({ 'search.enabled': false }).alarmMetrics).toBe(ASSUMPTIONS.alarmMetricsWithoutSearch);
  });
});
