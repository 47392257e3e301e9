import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { loadDeclarations, PROFILES, type Stage, validateConfig } from '../lib/config';
import type { CostInputs, ItemSizeInput, MeasuredOn, WritesCostInputs } from './measured-inputs';
import type { Declarations } from '../lambda/shared/declarations';
import {
  type CostBreakdown,
  type CostInput,
  CostModelError,
  type Measured,
  cheaperModeByRate,
  monthlyCost,
  peakCrossover,
  SERVICES,
  type StreamMode,
  withOverrides,
} from './model';
import { type CostOptions, parseOptions, USAGE, UsageError } from './options';
import { PRICES_AS_OF, REGION } from './prices';

const ROOT = join(__dirname, '..');
export const DEFAULT_RESULTS = join(ROOT, 'bench', 'results.json');

const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isRequests = (r: unknown): r is { writes: number; reads: number } =>
  isNumber((r as { writes?: unknown } | undefined)?.writes) && isNumber((r as { reads?: unknown }).reads);

/** The measured inputs, from bench/results.json as `npm run bench` writes it. */
export function measuredFrom(data: unknown, file: string): Measured {
  const inputs = (data as { costInputs?: Partial<CostInputs> } | null)?.costInputs;
  const writes = inputs?.writes as Partial<WritesCostInputs> | undefined;
  const points = inputs?.batchDurations?.points;
  if (
    writes === undefined ||
    !isRequests(writes.exactRequestsPerItem) ||
    !isRequests(writes.sketchRequestsPerItem) ||
    !isRequests(writes.contendedRequestsPerWrite) ||
    !Array.isArray(writes.itemSizes) ||
    !(writes.itemSizes as unknown[]).every(
      (i) =>
        isNumber((i as Partial<ItemSizeInput>).fullWindowWriteWeightedBytes) &&
        isNumber((i as Partial<ItemSizeInput>).fullWindowMeanBytes),
    ) ||
    !isNumber(writes.watermarkBytesPerShard) ||
    !isNumber(writes.byTypeIndexEntryBytes) ||
    !Array.isArray(points) ||
    points.length === 0
  ) {
    throw new CostModelError(
      `${file}: no costInputs (writes: requests per item, item sizes; batchDurations) of the declared aggregates; run npm run bench`,
    );
  }
  const machine = (data as { machine?: MeasuredOn }).machine;
  const when = machine === undefined ? '' : `, ${machine.date.slice(0, 10)} on ${machine.cpu}`;
  const pick = (r: { writes: number; reads: number }) => ({ writes: r.writes, reads: r.reads });
  return {
    exact: pick(writes.exactRequestsPerItem),
    sketch: pick(writes.sketchRequestsPerItem),
    contended: pick(writes.contendedRequestsPerWrite),
    itemSizes: (writes.itemSizes as readonly ItemSizeInput[]).map((i) => ({
      aggregate: i.aggregate,
      window: i.window,
      signature: i.signature,
      writeBytes: i.fullWindowWriteWeightedBytes,
      storedBytes: i.fullWindowMeanBytes,
    })),
    watermarkBytesPerShard: writes.watermarkBytesPerShard,
    byTypeIndexEntryBytes: writes.byTypeIndexEntryBytes,
    batchPoints: points.map((p) => ({ records: p.records, items: p.items, ms: p.ms })),
    source: `${file.startsWith(ROOT) ? relative(ROOT, file) : file} (LOCAL, dynalite${when})`,
  };
}

export function loadMeasured(file = DEFAULT_RESULTS): Measured {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new CostModelError(`${file}: cannot read it; npm run bench writes it`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new CostModelError(`${file}: not JSON; rerun npm run bench`);
  }
  return measuredFrom(data, file);
}

