import { STREAM_NAME_PATTERN } from '../lambda/shared/constants';
import { type Command, UsageError, parseFlags, usage } from '../cli/flags';
import { type Declarations, DeclarationError } from '../lambda/shared/declarations';
import { aggregatesFileOption, loadDeclarationsFile } from '../lambda/shared/declarations-file';
import { parseIsoTimestamp } from '../lambda/shared/event-schema';
import { DEFAULT_KEYS, SCENARIOS, type ScenarioName } from './scenarios';

export interface LoadgenOptions {
  readonly stream: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly scenario: ScenarioName;
  readonly rate: number;
  readonly durationMs?: number;
  readonly count?: number;
  readonly keys: number;
  readonly seed: number;
  readonly kpl: boolean;
  readonly expect?: string;
  readonly poison: number;
  readonly json: boolean;
  readonly concurrency: number;
  /** Attempts after the first before a record counts as lost. */
  readonly maxRetries: number;
  /** The declarations `--expect` computes the truth of. */
  readonly declarations: Declarations;
  /** Event time of the first event, epoch ms. */
  readonly startMs: number;
}

// The repository's tools share one error type and one flag parser; older imports find them here.
export { UsageError, parseFlags };

const DEFAULT_REGION = 'us-east-1';

export const LOADGEN: Command = {
  run: 'npm run loadgen --',
  synopsis: ['--stream NAME --scenario clickstream|iot|logs --rate N (--duration 60s | --count N)'],
  about:
    'Puts generated events on a Kinesis stream at a held rate, retries what the stream refuses, and reports what was accepted.',
  flags: {
    stream: { type: 'string', value: 'NAME', help: 'Kinesis stream name (required)' },
    scenario: { type: 'string', value: 'NAME', help: `${SCENARIOS.join(', ')} (required)` },
    rate: {
      type: 'string',
      value: 'N',
      help: 'events per second, held by a token bucket and lowered while the stream throttles (required)',
    },
    duration: { type: 'string', value: 'TIME', help: 'how long to send: 500ms, 60s, 5m, 1h (or plain seconds)' },
    count: { type: 'string', value: 'N', help: 'how many events to send (instead of --duration)' },
    endpoint: {
      type: 'string',
      value: 'URL',
      help: "Kinesis endpoint; on 127.0.0.1 or localhost (local mode's) it uses the emulators' credentials",
    },
    region: {
      type: 'string',
      value: 'R',
      help: 'AWS region',
      defaultText: `AWS_REGION, else AWS_DEFAULT_REGION, else ${DEFAULT_REGION}`,
    },
    keys: {
      type: 'string',
      value: 'N',
      help: 'key cardinality',
      defaultText: SCENARIOS.map((s) => `${s} ${DEFAULT_KEYS[s]}`).join(', '),
    },
    seed: { type: 'string', value: 'S', help: 'same seed, same events', default: '1' },
    kpl: { type: 'boolean', help: 'pack user records into KPL-aggregated records' },
    poison: {
      type: 'string',
      value: 'RATE',
      help: 'share of records that break the event contract, 0..1',
      default: '0',
    },
    expect: {
      type: 'string',
      value: 'FILE',
      help: 'write the exact aggregates of the valid events accepted to this file, for npm run verify',
    },
    json: { type: 'boolean', help: 'print the summary as JSON' },
    concurrency: { type: 'string', value: 'N', help: 'PutRecords calls in flight', default: '8' },
    'max-retries': {
      type: 'string',
      value: 'N',
      help: 'retries per record, with jittered exponential backoff, before it counts as lost',
      default: '10',
    },
    aggregates: {
      type: 'string',
      value: 'PATH',
      help: 'the declared aggregates --expect computes',
      defaultText: "the repository's aggregates.json",
    },
    start: { type: 'string', value: 'ISO-8601', help: 'event time of the first event', defaultText: 'now' },
    // Gone since windows come from the declarations; kept only to say so.
    'window-seconds': { type: 'string', help: 'gone', hidden: true },
  },
  notes: [
    'Exit 0 when every event was accepted, 1 when any was lost or the run stopped on an error no retry fixes',
    '(no credentials, unknown stream, access denied, nothing at --endpoint), 2 on a usage error.',
  ],
};

export const USAGE = usage(LOADGEN);

