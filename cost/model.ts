import type { PipelineConfig } from '../lib/config';
import type { BatchDurationPoint } from '../bench/harness';
import { PRICES, type Price } from './prices';

/**
 * The monthly cost model: pure, inputs in, line items out. Every quantity it bills is derived
 * here from the profile (lib/config.ts), the rate and record size, the assumptions below, and two
 * values measured by `npm run bench` (bench/results.json): DynamoDB writes per aggregate item per
 * batch, and the aggregator's duration per batch. Nothing here reads files or the clock.
 */

export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3_600;
export const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;
export const KiB = 1_024;
export const MiB = 1_024 * KiB;
/** AWS bills data volume in GB of 2^30 bytes. */
export const GB = 1_024 * MiB;

/** Every assumption the model makes that is neither a price, nor the profile, nor measured. */
export const ASSUMPTIONS = {
  /** Distinct (type, key) pairs active at once: `--keys`. Keys are assumed uniform, an upper bound on writes for skewed keys. */
  defaultKeys: 1_000,
  /** An on-demand stream starts at 4 MiB/s of write capacity (4 shards) and keeps room for twice its peak. */
  onDemandMinShards: 4,
  onDemandHeadroom: 2,
  /** Kinesis shard limits. */
  shardWriteBytesPerSecond: MiB,
  shardWriteRecordsPerSecond: 1_000,
  shardReadBytesPerSecond: 2 * MiB,
  /** The event source mapping polls an idle shard about once a second, so a window below 1 s still batches about 1 s. */
  minPollSeconds: 1,
  /** Lambda's 6 MB invocation payload: records travel base64-encoded with about 500 bytes of envelope each. */
  lambdaPayloadBytes: 6 * MiB,
  esmEnvelopeBytes: 500,
  /** Write request units per aggregate write: 1 for the item (under 1 KB) and 1 for the byType index, whose projected count, sum, min and max change on every write. */
  wruPerWrite: 2,
  /** Stored bytes per aggregate: the item (~400 B with one shard's watermark, DynamoDB's 100 B overhead included) and its index copy (~300 B). */
  aggregateBytes: 700,
  /** Archive size over raw JSON: gzip NDJSON, and Snappy Parquet (Firehose's default), of ~1 KB clickstream-like events. */
  compression: { gzip: 0.2, parquet: 0.2 },
  /** CloudWatch Logs bytes per aggregator invocation: START/END/REPORT lines (~350 B) and the Powertools EMF line (~750 B). */
  logBytesPerInvocation: 1_100,
  /**
   * Monitoring as built, counted in a synth of both profiles (2026-11-23): 30 standard alarms watching 32 metrics
   * (an alarm on metric math bills each metric) with the search leg, 18 watching 20 without; 1 composite alarm,
   * 1 dashboard, and 1 KMS key of the stack's own, for the alarm topic.
   */
  alarmMetricsWithSearch: 32,
  alarmMetricsWithoutSearch: 20,
  compositeAlarms: 1,
  dashboards: 1,
  kmsKeys: 1,
  /** Powertools metrics of the aggregator: RecordsIn, UserRecords, PoisonRecords, AggregateWrites, ConditionalReplays, BatchLag, BatchDuration (one `service` dimension). */
  customMetrics: 7,
  /** X-Ray's default sampling rule: the first request each second, then 5 % (functions use active tracing). */
  xrayReservoirPerSecond: 1,
  xrayRate: 0.05,
  /** The search leg's transform function: Firehose's processor buffer defaults (1 MiB or 60 s); duration and memory ASSUMED, not measured. */
  searchTransform: { bufferBytes: MiB, bufferSeconds: 60, msPerInvocation: 100, memoryMb: 256 },
} as const;

export type StreamMode = 'on-demand' | 'provisioned';

/** A batch-duration measurement as bench/results.json holds it, without the CPU share the model does not use. */
export type BatchPoint = Omit<BatchDurationPoint, 'coreMs'>;

/** What `npm run bench` measured, from bench/results.json. */
export interface Measured {
  readonly writesPerItemPerBatch: number;
  /** Aggregator duration per batch by aggregate items per batch (LOCAL, against dynalite). */
  readonly batchPoints: readonly BatchPoint[];
  /** Where the numbers come from, for the output. */
  readonly source: string;
}

