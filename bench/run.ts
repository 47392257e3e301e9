import { readFile, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, platform, release, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildSync } from 'esbuild';
import { format as prettierFormat, resolveConfig } from 'prettier';
import { benchAggregateWrites } from './aggregate-writes.bench';
import { benchBackfill } from './backfill.bench';
import { batchDurationResults, measureBatchDurations } from './aggregator-batch.bench';
import { benchAggregatorBundle } from './aggregator-bundle.bench';
import { benchLoadgen } from './loadgen.bench';
import { benchLocalPipeline } from './local-pipeline.bench';
import { runtimeNode, runtimeNodeMajor } from './runtime-node';
import { aggregatorBundleProps } from '../lib/constructs/aggregator';
import { bundleFileName, esbuildOptions } from '../lib/constructs/esbuild-options';
import { DEFAULT_AGGREGATES_FILE } from '../lambda/shared/declarations';
import { PROJECT_AGGREGATES_FILE } from '../lambda/shared/declarations-file';
import type { BenchmarkResults, BenchResult, Machine, StoredResult } from './harness';
import { formatReadmeTable, measuredFrom } from '../cost/cli';
import { type Command, parseCommandLine, parseFlags } from '../cli/flags';
import { blockMarkers, formatMarkdown, replaceBetween } from '../scripts/docs/blocks';

const ROOT = join(__dirname, '..');
const RESULTS_FILE = join(ROOT, 'bench', 'results.json');
const REPORT_FILE = join(ROOT, 'BENCHMARKS.md');
const README_FILE = join(ROOT, 'README.md');
const HEADLINE = { start: '<!-- bench:headline:start -->', end: '<!-- bench:headline:end -->' };
const COST_FILE = join(ROOT, 'docs', 'cost.md');
const COST_TABLE = blockMarkers('cost');

const BENCH: Command = {
  run: 'npm run bench --',
  about:
    `Runs every benchmark, several minutes, best on a quiet machine, and writes ${relative(ROOT, RESULTS_FILE)} ` +
    `(which npm run cost reads), ${relative(ROOT, REPORT_FILE)}, the headline in ${relative(ROOT, README_FILE)} ` +
    `and the cost table in ${relative(ROOT, COST_FILE)}.`,
  flags: {
    'core-only': {
      type: 'boolean',
      help: 'run only the aggregator core benchmark (about 45 s), print its ratios and write nothing',
    },
    'bundle-only': {
      type: 'boolean',
      help: 'run only the aggregator bundle benchmark (about 30 s), print its results and write nothing',
    },
  },
  notes: ['Exit 1 when a benchmark misses its target.'],
};

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);
}

