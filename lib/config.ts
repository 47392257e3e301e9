import * as path from 'node:path';
import { type Declarations, DeclarationError, isKeyed } from '../lambda/shared/declarations';
import { loadDeclarationsFile } from '../lambda/shared/declarations-file';

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
  /**
   * How the event source mapping reads the stream. `polling`: GetRecords on the shard's 2 MiB/s and
   * 5 reads/s shared with every other reader (the Firehose deliveries); about 200 ms average
   * propagation delay with one reader, up to about 1,000 ms with five. `efo`: an enhanced fan-out
   * consumer, records pushed over HTTP/2 on a 2 MiB/s per shard of its own; typically about 70 ms.
   * (Kinesis Data Streams developer guide, "Develop enhanced fan-out consumers with dedicated
   * throughput".) EFO is billed on its own; switching replaces the mapping, which starts again from
   * the trim horizon (the per-shard watermarks skip what was already applied).
   */
  readonly consumer: 'polling' | 'efo';
}

export interface AggregatesConfig {
  /**
   * The declared aggregates (`-c aggregates.file=PATH`), relative to the project root.
   * @default aggregates.json
   */
  readonly file: string;
  /** Days an aggregate item is kept after its window closes (the table's TTL). */
  readonly ttlDays: number;
  /**
   * The `byType` index over `by_key` items (all keys of a type without reading other types). It doubles
   * the write units of every `by_key` write, and nothing in this project needs it, so it is off.
   * @default false
   */
  readonly byTypeIndex: boolean;
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

export interface SearchConfig {
  /** Deploys the OpenSearch domain and its Firehose delivery; off removes the whole search leg. */
  readonly enabled: boolean;
  readonly dataNodeType: string;
  readonly dataNodes: number;
  /** Dedicated master nodes: 0 (none), 3 or 5. */
  readonly masterNodes: number;
  readonly masterNodeType: string;
  /** gp3 EBS volume per data node. */
  readonly volumeGiB: number;
  /** Availability zones the data nodes spread over: 1 (no zone awareness), 2 or 3. */
  readonly availabilityZones: number;
  /**
   * `none`: a public HTTPS endpoint guarded by the IAM access policy. `create`: private subnets of a
   * VPC the stack creates. A VPC id (`vpc-...`): that VPC's private subnets, looked up at synth.
   */
  readonly vpc: string;
  /** OpenSearch's own users and roles; the Firehose role is mapped to a write-only role. */
  readonly fineGrainedAccessControl: boolean;
  /** An IAM role allowed to read the domain (dashboards, queries); empty for none. */
  readonly readerRoleArn: string;
  /** Firehose buffer hints for the OpenSearch destination. */
  readonly bufferMiB: number;
  readonly bufferSeconds: number;
  /** How long Firehose retries a failed bulk request before it backs the documents up to S3. */
  readonly retrySeconds: number;
  /**
   * Creates `AWSServiceRoleForAmazonOpenSearchService`, the service-linked role OpenSearch Service
   * needs for VPC access, from the stack, the domain depending on it. Only with a VPC domain, and
   * only in an account that has neither it nor the legacy `AWSServiceRoleForAmazonElasticsearchService`:
   * the role is one per account, so creating it again fails. It is kept when the stack is deleted.
   * docs/deploy.md says how to check and how to create it once by hand instead.
   * @default false
   */
  readonly createServiceLinkedRole: boolean;
}

export interface MonitoringConfig {
  /**
   * Email address subscribed to the alarm topic; empty subscribes nobody. AWS emails a confirmation
   * link first, and nothing is delivered until it is followed.
   * @default ''
   */
  readonly alarmEmail: string;
  /**
   * Age of the oldest unread record, in milliseconds, above which the stream's
   * `GetRecords.IteratorAgeMilliseconds` and the aggregator's `IteratorAge` alarm (maximum, five minutes running).
   * Must stay below `aggregator.maxRecordAgeSeconds`, or records are discarded before anyone hears.
   * @default 60000
   */
  readonly iteratorAgeMs: number;
  /**
   * The aggregator's `Duration` p90 alarm, as a percentage of its timeout.
   * @default 80
   */
  readonly durationPercentOfTimeout: number;
  /**
   * Consecutive minutes with any throttling (Kinesis reads and writes, failed PutRecords records, Lambda,
   * DynamoDB, Firehose GetRecords) before the alarm: clients retry single throttles, so only a run matters.
   * @default 5
   */
  readonly throttleMinutes: number;
  /**
   * Poison records in five minutes that raise the `PoisonRecords` warning.
   * @default 1 in dev, 10 in prod
   */
  readonly poisonRecordsPer5Min: number;
  /**
   * Seconds added to a delivery stream's buffer interval to make its `DataFreshness` threshold.
   * @default 300
   */
  readonly freshnessMarginSeconds: number;
  /**
   * OpenSearch `FreeStorageSpace` alarm, as a percentage of one data node's volume (AWS recommends 25).
   * @default 25
   */
  readonly freeStoragePercent: number;
  /**
   * OpenSearch `JVMMemoryPressure` alarm, percent (AWS recommends 95).
   * @default 95
   */
  readonly jvmMemoryPressurePercent: number;
  /**
   * OpenSearch `CPUUtilization` alarm, percent, held for 45 minutes (AWS recommends 80).
   * @default 80
   */
  readonly cpuUtilizationPercent: number;
}

export interface PipelineConfig {
  readonly stage: Stage;
  readonly stream: StreamConfig;
  readonly aggregator: AggregatorConfig;
  readonly aggregates: AggregatesConfig;
  readonly deadLetter: DeadLetterConfig;
  readonly archive: ArchiveConfig;
  readonly monitoring: MonitoringConfig;
  readonly search: SearchConfig;
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
    consumer: 'polling',
  },
  aggregates: { file: 'aggregates.json', ttlDays: 7, byTypeIndex: false },
  deadLetter: { expireDays: 14 },
  archive: { format: 'gzip', bufferMiB: 64, bufferSeconds: 60, transitionToIaDays: 30, expireDays: 90 },
  search: {
    enabled: true,
    dataNodeType: 't3.small.search',
    dataNodes: 1,
    masterNodes: 0,
    masterNodeType: 'm7g.large.search',
    volumeGiB: 10,
    availabilityZones: 1,
    vpc: 'none',
    fineGrainedAccessControl: false,
    readerRoleArn: '',
    bufferMiB: 5,
    bufferSeconds: 60,
    retrySeconds: 300,
    // A public domain: nothing here needs the role, which gives OpenSearch Service VPC access.
    createServiceLinkedRole: false,
  },
  monitoring: {
    alarmEmail: '',
    iteratorAgeMs: 60_000,
    durationPercentOfTimeout: 80,
    throttleMinutes: 5,
    poisonRecordsPer5Min: 1,
    freshnessMarginSeconds: 300,
    freeStoragePercent: 25,
    jvmMemoryPressurePercent: 95,
    cpuUtilizationPercent: 80,
  },
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
    // Its own read throughput, beside the two Firehose readers, and about 70 ms propagation delay.
    consumer: 'efo',
  },
  aggregates: { file: 'aggregates.json', ttlDays: 90, byTypeIndex: false },
  deadLetter: { expireDays: 90 },
  archive: { format: 'gzip', bufferMiB: 64, bufferSeconds: 60, transitionToIaDays: 30, expireDays: 730 },
  search: {
    enabled: true,
    dataNodeType: 'r7g.large.search',
    dataNodes: 3,
    masterNodes: 3,
    masterNodeType: 'm7g.large.search',
    volumeGiB: 100,
    availabilityZones: 3,
    vpc: 'create',
    fineGrainedAccessControl: true,
    readerRoleArn: '',
    bufferMiB: 5,
    bufferSeconds: 60,
    retrySeconds: 3_600,
    // Off: the role is one per account, so a stack that creates it fails where it exists already.
    // Turn it on for the first deploy in an account without it (docs/deploy.md).
    createServiceLinkedRole: false,
  },
  monitoring: {
    alarmEmail: '',
    iteratorAgeMs: 60_000,
    durationPercentOfTimeout: 80,
    throttleMinutes: 5,
    poisonRecordsPer5Min: 10,
    freshnessMarginSeconds: 300,
    freeStoragePercent: 25,
    jvmMemoryPressurePercent: 95,
    cpuUtilizationPercent: 80,
  },
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

