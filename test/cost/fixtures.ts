import type { Measured } from '../../cost/model';

/** Hand-picked measurements, so the arithmetic below can be checked by hand. */
export const MEASURED: Measured = {
  writesPerItemPerBatch: 1,
  batchPoints: [
    { records: 1, items: 1, ms: 2 },
    { records: 100, items: 100, ms: 200 },
    { records: 500, items: 450, ms: 900 },
  ],
  source: 'test fixture',
};

/** bench/results.json as `npm run bench` writes it, with the fixture's measurements. */
export const RESULTS_JSON = {
  schema: 1,
  machine: { cpu: 'Test CPU', cores: 2, node: 'v20.0.0', os: 'linux', date: '2026-01-01T00:00:00.000Z' },
  results: [],
  costInputs: {
    writesPerItemPerBatch: { value: 1, source: 'bench/aggregate-writes.bench.ts', note: 'fixture' },
    batchDurations: {
      points: MEASURED.batchPoints.map((p) => ({ ...p, coreMs: 0.1 })),
      source: 'bench/aggregator-batch.bench.ts',
      note: 'fixture',
    },
  },
};