function number(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

const requests = (r: { writes: number; reads: number }): string =>
  `${(r.writes + r.reads).toFixed(2)}` + ` (${r.writes.toFixed(2)} writes + ${r.reads.toFixed(2)} reads)`;
const size = (bytes: number): string =>
  `${Math.round(bytes).toLocaleString('en-US')} B, ${Math.max(1, Math.ceil(bytes / 1_024))} WCU`;

function verdict(r: { pass?: boolean }): string {
  return r.pass === undefined ? '' : r.pass ? 'met' : '**missed**';
}

const cell = (text: string): string => text.replace(/\|/g, '\\|');

function consoleLine(r: StoredResult): string {
  const ratio = r.ratio === undefined ? '' : `ratio ${r.ratio.toFixed(2)}  `;
  const target = r.pass === undefined ? '' : `  target ${r.target}: ${r.pass ? 'met' : 'MISSED'}`;
  return `- ${r.name}: ${ratio}${number(r.value)} ${r.unit}${target}`;
}

function report(data: BenchmarkResults): string {
  const { machine, results, costInputs } = data;
  const ratios = results.filter((r) => r.ratio !== undefined);
  const others = results.filter((r) => r.ratio === undefined);
  const lines = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (`bench/run.ts`); the raw results are in [`bench/results.json`](bench/results.json),',
    'which the cost model (`npm run cost`) reads. Rerun it rather than editing this file.',
    '',
    '| machine | |',
    '| --- | --- |',
    `| CPU | ${cell(machine.cpu)} |`,
    `| cores | ${machine.cores} |`,
    `| Node.js | ${machine.node} |`,
    `| OS | ${cell(machine.os)} |`,
    `| date | ${machine.date} |`,
    `| load average (1 min), start → end | ${machine.loadAverage.start.toFixed(2)} → ${machine.loadAverage.end.toFixed(2)} |`,
    '',
    'The machine is shared and noisy, so each throughput result is a ratio to a baseline timed in the same run,',
    'their rounds alternating; the absolute numbers beside the ratios describe only this machine on this day.',
    '',
    '## Ratios',
    '',
    '| benchmark | ratio | absolute: candidate vs baseline | target | verdict |',
    '| --- | --- | --- | --- | --- |',
    ...ratios.map(
      (r) =>
        `| ${cell(r.name)} | **${r.ratio!.toFixed(2)}** | ${number(r.value)} vs ${number(r.value / r.ratio!)} ${r.unit} | ${cell(r.target ?? '')} | ${verdict(r)} |`,
    ),
    '',
    '## Baselines, counts and latencies',
    '',
    'Rows marked LOCAL are measurements against the emulators on this machine, not AWS figures.',
    '',
    '| benchmark | value | target | verdict |',
    '| --- | --- | --- | --- |',
    ...others.map(
      (r) => `| ${cell(r.name)} | ${number(r.value)} ${r.unit} | ${cell(r.target ?? '')} | ${verdict(r)} |`,
    ),
    '',
    '## What the cost model reads',
    '',
    `From ${costInputs.writes.source} (${costInputs.writes.note}):`,
    '',
    `- requests per stored item per batch: exact items **${requests(costInputs.writes.exactRequestsPerItem)}**; ` +
      `items with sketches **${requests(costInputs.writes.sketchRequestsPerItem)}**; ` +
      `items with sketches that ${costInputs.writes.contendedRequestsPerWrite.shards} shards write, each once a second, per applied write ` +
      '(refused conditional writes included), ' +
      `**${requests(costInputs.writes.contendedRequestsPerWrite)}**;`,
    `- one shard's watermark on an item: ${costInputs.writes.watermarkBytesPerShard.toFixed(1)} bytes; ` +
      `a by_key item's byType index entry: ${Math.round(costInputs.writes.byTypeIndexEntryBytes)} bytes;`,
    "- item sizes by DynamoDB's rules (one watermark; 1 WCU per 1 KB, rounded up):",
    '',
    '| declaration | window | sketches | read back after the run, median | full window at 1,000 events/s: write-weighted | mean | largest (groups) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...costInputs.writes.itemSizes.map(
      (i) =>
        `| ${i.aggregate} | ${i.window} | ${i.sketches ? 'yes' : 'no'} | ${size(i.readBackMedianBytes)} | ${size(i.fullWindowWriteWeightedBytes)} | ${size(i.fullWindowMeanBytes)} | ${size(i.fullWindowMaxBytes)} (${i.fullWindowGroups}) |`,
    ),
    '',
    `Aggregator batch duration (${costInputs.batchDurations.source}; ${costInputs.batchDurations.note}):`,
    '',
    '| records per batch | stored items | ms per batch (LOCAL, dynalite) | of which CPU (core alone) |',
    '| --- | --- | --- | --- |',
    ...costInputs.batchDurations.points.map(
      (p) => `| ${p.records} | ${p.items} | ${p.ms.toFixed(1)} | ${p.coreMs.toFixed(2)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

/** The results that have a target, for the README: it quotes them from this run, never by hand. */
function headline(data: BenchmarkResults): string {
  const rows = data.results
    .filter((r) => r.target !== undefined)
    .map((r) => {
      const result =
        r.ratio === undefined
          ? `${number(r.value)} ${r.unit}`
          : `ratio **${r.ratio.toFixed(2)}** (${number(r.value)} ${r.unit})`;
      return `| ${cell(r.name)} | ${result} | ${cell(r.target ?? '')} | ${verdict(r)} |`;
    });
  return [
    `From the committed [BENCHMARKS.md](BENCHMARKS.md): ${cell(data.machine.cpu)}, ${data.machine.cores} cores, Node ${data.machine.node}, ${data.machine.date.slice(0, 10)}.`,
    '',
    '| benchmark | result | target | verdict |',
    '| --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** Rewrites one block of a Markdown file, between its markers, with what this run measured. */
async function updateBlock(file: string, markers: { start: string; end: string }, text: string): Promise<void> {
  const updated = replaceBetween(await readFile(file, 'utf8'), markers, text, file);
  await writeFile(file, await formatMarkdown(updated, file));
}

/** One benchmark alone (`--core-only`, `--bundle-only`), to measure a change several times over: nothing is written. */
async function only(file: string, bench: () => BenchResult[] | Promise<BenchResult[]>): Promise<void> {
  const loadAtStart = loadavg()[0];
  const results = await bench();
  for (const r of results) console.log(consoleLine({ ...r, id: r.id ?? r.name, file }));
  console.log(`load average (1 min) ${loadAtStart.toFixed(2)} -> ${loadavg()[0].toFixed(2)}`);
  if (results.some((r) => r.pass === false)) process.exitCode = 1;
}

/** Processes the core benchmark runs in, per Node and flags: its result is the median process's. */
const CORE_PROCESSES = 3;

/**
 * The core benchmark in Node processes of its own, as the aggregator runs in Lambda: `bundle`
 * (buildCoreBundle), run by `node` with `nodeFlags`. Bundled, the sources call each other directly;
 * run through tsx, as this script is, each use of an imported name calls a getter, and the core
 * measured 3 to 8 % slower. Run after the load generator's in one process, it once measured 0.48,
 * against 0.63 alone: the load generator's expectations (loadgen/expect.ts) run the event
 * contract's and the declarations' code on their own objects, and V8's type feedback from them
 * slows that code for the aggregator's. On this two-core machine one process's ratio can differ from the next's by a tenth
 * (the baseline itself runs fast in some processes and slow in others), so it runs in CORE_PROCESSES
 * processes and reports the one whose ratio with the default declarations is the median.
 */
function coreInOwnProcess(bundle: string, nodeFlags: readonly string[], node = process.execPath): BenchResult[] {
  const runs = Array.from({ length: CORE_PROCESSES }, (): BenchResult[] => {
    const out = execFileSync(node, [...nodeFlags, bundle], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    return JSON.parse(out) as BenchResult[];
  });
  return medianProcess(runs);
}

/**
 * bench/aggregator-core.process.ts bundled as the aggregator is, into `dir`. The declarations are read
 * from two folders above the bundle, as from lambda/shared/ in the sources, so the repository's
 * aggregates.json is copied there.
 */
function buildCoreBundle(dir: string): string {
  const props = aggregatorBundleProps();
  const file = join(dir, 'bench', 'core', bundleFileName(props));
  buildSync({
    ...esbuildOptions({ ...props, entry: join(__dirname, 'aggregator-core.process.ts') }, file),
    metafile: false,
  });
  copyFileSync(PROJECT_AGGREGATES_FILE, join(dir, DEFAULT_AGGREGATES_FILE));
  return file;
}

/** This script's young-generation flag, without the ones that load tsx: the bundle needs no transform. */
function v8Flags(): string[] {
  return process.execArgv.filter((f) => f.startsWith('--max-semi-space-size'));
}

/**
 * The results of the process whose ratio with the default declarations is the median, whole, so
 * that each row's ratio is its value over the baseline shown beside it.
 */
function medianProcess(runs: readonly BenchResult[][]): BenchResult[] {
  const ratio = (results: readonly BenchResult[]): number =>
    results.find((r) => r.id === 'aggregator-core.defaults')?.ratio ?? NaN;
  const sorted = [...runs].sort((a, b) => ratio(a) - ratio(b));
  return sorted[Math.floor(sorted.length / 2)];
}

/** Every measurement of the core that the full run makes: this Node, its default young generation, the runtime's Node. */
function coreMeasurements(): BenchResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'core-bench-'));
  try {
    const bundle = buildCoreBundle(dir);
    return [
      ...coreInOwnProcess(bundle, v8Flags()),
      ...coreInDefaultYoungGeneration(bundle),
      ...coreOnRuntimeNode(bundle),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The same without this script's `--max-semi-space-size`, in V8's default young generation, and
 * without targets: the core keeps a batch's decoded events alive, so its ratio depends on the young
 * generation more than the baseline's does. The function's is set by Lambda's runtime, from its memory.
 */
function coreInDefaultYoungGeneration(bundle: string): BenchResult[] {
  return coreInOwnProcess(bundle, []).map((r) => ({
    id: r.id === undefined ? undefined : `${r.id}.default-young-generation`,
    name: `${r.name}, V8's default young generation (no --max-semi-space-size)`,
    value: r.value,
    unit: r.unit,
    ...(r.ratio === undefined ? {} : { ratio: r.ratio }),
  }));
}

