import { DEFAULT_WINDOW_SECONDS } from '../lambda/shared/aggregate-item';

export const STAGES = ['dev', 'prod'] as const;
export type Stage = (typeof STAGES)[number];

export interface StreamConfig {
  /** `on-demand` scales shards itself; `provisioned` is cheaper at a steady, known rate. */
  readonly mode: 'on-demand' | 'provisioned';
  /** Shards in provisioned mode; ignored on demand. */
  readonly shardCount: number;
  readonly retentionHours: number;
  /**
   * `aws-managed`: the `aws/kinesis` KMS key: no key charge, nothing to grant (cdk-nag KDS3 prefers it).
   * `customer-managed`: a KMS key of the stack's, rotated yearly, under a key policy of your own.
   */
  readonly encryption: 'customer-managed' | 'aws-managed';
}

export interface AggregatorConfig {
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  /** Concurrent batches per shard. Above 1 only when producers use the event key as partition key. */
  readonly parallelizationFactor: number;
  /** Set when every producer uses the event `key` as the partition key (the load generator does). */
  readonly partitionKeyIsAggregateKey: boolean;
  readonly retryAttempts: number;
  readonly maxRecordAgeSeconds: number;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly logRetentionDays: number;
}

export interface AggregatesConfig {
  readonly windowSeconds: number;
  readonly ttlDays: number;
}

export interface DeadLetterConfig {
  /** Days poison records are kept in the dead-letter bucket. */
  readonly expireDays: number;
}

export interface ArchiveConfig {
  /** `gzip`: NDJSON, everything the stream holds. `parquet`: columnar, for Athena at scale; poison goes to the error prefix. */
  readonly format: 'gzip' | 'parquet';
  /** Firehose buffer hints: whichever is reached first writes an object. */
  readonly bufferMiB: number;
  readonly bufferSeconds: number;
  /** Days before archive objects move to S3 Standard-IA. */
  readonly transitionToIaDays: number;
  readonly expireDays: number;
}

export interface PipelineConfig {
  readonly stage: Stage;
  readonly stream: StreamConfig;
  readonly aggregator: AggregatorConfig;
  readonly aggregates: AggregatesConfig;
  readonly deadLetter: DeadLetterConfig;
  readonly archive: ArchiveConfig;
  /** `destroy`: stateful resources go with the stack, buckets emptied first. `retain`: they stay. */
  readonly removal: 'destroy' | 'retain';
}

const dev: PipelineConfig = {
  stage: 'dev',
  stream: { mode: 'on-demand', shardCount: 1, retentionHours: 24, encryption: 'aws-managed' },
  aggregator: {
    batchSize: 500,
    maxBatchingWindowSeconds: 1,
    parallelizationFactor: 1,
    partitionKeyIsAggregateKey: false,
    retryAttempts: 10,
    maxRecordAgeSeconds: 3_600,
    memoryMb: 512,
    timeoutSeconds: 60,
    logRetentionDays: 7,
  },
  aggregates: { windowSeconds: DEFAULT_WINDOW_SECONDS, ttlDays: 7 },
  deadLetter: { expireDays: 14 },
  archive: { format: 'gzip', bufferMiB: 64, bufferSeconds: 60, transitionToIaDays: 30, expireDays: 90 },
  removal: 'destroy',
};

const prod: PipelineConfig = {
  stage: 'prod',
  stream: { mode: 'on-demand', shardCount: 2, retentionHours: 168, encryption: 'aws-managed' },
  aggregator: {
    batchSize: 1_000,
    maxBatchingWindowSeconds: 1,
    parallelizationFactor: 1,
    partitionKeyIsAggregateKey: false,
    retryAttempts: 100,
    maxRecordAgeSeconds: 86_400,
    memoryMb: 1_024,
    timeoutSeconds: 120,
    logRetentionDays: 90,
  },
  aggregates: { windowSeconds: DEFAULT_WINDOW_SECONDS, ttlDays: 90 },
  deadLetter: { expireDays: 90 },
  archive: { format: 'gzip', bufferMiB: 64, bufferSeconds: 60, transitionToIaDays: 30, expireDays: 730 },
  removal: 'retain',
};

export const PROFILES: Readonly<Record<Stage, PipelineConfig>> = { dev, prod };

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Reads a context value (`-c name=value`) and nothing else, so tests can pass a plain map. */
export type ContextReader = (name: string) => unknown;

function coerce(path: string, raw: unknown, like: unknown): unknown {
  if (typeof like === 'number') {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    if (!Number.isFinite(n)) throw new ConfigError(`${path}: expected a number, got ${JSON.stringify(raw)}`);
    return n;
  }
  if (typeof like === 'boolean') {
    if (raw === true || raw === 'true') return true;
    if (raw === false || raw === 'false') return false;
    throw new ConfigError(`${path}: expected true or false, got ${JSON.stringify(raw)}`);
  }
  if (typeof raw !== 'string') throw new ConfigError(`${path}: expected a string, got ${JSON.stringify(raw)}`);
  return raw;
}

/** Every leaf of the profile can be overridden by a context key of its dotted path, e.g. `-c aggregator.batchSize=100`. */
function applyOverrides(base: PipelineConfig, read: ContextReader): PipelineConfig {
  const out = structuredClone(base) as unknown as Record<string, unknown>;
  for (const [section, value] of Object.entries(base)) {
    if (typeof value !== 'object' || value === null) {
      if (section === 'stage') continue;
      const raw = read(section);
      if (raw !== undefined) out[section] = coerce(section, raw, value);
      continue;
    }
    const target = out[section] as Record<string, unknown>;
    for (const [field, like] of Object.entries(value as Record<string, unknown>)) {
      const raw = read(`${section}.${field}`);
      if (raw !== undefined) target[field] = coerce(`${section}.${field}`, raw, like);
    }
  }
  return out as unknown as PipelineConfig;
}