function validateSearch(s: SearchConfig): void {
  for (const [path, type] of [
    ['search.dataNodeType', s.dataNodeType],
    ['search.masterNodeType', s.masterNodeType],
  ] as const) {
    if (!/^[a-z0-9]+\.[a-z0-9]+\.search$/.test(type)) {
      throw new ConfigError(`${path}: must be an OpenSearch instance type such as r7g.large.search, got "${type}"`);
    }
  }
  integerIn('search.availabilityZones', s.availabilityZones, 1, 3);
  integerIn('search.dataNodes', s.dataNodes, 1, 80);
  if (s.dataNodes % s.availabilityZones !== 0) {
    throw new ConfigError(
      `search.dataNodes: ${s.dataNodes} must be a multiple of search.availabilityZones (${s.availabilityZones}) so every zone holds the same share`,
    );
  }
  if (![0, 3, 5].includes(s.masterNodes)) {
    throw new ConfigError(`search.masterNodes: must be 0, 3 or 5 (a quorum), got ${s.masterNodes}`);
  }
  // gp3 on OpenSearch Service starts at 10 GiB.
  integerIn('search.volumeGiB', s.volumeGiB, 10, 16_384);
  if (s.vpc !== 'none' && s.vpc !== 'create' && !/^vpc-[0-9a-f]{8,17}$/.test(s.vpc)) {
    throw new ConfigError(`search.vpc: must be none, create or a VPC id (vpc-...), got "${s.vpc}"`);
  }
  if (s.fineGrainedAccessControl && s.dataNodeType.startsWith('t2.')) {
    throw new ConfigError(
      'search.fineGrainedAccessControl: T2 instances do not support it; choose another search.dataNodeType',
    );
  }
  if (s.readerRoleArn !== '' && !/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(s.readerRoleArn)) {
    throw new ConfigError(`search.readerRoleArn: must be empty or an IAM role ARN, got "${s.readerRoleArn}"`);
  }
  // Firehose's OpenSearch destination: 1..100 MiB, 0..900 s, retries 0..7200 s.
  integerIn('search.bufferMiB', s.bufferMiB, 1, 100);
  integerIn('search.bufferSeconds', s.bufferSeconds, 0, 900);
  integerIn('search.retrySeconds', s.retrySeconds, 0, 7_200);
  if (s.createServiceLinkedRole && s.vpc === 'none') {
    throw new ConfigError(
      'search.createServiceLinkedRole: only a domain in a VPC needs the service-linked role; set search.vpc or leave this false',
    );
  }
}