/**
 * The same, with the same flags, on the Node of the Lambda runtime when this machine's differs: its
 * ratios are the ones the deployed aggregator has. Node 22 and later decode base64 with simdutf and
 * parse JSON faster, so the baseline is faster there, and the core, which parses the same texts.
 */
function coreOnRuntimeNode(bundle: string): BenchResult[] {
  const major = runtimeNodeMajor();
  const node = runtimeNode(major);
  if (node === undefined || node === process.execPath) return [];
  return coreInOwnProcess(bundle, v8Flags(), node).map((r) => ({
    ...r,
    id: r.id === undefined ? undefined : `${r.id}.runtime-node`,
    // The rows with targets go to the README's headline: their names there say only what they measure.
    name: `${r.target === undefined ? r.name : r.name.split(/ \(|:/)[0]}, on the Lambda runtime's Node ${major}`,
  }));
}

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0];
  const started: Omit<Machine, 'loadAverage'> = {
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus().length,
    node: process.version,
    os: `${platform()} ${release()}`,
    date: new Date().toISOString(),
  };
  console.log(`Benchmarks on ${started.cpu} (${started.cores} cores), Node ${started.node}, ${started.date}`);

  // The load generator first: it measures allocation-heavy work, best done before the emulators fill the heap.
  const groups: [file: string, results: BenchResult[]][] = [];
  groups.push(['bench/loadgen.bench.ts', await benchLoadgen()]);
  groups.push(['bench/aggregator-core.bench.ts', coreMeasurements()]);
  groups.push(['bench/aggregator-bundle.bench.ts', await benchAggregatorBundle()]);
  const writes = await benchAggregateWrites();
  groups.push(['bench/aggregate-writes.bench.ts', writes.results]);
  const batchPoints = await measureBatchDurations();
  groups.push(['bench/aggregator-batch.bench.ts', batchDurationResults(batchPoints)]);
  groups.push(['bench/local-pipeline.bench.ts', await benchLocalPipeline()]);
  groups.push(['bench/backfill.bench.ts', await benchBackfill()]);

  const results: StoredResult[] = groups.flatMap(([file, rs]) =>
    rs.map((r) => ({ id: r.id ?? `${slug(file.replace(/^bench\/|\.bench\.ts$/g, ''))}.${slug(r.name)}`, file, ...r })),
  );
  for (const r of results) console.log(consoleLine(r));

  const exact = writes.costInputs.exactRequestsPerItem;
  // The load average says how busy the shared machine was while it ran.
  const data: BenchmarkResults = {
    schema: 2,
    machine: { ...started, loadAverage: { start: loadAtStart, end: loadavg()[0] } },
    results,
    costInputs: {
      writesPerItemPerBatch: {
        value: exact.writes + exact.reads,
        source: 'bench/aggregate-writes.bench.ts',
        note: 'by_key: conditional UpdateItem requests (and reads) per stored item per batch, LOCAL against dynalite',
      },
      writes: {
        ...writes.costInputs,
        source: 'bench/aggregate-writes.bench.ts',
        note: "default declarations, load generator events, LOCAL against dynalite; sizes by DynamoDB's documented rules",
      },
      batchDurations: {
        points: batchPoints,
        source: 'bench/aggregator-batch.bench.ts',
        note: 'processBatch wall time per batch, default declarations, LOCAL against dynalite and s3rver; the cost model interpolates by stored items',
      },
    },
  };
  // Formatted as `npm run lint` (prettier --check .) expects them.
  const style = (await resolveConfig(REPORT_FILE)) ?? {};
  const [json, markdown] = await Promise.all([
    prettierFormat(JSON.stringify(data), { ...style, filepath: RESULTS_FILE }),
    prettierFormat(report(data), { ...style, filepath: REPORT_FILE }),
  ]);
  await Promise.all([writeFile(RESULTS_FILE, json), writeFile(REPORT_FILE, markdown)]);
  // The README quotes the results with targets; the cost table in docs/ rests on these measurements too.
  await updateBlock(README_FILE, HEADLINE, headline(data));
  await updateBlock(COST_FILE, COST_TABLE, formatReadmeTable(measuredFrom(data, RESULTS_FILE), 1_000));
  console.log(
    `Wrote ${REPORT_FILE}, ${RESULTS_FILE}, the headline in ${README_FILE} and the cost table in ${COST_FILE}`,
  );

  const missed = results.filter((r) => r.pass === false);
  if (missed.length > 0) {
    console.error(`${missed.length} target(s) missed`);
    process.exitCode = 1;
  }
}

const parsed = parseCommandLine(BENCH, process.argv.slice(2), (argv) => parseFlags(argv, BENCH.flags));
if ('options' in parsed && (parsed.options['core-only'] === true || parsed.options['bundle-only'] === true)) {
  const [file, bench] =
    parsed.options['core-only'] === true
      ? ['bench/aggregator-core.bench.ts', coreMeasurements]
      : ['bench/aggregator-bundle.bench.ts', () => benchAggregatorBundle()];
  only(file, bench).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
} else if ('options' in parsed) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
} else {
  process.exitCode = parsed.exitCode;
}