function integerIn(path: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${path}: must be an integer from ${min} to ${max}, got ${value}`);
  }
}

function oneOf<T extends string>(path: string, value: string, allowed: readonly T[]): void {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(`${path}: must be one of ${allowed.join(', ')}, got "${value}"`);
  }
}

/** Throws a ConfigError naming the field and what it accepts, before any construct is made. */
export function validateConfig(c: PipelineConfig): PipelineConfig {
  oneOf('stage', c.stage, STAGES);
  oneOf('stream.mode', c.stream.mode, ['on-demand', 'provisioned'] as const);
  integerIn('stream.shardCount', c.stream.shardCount, 1, 500);
  integerIn('stream.retentionHours', c.stream.retentionHours, 24, 8_760);
  oneOf('stream.encryption', c.stream.encryption, ['customer-managed', 'aws-managed'] as const);

  const a = c.aggregator;
  integerIn('aggregator.batchSize', a.batchSize, 1, 10_000);
  integerIn('aggregator.maxBatchingWindowSeconds', a.maxBatchingWindowSeconds, 0, 300);
  integerIn('aggregator.parallelizationFactor', a.parallelizationFactor, 1, 10);
  if (a.parallelizationFactor > 1 && !a.partitionKeyIsAggregateKey) {
    throw new ConfigError(
      'aggregator.parallelizationFactor: above 1 needs aggregator.partitionKeyIsAggregateKey=true; ' +
        'exactly-once aggregates need every record of a key in one ordered lane, which holds only when ' +
        'producers use the event key as the partition key',
    );
  }
  // Finite retries and a finite record age keep a bad batch from blocking its shard for the retention period.
  integerIn('aggregator.retryAttempts', a.retryAttempts, 0, 10_000);
  integerIn('aggregator.maxRecordAgeSeconds', a.maxRecordAgeSeconds, 60, 604_800);
  integerIn('aggregator.memoryMb', a.memoryMb, 128, 10_240);
  integerIn('aggregator.timeoutSeconds', a.timeoutSeconds, 1, 900);
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(a.logRetentionDays)) {
    throw new ConfigError(
      `aggregator.logRetentionDays: must be one of ${LOG_RETENTION_DAYS.join(', ')}, got ${a.logRetentionDays}`,
    );
  }
  if (a.maxRecordAgeSeconds > c.stream.retentionHours * 3_600) {
    throw new ConfigError(
      `aggregator.maxRecordAgeSeconds: ${a.maxRecordAgeSeconds} exceeds the stream's retention of ${c.stream.retentionHours} hours`,
    );
  }

  integerIn('aggregates.windowSeconds', c.aggregates.windowSeconds, 1, 86_400);
  if (86_400 % c.aggregates.windowSeconds !== 0) {
    throw new ConfigError(
      `aggregates.windowSeconds: must divide a day evenly (e.g. 10, 60, 300, 3600), got ${c.aggregates.windowSeconds}`,
    );
  }
  integerIn('aggregates.ttlDays', c.aggregates.ttlDays, 1, 3_650);
  integerIn('deadLetter.expireDays', c.deadLetter.expireDays, 1, 3_650);
  oneOf('archive.format', c.archive.format, ['gzip', 'parquet'] as const);
  // Firehose's S3 buffer hints: 1..128 MiB and 0..900 s.
  integerIn('archive.bufferMiB', c.archive.bufferMiB, 1, 128);
  integerIn('archive.bufferSeconds', c.archive.bufferSeconds, 0, 900);
  if (c.archive.format === 'parquet' && c.archive.bufferMiB < 64) {
    throw new ConfigError(`archive.bufferMiB: Parquet conversion needs at least 64, got ${c.archive.bufferMiB}`);
  }
  // S3 moves objects to Standard-IA after 30 days at the earliest.
  integerIn('archive.transitionToIaDays', c.archive.transitionToIaDays, 30, 3_650);
  integerIn('archive.expireDays', c.archive.expireDays, 1, 36_500);
  if (c.archive.expireDays <= c.archive.transitionToIaDays) {
    throw new ConfigError(
      `archive.expireDays: ${c.archive.expireDays} must be later than archive.transitionToIaDays (${c.archive.transitionToIaDays})`,
    );
  }
  oneOf('removal', c.removal, ['destroy', 'retain'] as const);
  return c;
}

/**
 * The profile named by `-c stage=...` (default `dev`), with context overrides applied and validated.
 * `contextKeys`, when given, lets a misspelt override (`-c aggregator.batchsize=5`) fail instead of
 * being ignored.
 */
export function loadConfig(read: ContextReader, contextKeys: readonly string[] = []): PipelineConfig {
  for (const name of contextKeys) {
    const [section, field, ...rest] = name.split('.');
    if (!(section in dev) || section === 'stage') continue;
    const value = (dev as unknown as Record<string, unknown>)[section];
    const known =
      typeof value === 'object' && value !== null ? field in value && rest.length === 0 : field === undefined;
    if (!known) throw new ConfigError(`${name}: no such setting; see the config reference in the README`);
  }
  const stage = read('stage') ?? 'dev';
  if (typeof stage !== 'string' || !(STAGES as readonly string[]).includes(stage)) {
    throw new ConfigError(`stage: must be one of ${STAGES.join(', ')}, got ${JSON.stringify(stage)}`);
  }
  return validateConfig(applyOverrides(PROFILES[stage as Stage], read));
}