function validateMonitoring(c: PipelineConfig): void {
  const m = c.monitoring;
  if (m.alarmEmail !== '' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(m.alarmEmail)) {
    throw new ConfigError(`monitoring.alarmEmail: must be empty or an email address, got "${m.alarmEmail}"`);
  }
  integerIn('monitoring.iteratorAgeMs', m.iteratorAgeMs, 1_000, 604_800_000);
  if (m.iteratorAgeMs >= c.aggregator.maxRecordAgeSeconds * 1_000) {
    throw new ConfigError(
      `monitoring.iteratorAgeMs: ${m.iteratorAgeMs} must be below aggregator.maxRecordAgeSeconds (${c.aggregator.maxRecordAgeSeconds} s), or records are discarded before the alarm fires`,
    );
  }
  integerIn('monitoring.durationPercentOfTimeout', m.durationPercentOfTimeout, 1, 100);
  // An alarm evaluates at most a day of one-minute periods; an hour of throttling is already an outage.
  integerIn('monitoring.throttleMinutes', m.throttleMinutes, 1, 60);
  integerIn('monitoring.poisonRecordsPer5Min', m.poisonRecordsPer5Min, 1, 100_000_000);
  integerIn('monitoring.freshnessMarginSeconds', m.freshnessMarginSeconds, 0, 86_400);
  integerIn('monitoring.freeStoragePercent', m.freeStoragePercent, 1, 99);
  integerIn('monitoring.jvmMemoryPressurePercent', m.jvmMemoryPressurePercent, 1, 100);
  integerIn('monitoring.cpuUtilizationPercent', m.cpuUtilizationPercent, 1, 100);
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
  const consumer: string = a.consumer;
  if (consumer !== 'polling' && consumer !== 'efo') {
    throw new ConfigError(
      `aggregator.consumer: must be polling (the mapping polls the stream, sharing its read throughput) or efo (an enhanced fan-out consumer of its own), got "${consumer}"`,
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
  validateSearch(c.search);
  validateMonitoring(c);
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
    if (!known) throw new ConfigError(`${name}: no such setting; see docs/configuration.md`);
  }
  const stage = read('stage') ?? 'dev';
  if (typeof stage !== 'string' || !(STAGES as readonly string[]).includes(stage)) {
    throw new ConfigError(`stage: must be one of ${STAGES.join(', ')}, got ${JSON.stringify(stage)}`);
  }
  return validateConfig(applyOverrides(PROFILES[stage as Stage], read));
}

/** The project root, where `aggregates.file` is resolved from. */
export const PROJECT_ROOT = path.join(__dirname, '..');

export function aggregatesFilePath(c: PipelineConfig): string {
  return path.resolve(PROJECT_ROOT, c.aggregates.file);
}

/**
 * The declared aggregates of the config, validated, with the check that needs both: above a
 * parallelization factor of 1, Lambda keeps order per partition key, not per shard, so a per-shard
 * watermark stays valid only on items that one partition key writes, those grouped by `key`.
 */
export function loadDeclarations(c: PipelineConfig): Declarations {
  let declarations: Declarations;
  try {
    declarations = loadDeclarationsFile(aggregatesFilePath(c));
  } catch (error) {
    if (error instanceof DeclarationError) throw new ConfigError(`aggregates.file: ${error.message}`);
    throw error;
  }
  declarations.aggregates.forEach((a, i) => {
    // An item lives ttlDays after its window closes; a later event would re-create it holding only itself.
    if (a.allowedLatenessSeconds !== undefined && a.allowedLatenessSeconds > c.aggregates.ttlDays * 86_400) {
      throw new ConfigError(
        `aggregates[${i}].allowedLateness: "${a.allowedLateness}" is longer than aggregates.ttlDays (${c.aggregates.ttlDays}), after which the window's item has expired`,
      );
    }
  });
  if (c.aggregator.parallelizationFactor > 1) {
    declarations.aggregates.forEach((a, i) => {
      if (!isKeyed(a)) {
        throw new ConfigError(
          `aggregates[${i}].groupBy: "${a.name}" does not group by key, so with aggregator.parallelizationFactor ` +
            `${c.aggregator.parallelizationFactor} two batches of one shard could write its items out of order and ` +
            'one would be taken for a replay; group it by key too, or set aggregator.parallelizationFactor=1',
        );
      }
    });
  }
  return declarations;
}