const usd = (n: number): string =>
  `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

function quantity(n: number): string {
  if (n === 0) return '0';
  if (n >= 1_000) return Math.round(n).toLocaleString('en-US');
  if (n >= 10) return n.toFixed(1);
  return n.toPrecision(3);
}

function unitPrice(n: number): string {
  return `$${Number(n.toPrecision(4)).toString()}`;
}

function align(rows: string[][], right: ReadonlySet<number>): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (right.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd(),
  );
}

const percent = (part: number, whole: number): string => `${((100 * part) / whole).toFixed(1)} %`;

/** What the byType index costs, and DynamoDB's share, for the footer and docs/cost.md. */
export function indexSentence(b: CostBreakdown, withIndex: CostBreakdown): string {
  const dynamo = `shares: DynamoDB is ${percent(b.byService.DynamoDB, b.totalUsd)} of the total`;
  const indexUsd = usd(withIndex.derived.byTypeIndexUsd);
  const share = percent(withIndex.derived.byTypeIndexUsd, withIndex.totalUsd);
  return b.derived.byTypeIndexUsd > 0
    ? `${dynamo}; the byType index costs ${indexUsd} of it, ${share} of the bill (aggregates.byTypeIndex=true)`
    : `${dynamo}; the byType index is off: on (--by-type-index on), it would add ${indexUsd}, ${share} of a bill of ${usd(withIndex.totalUsd)}`;
}

/** The aligned plain-text breakdown; `withIndex` is the same input with the byType index on. */
export function formatBreakdown(b: CostBreakdown, withIndex: CostBreakdown = b): string {
  const i = b.input;
  const d = b.derived;
  const header = [
    `Monthly cost (730 h), ${REGION} list prices as of ${PRICES_AS_OF.split(' ')[0]} (cost/prices.ts)`,
    `${i.stage} profile, ${i.mode} stream, ${i.rate.toLocaleString('en-US')} events/s of ${i.sizeBytes.toLocaleString('en-US')} bytes, ` +
      `${i.keys.toLocaleString('en-US')} keys, peak ×${i.peakFactor}, archive ${i.archiveFormat}, search ${i.search ? 'on' : 'off'}`,
    '',
  ];
  const rows = [
    ['service', 'item', 'quantity', 'unit', 'unit price', 'USD/month'],
    ...b.items.map((l) => [l.service, l.item, quantity(l.quantity), l.per, unitPrice(l.unitUsd), usd(l.usd)]),
  ];
  const body = align(rows, new Set([2, 4, 5]));
  const width = Math.max(...body.map((l) => l.length));
  const totals = SERVICES.filter((s) => b.byService[s] > 0).map((s) => `${s} ${usd(b.byService[s])}`);
  const footer = [
    '-'.repeat(width),
    align([['total', usd(b.totalUsd)]], new Set([1]))[0].replace(/^total\s+/, (m) =>
      m.padEnd(width - usd(b.totalUsd).length),
    ),
    '',
    `by service: ${totals.join(', ')}`,
    indexSentence(b, withIndex),
    `aggregator reads ${i.consumer === 'efo' ? 'through enhanced fan-out' : 'by polling'}: about ${d.aggregatorPropagationMs} ms put-to-get propagation (AWS's figures, cost/model.ts propagationDelayMs)`,
    `shards ${d.shards} (${d.consumers} consumers, ${d.pollingReaders} polling); ${quantity(d.recordsPerBatch)} records and ${quantity(d.itemsPerBatch)} stored items per batch; ` +
      `${quantity(d.batchMs)} ms per batch from ${d.batchMsSource}`,
    `stored items per batch and bytes per write: ${d.declarations
      .map(
        (l) =>
          `${l.aggregate} ${l.window} ${quantity(l.itemsPerBatch)} × ${Math.round(l.writeBytes).toLocaleString('en-US')} B` +
          `${l.shardsWriting > 1 ? ` (${l.shardsWriting} shards write each)` : ''}${l.sizeSource === 'estimated' ? ' (size estimated)' : ''}`,
      )
      .join(', ')}`,
    `Assumptions: cost/model.ts ASSUMPTIONS. Free tiers, data transfer, KMS requests and dashboard reads are not included.`,
  ];
  return [...header, body[0], '-'.repeat(width), ...body.slice(1), ...footer].join('\n');
}

export const TABLE_RATES = [10, 100, 1_000] as const;
export const TABLE_SIZE = 1_024;

/** The project's declarations (aggregates.json), as the profiles name them. */
export function projectDeclarations(): Declarations {
  return loadDeclarations(PROFILES.dev);
}