export interface CostInput {
  /** Average events per second. */
  readonly rate: number;
  /** Bytes per event (one Kinesis record each, no KPL aggregation). */
  readonly sizeBytes: number;
  readonly config: PipelineConfig;
  readonly mode: StreamMode;
  /** Distinct (type, key) pairs. */
  readonly keys: number;
  /** Peak rate over average: provisioned shards are sized for the peak, everything else bills the average. */
  readonly peakFactor: number;
  readonly measured: Measured;
  /** Replaces the measured aggregator duration per batch, in ms. */
  readonly batchMs?: number;
}

export type Service = 'Kinesis' | 'Lambda' | 'DynamoDB' | 'Firehose' | 'S3' | 'OpenSearch' | 'CloudWatch';
export const SERVICES: readonly Service[] = [
  'Kinesis',
  'Lambda',
  'DynamoDB',
  'Firehose',
  'S3',
  'OpenSearch',
  'CloudWatch',
];

export interface LineItem {
  readonly service: Service;
  readonly item: string;
  /** In the price's unit (`per`). */
  readonly quantity: number;
  readonly per: string;
  readonly unitUsd: number;
  readonly usd: number;
}

export interface Derived {
  readonly consumers: number;
  readonly shards: number;
  readonly recordsPerBatch: number;
  readonly batchesPerMonth: number;
  readonly itemsPerBatch: number;
  readonly batchMs: number;
  readonly batchMsSource: string;
  readonly aggregateWritesPerMonth: number;
  readonly aggregatesStored: number;
  readonly archiveGbPerMonth: number;
}

export interface CostBreakdown {
  readonly input: {
    readonly stage: string;
    readonly mode: StreamMode;
    readonly rate: number;
    readonly sizeBytes: number;
    readonly keys: number;
    readonly peakFactor: number;
    readonly archiveFormat: string;
    readonly search: boolean;
  };
  readonly derived: Derived;
  readonly items: LineItem[];
  readonly byService: Record<Service, number>;
  readonly totalUsd: number;
}

export class CostModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CostModelError';
  }
}

const roundUp = (bytes: number, unit: number): number => Math.ceil(bytes / unit) * unit;
/** ceil that forgives floating-point dust (3 × 0.1 is 0.30000000000000004). */
const ceil = (x: number): number => Math.ceil(x - 1e-9);

/** Bytes Kinesis on-demand bills for one record: rounded up to 1 KB. */
export const kinesisBilledBytes = (size: number): number => roundUp(size, KiB);
/** PUT payload units for one record (provisioned): 25 KB each. */
export const putPayloadUnits = (size: number): number => Math.ceil(size / (25 * KiB));
/** Bytes Firehose bills for one record: rounded up to 5 KB. */
export const firehoseBilledBytes = (size: number): number => roundUp(size, 5 * KiB);

/** Streams readers share: the aggregator's event source mapping, the archive Firehose, and the search Firehose when on. */
export const consumerCount = (config: PipelineConfig): number => (config.search.enabled ? 3 : 2);

/** Shards needed for a rate: 1 MiB/s and 1,000 records/s of writes each, and 2 MiB/s of reads shared by every consumer. */
export function shardsNeeded(rate: number, size: number, consumers: number): number {
  return Math.max(
    (rate * size) / ASSUMPTIONS.shardWriteBytesPerSecond,
    rate / ASSUMPTIONS.shardWriteRecordsPerSecond,
    (consumers * rate * size) / ASSUMPTIONS.shardReadBytesPerSecond,
  );
}

export function provisionedShards(rate: number, size: number, consumers: number): number {
  return Math.max(1, ceil(shardsNeeded(rate, size, consumers)));
}

/** Shards an on-demand stream holds (they bill nothing themselves, but each is a Lambda poller). */
export function onDemandShards(rate: number, size: number, consumers: number): number {
  return Math.max(
    ASSUMPTIONS.onDemandMinShards,
    ceil(ASSUMPTIONS.onDemandHeadroom * shardsNeeded(rate, size, consumers)),
  );
}

