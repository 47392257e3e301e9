import { gunzipSync, gzipSync } from 'node:zlib';
import type { ArchiveObject } from '../lambda/backfill/archive-source';
import type { BackfillSettings } from '../lambda/backfill/core';
import { type ArchiveReader, type ItemReplacer, runBackfill } from '../lambda/backfill/run';
import { planAggregates } from '../lambda/shared/aggregate-plan';
import { PROJECT_AGGREGATES_FILE, loadDeclarationsFile } from '../lambda/shared/declarations-file';
import { archiveKey } from '../local/archive-writer';
import { EventGenerator } from '../loadgen/scenarios';
import { type BenchResult, median } from './harness';

const EVENTS = 200_000;
/** Firehose-sized objects would be megabytes; these hold 10 s of the 2,000 events/s stream each. */
const PER_OBJECT = 20_000;
const RATE = 2_000;
const SETTINGS: BackfillSettings = {
  defaultLatenessSeconds: 7 * 86_400,
  bufferSeconds: 10,
  maxRecordAgeSeconds: 3_600,
};
const HOUR = 3_600_000;

/** Archive objects in memory, as local mode's archive writer lays them out. */
function archive(startMs: number): Map<string, Buffer> {
  const generator = new EventGenerator({
    scenario: 'clickstream',
    seed: 1,
    keys: 1000,
    poisonRate: 0.01,
    startMs,
    rate: RATE,
  });
  const objects = new Map<string, Buffer>();
  for (let i = 0; i < EVENTS; i += PER_OBJECT) {
    const lines: Buffer[] = [];
    for (let j = 0; j < PER_OBJECT; j++) lines.push(Buffer.from(generator.next().data), Buffer.from('\n'));
    const arrival = new Date(startMs + (i / RATE) * 1000);
    objects.set(archiveKey('events/', 'events-archive', arrival), gzipSync(Buffer.concat(lines)));
  }
  return objects;
}

/** The floor: each object gunzipped, split into lines and each line parsed, nothing else. */
function bareLoop(objects: ReadonlyMap<string, Buffer>): number {
  let n = 0;
  for (const bytes of objects.values()) {
    const text = gunzipSync(bytes).toString('utf8');
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end === -1) end = text.length;
      if (end > start) {
        try {
          JSON.parse(text.slice(start, end));
        } catch {
          // a poison line: as parsed as the rest
        }
        n++;
      }
      start = end + 1;
    }
  }
  return n;
}

/** `npm run backfill` from the archive to the items, with the table left out: reading is what scales. */
async function backfillRun(objects: ReadonlyMap<string, Buffer>, aggregate: string, startMs: number): Promise<number> {
  const plan = planAggregates(loadDeclarationsFile(PROJECT_AGGREGATES_FILE), SETTINGS.defaultLatenessSeconds);
  const reader: ArchiveReader = {
    list: (prefix) => {
      const out: ArchiveObject[] = [];
      for (const [key, bytes] of objects) if (key.startsWith(prefix)) out.push({ key, size: bytes.length });
      return Promise.resolve(out);
    },
    get: (key) => Promise.resolve(objects.get(key)!),
  };
  let items = 0;
  const store: ItemReplacer = {
    dryRun: true,
    replace: (_a, _spans, produced) => {
      items += produced.length;
      return Promise.resolve({ written: produced.length, deleted: 0 });
    },
  };
  const summary = await runBackfill(
    {
      aggregate: plan.aggregates.find((a) => a.name === aggregate)!,
      fromMs: startMs,
      toMs: startMs + HOUR,
      settings: SETTINGS,
      nowMs: startMs + 30 * 86_400_000,
    },
    reader,
    store,
  );
  if (items === 0) throw new Error('backfill bench: no items');
  return summary.records;
}

async function rate(fn: () => number | Promise<number>): Promise<number> {
  const started = process.hrtime.bigint();
  const records = await fn();
  return records / (Number(process.hrtime.bigint() - started) / 1e9);
}

/**
 * Backfill's rate over the archive against a bare gunzip + JSON.parse loop over the same objects,
 * their rounds alternating (the harness's rule for a shared machine); target at least 0.5.
 */
export async function benchBackfill(rounds = 9, warmup = 2): Promise<BenchResult[]> {
  const startMs = Math.floor((Date.now() - 10 * 86_400_000) / HOUR) * HOUR;
  const objects = archive(startMs);
  const results: BenchResult[] = [];
  for (const aggregate of ['by_key', 'pages']) {
    for (let i = 0; i < warmup; i++) {
      bareLoop(objects);
      await backfillRun(objects, aggregate, startMs);
    }
    const b: number[] = [];
    const c: number[] = [];
    for (let i = 0; i < rounds; i++) {
      b.push(await rate(() => bareLoop(objects)));
      c.push(await rate(() => backfillRun(objects, aggregate, startMs)));
    }
    const ratio = median(c) / median(b);
    results.push({
      name: `backfill of ${aggregate} from GZIP NDJSON archive objects (in memory, table left out) vs bare gunzip + JSON.parse`,
      value: median(c),
      unit: 'records/s',
      ratio,
      target: '>= 0.5',
      pass: ratio >= 0.5,
    });
  }
  return results;
}

if (require.main === module) {
  void benchBackfill().then((r) => console.log(JSON.stringify(r, null, 2)));
}