/** The Markdown table of docs/cost.md and the crossover sentences. */
export function formatReadmeTable(
  measured: Measured,
  keys: number,
  declarations: Declarations = projectDeclarations(),
): string {
  const stages: Stage[] = ['dev', 'prod'];
  const modes: StreamMode[] = ['on-demand', 'provisioned'];
  const cost = (stage: Stage, mode: StreamMode, rate: number, byTypeIndex?: boolean): CostBreakdown =>
    monthlyCost({
      rate,
      sizeBytes: TABLE_SIZE,
      config: withOverrides(PROFILES[stage], { mode, byTypeIndex }),
      declarations,
      mode,
      keys,
      peakFactor: 1,
      measured,
    });
  const dollars = (n: number): string => `$${Math.round(n).toLocaleString('en-US')}`;
  const columns = stages.flatMap((s) => modes.map((m) => [s, m] as const));
  const lines = [
    `| events/s (1 KiB each) | ${columns.map(([s, m]) => `${s}, ${m}`).join(' | ')} |`,
    `| --- | ${columns.map(() => '---').join(' | ')} |`,
    ...TABLE_RATES.map((rate) => {
      const cells = columns.map(([s, m]) => {
        const b = cost(s, m, rate);
        return `${dollars(b.totalUsd)} (Kinesis ${dollars(b.byService.Kinesis)}, DynamoDB ${dollars(b.byService.DynamoDB)})`;
      });
      return `| ${rate.toLocaleString('en-US')} | ${cells.join(' | ')} |`;
    }),
    '',
  ];
  for (const stage of stages) {
    const base = { sizeBytes: TABLE_SIZE, config: PROFILES[stage], declarations, keys, peakFactor: 1, measured };
    const segments = cheaperModeByRate(base);
    const sentence =
      segments.length === 1
        ? `at a steady rate, ${segments[0].mode} (shards sized for the rate) is cheaper at every rate from 1 to 1,000,000 events/s`
        : `at a steady rate, ${segments
            .map((seg) => `${seg.mode} is cheaper from ${seg.rate.toLocaleString('en-US')} events/s`)
            .join(', then ')}`;
    const peaks = TABLE_RATES.map((rate) => {
      const f = peakCrossover({ ...base, rate });
      const times = f === undefined ? 'more than 100' : `about ${Math.round(f)}`;
      return `${times} times the average at ${rate.toLocaleString('en-US')} events/s`;
    });
    lines.push(
      `- ${stage}: ${sentence}. On-demand becomes the cheaper mode only when provisioned shards must be sized for ` +
        `a peak far above the average rate: a peak of ${peaks.join(', ')}.`,
    );
  }
  for (const stage of stages) {
    const mode = PROFILES[stage].stream.mode;
    const off = cost(stage, mode, 1_000, false);
    const on = cost(stage, mode, 1_000, true);
    lines.push(
      `- ${stage}, ${mode}, at 1,000 events/s: DynamoDB is ${percent(off.byService.DynamoDB, off.totalUsd)} of ${dollars(off.totalUsd)}; ` +
        `the optional byType index (aggregates.byTypeIndex, off by default) would add ${dollars(on.derived.byTypeIndexUsd)}, ` +
        `${percent(on.derived.byTypeIndexUsd, on.totalUsd)} of the bill with it on.`,
    );
  }
  lines.push(
    '',
    `${REGION} list prices as of ${PRICES_AS_OF.split(' ')[0]} (cost/prices.ts); ${keys.toLocaleString('en-US')} keys; 1 KiB = 1,024 bytes; ` +
      `the declared aggregates of aggregates.json; aggregator duration, requests per item and item sizes from ${measured.source}.`,
  );
  return lines.join('\n');
}

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** Runs the CLI; returns the exit code: 0, 1 (a model or results error), 2 (a bad flag). */
export function run(argv: readonly string[], io: Io): number {
  let options: CostOptions;
  try {
    options = parseOptions(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (options.help) {
    io.out(USAGE);
    return 0;
  }
  try {
    const measured = loadMeasured(options.results ?? DEFAULT_RESULTS);
    const aggregatesFile = options.aggregates === undefined ? undefined : resolve(options.aggregates);
    if (options.table) {
      io.out(
        formatReadmeTable(measured, options.keys, loadDeclarations(withOverrides(PROFILES.dev, { aggregatesFile }))),
      );
      return 0;
    }
    const profile = PROFILES[options.stage];
    const config = validateConfig(
      withOverrides(profile, {
        mode: options.mode,
        archiveFormat: options.archiveFormat,
        search: options.search,
        byTypeIndex: options.byTypeIndex,
        aggregatesFile,
      }),
    );
    const input: CostInput = {
      rate: options.rate!,
      sizeBytes: options.sizeBytes!,
      config,
      declarations: loadDeclarations(config),
      mode: config.stream.mode,
      keys: options.keys,
      peakFactor: options.peakFactor,
      measured,
      batchMs: options.batchMs,
    };
    const breakdown = monthlyCost(input);
    const withIndex = config.aggregates.byTypeIndex
      ? breakdown
      : monthlyCost({ ...input, config: withOverrides(config, { byTypeIndex: true }) });
    io.out(
      options.json
        ? JSON.stringify(
            {
              ...breakdown,
              shares: {
                dynamoDb: breakdown.byService.DynamoDB / breakdown.totalUsd,
                byTypeIndexOn: config.aggregates.byTypeIndex,
                byTypeIndexUsdWithItOn: withIndex.derived.byTypeIndexUsd,
                byTypeIndexShareWithItOn: withIndex.derived.byTypeIndexUsd / withIndex.totalUsd,
              },
              pricesAsOf: PRICES_AS_OF,
              region: REGION,
            },
            null,
            2,
          )
        : formatBreakdown(breakdown, withIndex),
    );
    return 0;
  } catch (error) {
    if (error instanceof CostModelError || (error instanceof Error && error.name === 'ConfigError')) {
      io.err(error.message);
      return 1;
    }
    throw error;
  }
}

if (require.main === module) {
  process.exitCode = run(process.argv.slice(2), {
    out: (text) => console.log(text),
    err: (text) => console.error(text),
  });
}