function positiveNumber(flag: string, raw: string | undefined, integer: boolean): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${flag}: expected a positive ${integer ? 'integer' : 'number'}, got "${raw}"`);
  }
  return value;
}

function maxRetries(raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(value) || value < 0 || value > 100) {
    throw new UsageError(`--max-retries: expected an integer from 0 to 100, got "${raw}"`);
  }
  return value;
}

/**
 * `--aggregates PATH`, shared by the command-line tools: the file is read and validated here, so a
 * mistake stops the tool before it does anything, naming the file and the JSON path at fault.
 */
export function aggregatesOption(value: string | undefined): Declarations {
  if (value === '') throw new UsageError('--aggregates: must not be empty');
  try {
    return loadDeclarationsFile(aggregatesFileOption(value));
  } catch (error) {
    if (error instanceof DeclarationError) throw new UsageError(`--aggregates: ${error.message}`);
    throw error;
  }
}

/** `500ms`, `60s`, `5m`, `1h`, or plain seconds. */
export function parseDuration(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw.trim());
  if (m === null || Number(m[1]) <= 0) {
    throw new UsageError(`--duration: expected a positive duration such as 500ms, 60s, 5m or 1h, got "${raw}"`);
  }
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}

export function parseOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  now = Date.now(),
): LoadgenOptions {
  const values = parseFlags(argv, LOADGEN.flags);
  const str = (name: string): string | undefined => values[name] as string | undefined;

  const stream = str('stream');
  if (stream === undefined || stream === '') throw new UsageError('--stream: required, the Kinesis stream name');
  if (!STREAM_NAME_PATTERN.test(stream)) {
    throw new UsageError(`--stream: "${stream}" is not a valid stream name (1..128 of a-z A-Z 0-9 _ . -)`);
  }
  const scenario = str('scenario');
  if (scenario === undefined) throw new UsageError(`--scenario: required, one of ${SCENARIOS.join(', ')}`);
  if (!(SCENARIOS as readonly string[]).includes(scenario)) {
    throw new UsageError(`--scenario: must be one of ${SCENARIOS.join(', ')}, got "${scenario}"`);
  }
  const rate = positiveNumber('rate', str('rate'), false);
  if (rate === undefined) throw new UsageError('--rate: required, events per second');

  const durationRaw = str('duration');
  const count = positiveNumber('count', str('count'), true);
  if ((durationRaw === undefined) === (count === undefined)) {
    throw new UsageError('--duration or --count: give exactly one of them');
  }
  const poisonRaw = str('poison')!;
  const poison = Number(poisonRaw);
  if (poisonRaw.trim() === '' || !(poison >= 0 && poison <= 1)) {
    throw new UsageError(`--poison: expected a share from 0 to 1, got "${poisonRaw}"`);
  }
  const seedRaw = str('seed')!;
  const seed = Number(seedRaw);
  if (seedRaw.trim() === '' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new UsageError(`--seed: expected an integer from 0 to 4294967295, got "${seedRaw}"`);
  }
  const endpoint = str('endpoint');
  if (endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(endpoint)) {
    throw new UsageError(`--endpoint: expected a URL such as http://127.0.0.1:4567, got "${endpoint}"`);
  }
  const startRaw = str('start');
  let startMs = Math.floor(now / 1000) * 1000;
  if (startRaw !== undefined) {
    const parsed = parseIsoTimestamp(startRaw);
    if (parsed === undefined) throw new UsageError(`--start: expected ISO-8601 with an offset, got "${startRaw}"`);
    startMs = parsed;
  }
  if (str('window-seconds') !== undefined) {
    throw new UsageError('--window-seconds: no longer taken; the windows are those of --aggregates');
  }
  const declarations = aggregatesOption(str('aggregates'));

  return {
    stream,
    ...(endpoint === undefined ? {} : { endpoint }),
    region: str('region') ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? DEFAULT_REGION,
    scenario: scenario as ScenarioName,
    rate,
    ...(durationRaw === undefined ? {} : { durationMs: parseDuration(durationRaw) }),
    ...(count === undefined ? {} : { count }),
    keys: positiveNumber('keys', str('keys'), true) ?? DEFAULT_KEYS[scenario as ScenarioName],
    seed,
    kpl: values.kpl === true,
    ...(str('expect') === undefined ? {} : { expect: str('expect') }),
    poison,
    json: values.json === true,
    concurrency: positiveNumber('concurrency', str('concurrency'), true)!,
    maxRetries: maxRetries(str('max-retries')!),
    declarations,
    startMs,
  };
}
