import type { Measured } from '../../cost/model';
import { declarationSignature } from '../../cost/model';
import { parseDeclarations } from '../../lambda/shared/declarations';
import { BY_KEY_DECLARATION } from '../support/declarations';

/**
 * Two declarations whose bills can be checked by hand: `by_key` (exact measures, grouped by key, so
 * split over the shards), and `regions`, a sketch item grouped by a low-cardinality attribute
 * (`attributes.region`, 6 groups by ASSUMPTIONS), so every shard writes each of its items.
 */
export const DECLARATIONS = parseDeclarations({
  version: 2,
  aggregates: [
    BY_KEY_DECLARATION,
    {
      name: 'regions',
      types: ['*'],
      groupBy: ['attributes.region'],
      windows: ['1m'],
      measures: { requests: { op: 'count' }, users: { op: 'distinct', of: 'key' } },
    },
  ],
});

const [BY_KEY, REGIONS] = DECLARATIONS.aggregates;

/** by_key alone: what the stream mode trade-offs are checked with, free of items every shard writes. */
export const BY_KEY_ONLY = { version: 2 as const, aggregates: [BY_KEY] };

/** Hand-picked measurements, so the arithmetic below can be checked by hand. */
export const MEASURED: Measured = {
  exact: { writes: 1, reads: 0 },
  sketch: { writes: 1, reads: 0.5 },
  contended: { writes: 2, reads: 1 },
  itemSizes: [
    { aggregate: 'by_key', window: '1m', signature: declarationSignature(BY_KEY), writeBytes: 250, storedBytes: 250 },
    {
      aggregate: 'regions',
      window: '1m',
      signature: declarationSignature(REGIONS),
      writeBytes: 1_500,
      storedBytes: 1_200,
    },
  ],
  watermarkBytesPerShard: 50,
  byTypeIndexEntryBytes: 200,
  batchPoints: [
    { records: 1, items: 1, ms: 2 },
    { records: 100, items: 100, ms: 200 },
    { records: 500, items: 450, ms: 900 },
  ],
  source: 'test fixture',
};

/** bench/results.json as `npm run bench` writes it, with the fixture's measurements. */
export const RESULTS_JSON = {
  schema: 2,
  machine: { cpu: 'Test CPU', cores: 2, node: 'v20.0.0', os: 'linux', date: '2026-01-01T00:00:00.000Z' },
  results: [],
  costInputs: {
    writesPerItemPerBatch: { value: 1, source: 'bench/aggregate-writes.bench.ts', note: 'fixture' },
    writes: {
      exactRequestsPerItem: MEASURED.exact,
      sketchRequestsPerItem: MEASURED.sketch,
      contendedRequestsPerWrite: { ...MEASURED.contended, shards: 10 },
      itemSizes: MEASURED.itemSizes.map((i) => ({
        aggregate: i.aggregate,
        window: i.window,
        signature: i.signature,
        sketches: i.aggregate !== 'by_key',
        readBackMedianBytes: i.writeBytes,
        fullWindowWriteWeightedBytes: i.writeBytes,
        fullWindowMeanBytes: i.storedBytes,
        fullWindowMaxBytes: i.writeBytes,
        fullWindowGroups: 6,
      })),
      watermarkBytesPerShard: MEASURED.watermarkBytesPerShard,
      byTypeIndexEntryBytes: MEASURED.byTypeIndexEntryBytes,
      source: 'bench/aggregate-writes.bench.ts',
      note: 'fixture',
    },
    batchDurations: {
      points: MEASURED.batchPoints.map((p) => ({ ...p, coreMs: 0.1 })),
      source: 'bench/aggregator-batch.bench.ts',
      note: 'fixture',
    },
  },
};