/** Records per invocation for a shard receiving `ratePerShard`: the batching window's worth, capped by batch size and payload. */
export function recordsPerBatch(ratePerShard: number, size: number, config: PipelineConfig): number {
  const a = config.aggregator;
  const window = Math.max(a.maxBatchingWindowSeconds, ASSUMPTIONS.minPollSeconds);
  const perRecord = Math.ceil(size / 3) * 4 + ASSUMPTIONS.esmEnvelopeBytes;
  const cap = Math.max(1, Math.min(a.batchSize, Math.floor(ASSUMPTIONS.lambdaPayloadBytes / perRecord)));
  return Math.min(cap, Math.max(1, ratePerShard * window));
}

/**
 * Expected distinct (type, key, window) in a batch of `records` spread uniformly over `keys` pairs,
 * when the batch spans `spanSeconds` of event time: cells = keys × windows touched, and
 * items = cells × (1 − e^(−records/cells)).
 */
export function itemsPerBatch(records: number, keys: number, spanSeconds: number, windowSeconds: number): number {
  const cells = Math.max(1, keys * (1 + spanSeconds / windowSeconds));
  return Math.max(1, Math.min(records, cells * (1 - Math.exp(-records / cells))));
}

/** Duration of a batch of `items` aggregate items: linear between the measured points, the last slope beyond them. */
export function batchDurationMs(points: readonly BatchPoint[], items: number): number {
  const sorted = [...points].sort((a, b) => a.items - b.items);
  if (sorted.length === 0) throw new CostModelError('no measured batch durations: run npm run bench');
  if (sorted.length === 1) return sorted[0].ms * Math.max(1, items / sorted[0].items);
  // No batch is cheaper than the smallest one measured (one record, one item).
  if (items <= sorted[0].items) return sorted[0].ms;
  for (let i = 1; i < sorted.length; i++) {
    const [lo, hi] = [sorted[i - 1], sorted[i]];
    if (items <= hi.items || i === sorted.length - 1) {
      const slope = (hi.ms - lo.ms) / (hi.items - lo.items);
      return Math.max(lo.ms, lo.ms + slope * (items - lo.items));
    }
  }
  /* c8 ignore next */
  return sorted[sorted.length - 1].ms;
}

function line(service: Service, item: string, quantity: number, price: Price): LineItem {
  return { service, item, quantity, per: price.per, unitUsd: price.usd, usd: quantity * price.usd };
}

const fmt = (n: number): string =>
  n >= 1e9
    ? `${(n / 1e9).toFixed(2)} billion`
    : n >= 1e6
      ? `${(n / 1e6).toFixed(2)} million`
      : Math.round(n).toLocaleString('en-US');

function instancePrice(type: string, field: string): Price {
  const price = PRICES.opensearch.instanceHour[type];
  if (price === undefined) {
    throw new CostModelError(`${field}: no price for "${type}" in cost/prices.ts; add its us-east-1 hourly rate there`);
  }
  return price;
}

