import { type Command, UsageError, parseFlags, usage } from '../cli/flags';
import { STAGES, type Stage } from '../lib/config';
import { ASSUMPTIONS, type StreamMode } from './model';

export interface CostOptions {
  /** `--table`: the Markdown table of docs/cost.md instead of one breakdown. */
  readonly table: boolean;
  readonly rate?: number;
  readonly sizeBytes?: number;
  readonly stage: Stage;
  /** Undefined: the profile's `stream.mode`. */
  readonly mode?: StreamMode;
  readonly keys: number;
  readonly peakFactor: number;
  readonly archiveFormat?: 'gzip' | 'parquet';
  /** Undefined: the profile's `search.enabled`. */
  readonly search?: boolean;
  readonly batchMs?: number;
  /** Undefined: the profile's `aggregates.byTypeIndex` (off). */
  readonly byTypeIndex?: boolean;
  /** `--aggregates PATH`: another declarations file; undefined: the profile's (aggregates.json). */
  readonly aggregates?: string;
  readonly results?: string;
  readonly json: boolean;
  readonly help: boolean;
}

// One error type and one flag parser for every command-line tool of the repository.
export { UsageError };

export const COST: Command = {
  run: 'npm run cost --',
  synopsis: ['--rate N --size BYTES', '--table'],
  about:
    "Estimates the pipeline's monthly AWS cost from a rate and an event size, with the batch durations and item sizes npm run bench measured.",
  flags: {
    rate: { type: 'string', value: 'N', help: 'average events per second (required, but for --table)' },
    size: {
      type: 'string',
      value: 'BYTES',
      help: 'bytes per event, one Kinesis record each (required, but for --table)',
    },
    stage: { type: 'string', value: STAGES.join('|'), help: 'the profile in lib/config.ts', default: 'dev' },
    mode: {
      type: 'string',
      value: 'on-demand|provisioned',
      help: 'stream capacity mode',
      defaultText: "the profile's stream.mode",
    },
    keys: {
      type: 'string',
      value: 'N',
      help: 'distinct (type, key) pairs, assumed uniform',
      default: `${ASSUMPTIONS.defaultKeys}`,
    },
    'peak-factor': {
      type: 'string',
      value: 'X',
      help: 'peak rate over the average; provisioned shards are sized for the peak',
      default: '1',
    },
    'archive-format': {
      type: 'string',
      value: 'gzip|parquet',
      help: 'archive format',
      defaultText: "the profile's archive.format",
    },
    search: {
      type: 'string',
      value: 'on|off',
      help: 'the OpenSearch leg on or off',
      defaultText: "the profile's search.enabled",
    },
    'batch-ms': {
      type: 'string',
      value: 'MS',
      help: 'aggregator duration per batch, replacing the one measured by npm run bench',
    },
    'by-type-index': {
      type: 'string',
      value: 'on|off',
      help: 'the optional byType index on by_key items',
      defaultText: "the profile's aggregates.byTypeIndex, off",
    },
    aggregates: {
      type: 'string',
      value: 'PATH',
      help: 'the declared aggregates to bill',
      defaultText: "the profile's aggregates.file, aggregates.json",
    },
    results: { type: 'string', value: 'FILE', help: 'benchmark results to read', defaultText: 'bench/results.json' },
    json: { type: 'boolean', help: 'print the breakdown as JSON' },
    table: {
      type: 'boolean',
      help: 'print the table of docs/cost.md: 10, 100 and 1,000 events/s of 1 KiB, both modes, both profiles',
    },
  },
  notes: ['Prices: us-east-1 list prices in cost/prices.ts (dated there). A month is 730 hours.'],
};

export const USAGE = usage(COST);

function positive(flag: string, raw: string | undefined, integer: boolean, min = 0): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (
    raw.trim() === '' ||
    !Number.isFinite(value) ||
    value <= 0 ||
    value < min ||
    (integer && !Number.isInteger(value))
  ) {
    const what = integer ? 'a positive integer' : min > 0 ? `a number of at least ${min}` : 'a positive number';
    throw new UsageError(`--${flag}: expected ${what}, got "${raw}"`);
  }
  return value;
}

function choice<T extends string>(flag: string, raw: string | undefined, allowed: readonly T[]): T | undefined {
  if (raw === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new UsageError(`--${flag}: must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

export function parseOptions(argv: readonly string[]): CostOptions {
  const values = parseFlags(argv, COST.flags);
  const str = (name: string): string | undefined => values[name] as string | undefined;
  const help = values.help === true;
  const table = values.table === true;

  const rate = positive('rate', str('rate'), false);
  const sizeBytes = positive('size', str('size'), true);
  if (!help && !table) {
    if (rate === undefined) throw new UsageError('--rate: required, average events per second');
    if (sizeBytes === undefined) throw new UsageError('--size: required, bytes per event');
  }
  if (sizeBytes !== undefined && sizeBytes > 1_048_576) {
    throw new UsageError(`--size: a Kinesis record holds at most 1,048,576 bytes, got ${sizeBytes}`);
  }
  const searchRaw = choice('search', str('search'), ['on', 'off'] as const);
  const indexRaw = choice('by-type-index', str('by-type-index'), ['on', 'off'] as const);
  const results = str('results');
  if (results === '') throw new UsageError('--results: expected a file path');
  const aggregates = str('aggregates');
  if (aggregates === '') throw new UsageError('--aggregates: expected a file path');
  return {
    table,
    rate,
    sizeBytes,
    stage: choice('stage', str('stage'), STAGES)!,
    mode: choice('mode', str('mode'), ['on-demand', 'provisioned'] as const),
    keys: positive('keys', str('keys'), true)!,
    peakFactor: positive('peak-factor', str('peak-factor'), false, 1)!,
    archiveFormat: choice('archive-format', str('archive-format'), ['gzip', 'parquet'] as const),
    search: searchRaw === undefined ? undefined : searchRaw === 'on',
    batchMs: positive('batch-ms', str('batch-ms'), false),
    byTypeIndex: indexRaw === undefined ? undefined : indexRaw === 'on',
    aggregates,
    results,
    json: values.json === true,
    help,
  };
}