export function monthlyCost(input: CostInput): CostBreakdown {
  const { rate, sizeBytes: size, config, mode, keys, peakFactor, measured } = input;
  if (!(rate > 0) || !(size > 0) || !(keys >= 1) || !(peakFactor >= 1)) {
    throw new CostModelError('rate and size must be positive, keys at least 1, peak factor at least 1');
  }
  const P = PRICES;
  const items: LineItem[] = [];
  const events = rate * SECONDS_PER_MONTH;
  const bytesPerSecond = rate * size;
  const consumers = consumerCount(config);
  const searchOn = config.search.enabled;

  // Kinesis.
  const shards =
    mode === 'provisioned'
      ? provisionedShards(rate * peakFactor, size, consumers)
      : onDemandShards(rate * peakFactor, size, consumers);
  const retention = config.stream.retentionHours;
  const extendedHours = Math.max(0, Math.min(retention, 168) - 24);
  const longTermHours = Math.max(0, retention - 168);
  if (mode === 'provisioned') {
    items.push(line('Kinesis', `${shards} shards × 730 h`, shards * HOURS_PER_MONTH, P.kinesis.shardHour));
    items.push(
      line(
        'Kinesis',
        `PUT payload units (${putPayloadUnits(size)} per record)`,
        (events * putPayloadUnits(size)) / 1e6,
        P.kinesis.putPayloadUnits,
      ),
    );
    if (extendedHours > 0) {
      items.push(
        line(
          'Kinesis',
          `extended retention to ${Math.min(retention, 168)} h`,
          shards * HOURS_PER_MONTH,
          P.kinesis.extendedRetentionShardHour,
        ),
      );
    }
  } else {
    const ingestGb = (events * kinesisBilledBytes(size)) / GB;
    items.push(line('Kinesis', 'on-demand stream × 730 h', HOURS_PER_MONTH, P.kinesis.onDemandStreamHour));
    items.push(line('Kinesis', 'data in (records rounded up to 1 KB)', ingestGb, P.kinesis.onDemandIngestGb));
    items.push(
      line('Kinesis', `data retrieved by ${consumers} consumers`, ingestGb * consumers, P.kinesis.onDemandRetrievalGb),
    );
    if (extendedHours > 0) {
      const storedGb = (rate * kinesisBilledBytes(size) * extendedHours * 3_600) / GB;
      items.push(
        line(
          'Kinesis',
          `extended retention, ${extendedHours} h beyond 24 h held`,
          storedGb,
          P.kinesis.onDemandExtendedRetentionGbMonth,
        ),
      );
    }
  }
  if (longTermHours > 0) {
    items.push(
      line(
        'Kinesis',
        `long-term retention, ${longTermHours} h beyond 7 days held`,
        (bytesPerSecond * longTermHours * 3_600) / GB,
        P.kinesis.longTermRetentionGbMonth,
      ),
    );
  }

  // Lambda: the aggregator, one invocation per batch per shard.
  const ratePerShard = rate / shards;
  const records = recordsPerBatch(ratePerShard, size, config);
  const batchesPerMonth = events / records;
  const spanSeconds = records / ratePerShard;
  const itemCount = itemsPerBatch(records, Math.max(1, keys / shards), spanSeconds, config.aggregates.windowSeconds);
  const batchMs = input.batchMs ?? batchDurationMs(measured.batchPoints, itemCount);
  const billedMs = Math.max(1, Math.ceil(batchMs));
  const memoryGb = config.aggregator.memoryMb / 1_024;
  items.push(line('Lambda', `aggregator invocations`, batchesPerMonth / 1e6, P.lambda.requests));
  items.push(
    line(
      'Lambda',
      `aggregator ${billedMs} ms × ${config.aggregator.memoryMb} MB per batch`,
      batchesPerMonth * (billedMs / 1_000) * memoryGb,
      P.lambda.armGbSecond,
    ),
  );

  // DynamoDB: one conditional write per aggregate item per batch (× the measured writes per item).
  const aggregateWrites = batchesPerMonth * itemCount * measured.writesPerItemPerBatch;
  items.push(
    line(
      'DynamoDB',
      `aggregate writes (${ASSUMPTIONS.wruPerWrite} WRU each: item + byType index)`,
      (aggregateWrites * ASSUMPTIONS.wruPerWrite) / 1e6,
      P.dynamodb.writeRequestUnits,
    ),
  );
  const windowSeconds = config.aggregates.windowSeconds;
  const perWindow = keys * (1 - Math.exp(-(rate * windowSeconds) / keys));
  const aggregatesStored = perWindow * (86_400 / windowSeconds) * config.aggregates.ttlDays;
  const tableGb = (aggregatesStored * ASSUMPTIONS.aggregateBytes) / GB;
  items.push(
    line(
      'DynamoDB',
      `storage, ${fmt(aggregatesStored)} aggregates (TTL ${config.aggregates.ttlDays} d)`,
      tableGb,
      P.dynamodb.storageGbMonth,
    ),
  );
  items.push(line('DynamoDB', 'point-in-time recovery', tableGb, P.dynamodb.pitrGbMonth));

  // Firehose: the archive leg, and the search leg when on.
  const firehoseGb = (events * firehoseBilledBytes(size)) / GB;
  items.push(line('Firehose', 'archive ingestion (records rounded up to 5 KB)', firehoseGb, P.firehose.ingestionGb));
  const parquet = config.archive.format === 'parquet';
  if (parquet)
    items.push(line('Firehose', 'archive format conversion to Parquet', firehoseGb, P.firehose.formatConversionGb));
  let transformInvocations = 0;
  if (searchOn) {
    items.push(line('Firehose', 'search ingestion (records rounded up to 5 KB)', firehoseGb, P.firehose.ingestionGb));
    if (config.search.vpc !== 'none') {
      const azs = config.search.availabilityZones;
      items.push(
        line(
          'Firehose',
          `search delivery into a VPC, ${azs} AZ × 730 h`,
          azs * HOURS_PER_MONTH,
          P.firehose.vpcDeliveryAzHour,
        ),
      );
      items.push(line('Firehose', 'search delivery into a VPC, data', firehoseGb, P.firehose.vpcDeliveryGb));
    }
    const t = ASSUMPTIONS.searchTransform;
    transformInvocations = SECONDS_PER_MONTH * Math.max(1 / t.bufferSeconds, bytesPerSecond / t.bufferBytes);
    items.push(line('Lambda', 'search transform invocations', transformInvocations / 1e6, P.lambda.requests));
    items.push(
      line(
        'Lambda',
        `search transform ${t.msPerInvocation} ms × ${t.memoryMb} MB (assumed)`,
        transformInvocations * (t.msPerInvocation / 1_000) * (t.memoryMb / 1_024),
        P.lambda.armGbSecond,
      ),
    );
  }

  // S3: the archive, steady state (once the bucket holds `expireDays` of data).
  const archive = config.archive;
  const ratio = ASSUMPTIONS.compression[archive.format];
  const archiveGbPerMonth = (events * (size + 1) * ratio) / GB;
  const standardDays = archive.transitionToIaDays;
  const iaDays = archive.expireDays - archive.transitionToIaDays;
  items.push(
    line(
      'S3',
      `archive, Standard (${standardDays} d, ${archive.format} at ${ratio} of raw)`,
      (archiveGbPerMonth * standardDays) / DAYS_PER_MONTH,
      P.s3.standardGbMonth,
    ),
  );
  items.push(
    line(
      'S3',
      `archive, Standard-IA (${iaDays} d more)`,
      (archiveGbPerMonth * iaDays) / DAYS_PER_MONTH,
      P.s3.standardIaGbMonth,
    ),
  );
  const objectsPerMonth =
    SECONDS_PER_MONTH * Math.max(1 / Math.max(archive.bufferSeconds, 1), bytesPerSecond / (archive.bufferMiB * MiB));
  items.push(
    line('S3', `archive objects written (${fmt(objectsPerMonth)})`, objectsPerMonth / 1_000, P.s3.putRequests),
  );
  items.push(line('S3', 'archive objects moved to Standard-IA', objectsPerMonth / 1_000, P.s3.iaTransitionRequests));

  // OpenSearch.
  if (searchOn) {
    const s = config.search;
    items.push(
      line(
        'OpenSearch',
        `${s.dataNodes} × ${s.dataNodeType} data nodes`,
        s.dataNodes * HOURS_PER_MONTH,
        instancePrice(s.dataNodeType, 'search.dataNodeType'),
      ),
    );
    if (s.masterNodes > 0) {
      items.push(
        line(
          'OpenSearch',
          `${s.masterNodes} × ${s.masterNodeType} dedicated masters`,
          s.masterNodes * HOURS_PER_MONTH,
          instancePrice(s.masterNodeType, 'search.masterNodeType'),
        ),
      );
    }
    items.push(
      line(
        'OpenSearch',
        `gp3, ${s.dataNodes} × ${s.volumeGiB} GiB`,
        s.dataNodes * s.volumeGiB,
        P.opensearch.gp3GbMonth,
      ),
    );
  }

  // CloudWatch and X-Ray.
  const alarms = searchOn ? ASSUMPTIONS.alarmMetricsWithSearch : ASSUMPTIONS.alarmMetricsWithoutSearch;
  items.push(line('CloudWatch', `standard alarms (${alarms} alarm metrics)`, alarms, P.cloudwatch.standardAlarm));
  items.push(
    line(
      'CloudWatch',
      `${ASSUMPTIONS.compositeAlarms} composite alarm`,
      ASSUMPTIONS.compositeAlarms,
      P.cloudwatch.compositeAlarm,
    ),
  );
  items.push(line('CloudWatch', `${ASSUMPTIONS.dashboards} dashboard`, ASSUMPTIONS.dashboards, P.cloudwatch.dashboard));
  items.push(
    line(
      'CloudWatch',
      `${ASSUMPTIONS.customMetrics} custom metrics (Powertools EMF)`,
      ASSUMPTIONS.customMetrics,
      P.cloudwatch.customMetric,
    ),
  );
  items.push(line('CloudWatch', 'KMS key of the alarm topic', ASSUMPTIONS.kmsKeys, P.kms.key));
  const logGb = (batchesPerMonth * ASSUMPTIONS.logBytesPerInvocation) / GB;
  items.push(line('CloudWatch', 'aggregator log ingestion (~1.1 KB per invocation)', logGb, P.cloudwatch.logsIngestGb));
  items.push(
    line(
      'CloudWatch',
      `aggregator log storage (${config.aggregator.logRetentionDays} d retention)`,
      (logGb * config.aggregator.logRetentionDays) / DAYS_PER_MONTH,
      P.cloudwatch.logsStorageGbMonth,
    ),
  );
  const traced = (perSecond: number): number =>
    SECONDS_PER_MONTH *
    (Math.min(perSecond, ASSUMPTIONS.xrayReservoirPerSecond) +
      ASSUMPTIONS.xrayRate * Math.max(0, perSecond - ASSUMPTIONS.xrayReservoirPerSecond));
  const traces = traced(batchesPerMonth / SECONDS_PER_MONTH) + traced(transformInvocations / SECONDS_PER_MONTH);
  items.push(
    line('CloudWatch', `X-Ray traces (${fmt(traces)}, default sampling)`, traces / 1e6, P.xray.tracesRecorded),
  );

  const byService = Object.fromEntries(SERVICES.map((s) => [s, 0])) as Record<Service, number>;
  for (const i of items) byService[i.service] += i.usd;
  return {
    input: {
      stage: config.stage,
      mode,
      rate,
      sizeBytes: size,
      keys,
      peakFactor,
      archiveFormat: archive.format,
      search: searchOn,
    },
    derived: {
      consumers,
      shards,
      recordsPerBatch: records,
      batchesPerMonth,
      itemsPerBatch: itemCount,
      batchMs,
      batchMsSource: input.batchMs === undefined ? measured.source : '--batch-ms',
      aggregateWritesPerMonth: aggregateWrites,
      aggregatesStored,
      archiveGbPerMonth,
    },
    items,
    byService,
    totalUsd: items.reduce((t, i) => t + i.usd, 0),
  };
}

/** A profile with the stream mode (and optionally archive format and search leg) overridden. */
export function withOverrides(
  config: PipelineConfig,
  o: { mode?: StreamMode; archiveFormat?: 'gzip' | 'parquet'; search?: boolean },
): PipelineConfig {
  return {
    ...config,
    stream: { ...config.stream, mode: o.mode ?? config.stream.mode },
    archive: { ...config.archive, format: o.archiveFormat ?? config.archive.format },
    search: { ...config.search, enabled: o.search ?? config.search.enabled },
  };
}

/** From `rate` events/s upwards (until the next segment), `mode` is the cheaper one. */
export interface ModeSegment {
  readonly rate: number;
  readonly mode: StreamMode;
}

/** Which stream mode is cheaper at a steady rate, scanning 1..1,000,000 events/s: where the answer changes. */
export function cheaperModeByRate(base: Omit<CostInput, 'rate' | 'mode'>): ModeSegment[] {
  const cheaper = (rate: number): StreamMode =>
    monthlyCost({ ...base, rate, mode: 'provisioned' }).totalUsd <
    monthlyCost({ ...base, rate, mode: 'on-demand' }).totalUsd
      ? 'provisioned'
      : 'on-demand';
  const segments: ModeSegment[] = [];
  for (let rate = 1; rate <= 1_000_000; rate = Math.round(rate * 1.05 + 1)) {
    const mode = cheaper(rate);
    if (segments.length === 0 || segments[segments.length - 1].mode !== mode) segments.push({ rate, mode });
  }
  return segments;
}

/**
 * The peak-to-average ratio above which on-demand becomes cheaper at an average `rate`:
 * provisioned shards must hold the peak, on-demand bills the volume. `undefined` if not below 100.
 */
export function peakCrossover(base: Omit<CostInput, 'mode' | 'peakFactor'>): number | undefined {
  const onDemand = (peakFactor: number): number => monthlyCost({ ...base, peakFactor, mode: 'on-demand' }).totalUsd;
  const provisioned = (peakFactor: number): number =>
    monthlyCost({ ...base, peakFactor, mode: 'provisioned' }).totalUsd;
  for (let f = 1; f <= 100; f = Math.round((f + 0.1) * 10) / 10) {
    if (onDemand(f) < provisioned(f)) return f;
  }
  return undefined;
}
