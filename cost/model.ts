import type { PipelineConfig } from '../lib/config';
import type { BatchDurationPoint } from './measured-inputs';
import type { AggregateDeclaration, Declarations } from '../lambda/shared/declarations';
import { BY_KEY, hasSketches, isKeyed } from '../lambda/shared/declarations';
import { PRICES, type Price } from './prices';

/**
 * The monthly cost model: pure, inputs in, line items out. Every quantity it bills is derived
 * here from the profile (lib/config.ts), the declared aggregates (aggregates.json), the rate and
 * record size, the assumptions below, and what `npm run bench` measured (bench/results.json):
 * DynamoDB requests per stored item per batch, the stored items' sizes, and the aggregator's
 * duration per batch. Nothing here reads files or the clock.
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
  /**
   * Groups of a declaration (its items per window), from its groupBy: `[]` is one; any groupBy with `key`
   * is `--keys` (distinct type and key pairs, so an upper bound for `key` alone); otherwise the product of
   * each field's cardinality: `type` and the load generator's attributes as below, any other attribute 50.
   */
  typeCardinality: 4,
  attributeCardinality: { 'attributes.page': 500, 'attributes.region': 6, 'attributes.referrer': 525 } as Readonly<
    Record<string, number>
  >,
  otherAttributeCardinality: 50,
  /**
   * Share of the events a declaration takes: all for `types: ["*"]`, and also all for a list of types, an
   * upper bound (the load generator's clickstream is 70 % page_view, and no iot or logs event at all).
   */
  typedDeclarationShare: 1,
  /**
   * Groups are uniform (an upper bound on items per batch for skewed ones). A declaration grouped by key is
   * split over the shards by the partition key; any other is written by every shard, so its items carry every
   * shard's watermark and, with sketches, its writers contend (the contended requests measured by the bench).
   */
  /** DynamoDB's per-item storage overhead (billed for storage, never for capacity units). */
  itemOverheadBytes: 100,
  /**
   * Sizes of declarations the benchmark did not measure (another aggregates.json): the item without measures
   * and with one watermark, each exact measure, and each sketch at its largest (HyperLogLog's dense form
   * 3,074 B, a DDSketch of a lognormal latency, a top-K's 3k counters of short values). Upper bounds.
   */
  unmeasuredItem: {
    baseBytes: 260,
    exactMeasureBytes: 14,
    distinctBytes: 3_080,
    quantilesBytes: 1_200,
    topKBytesPerK: 60,
  },
  /** Archive size over raw JSON: gzip NDJSON, and Snappy Parquet (Firehose's default), of ~1 KB clickstream-like events. */
  compression: { gzip: 0.2, parquet: 0.2 },
  /** CloudWatch Logs bytes per aggregator invocation: START/END/REPORT lines (~350 B) and the Powertools EMF line (~750 B). */
  logBytesPerInvocation: 1_100,
  /**
   * Monitoring as built, counted in a synth of both profiles (2026-12-02): 33 alarm metrics with the search leg
   * (an alarm on metric math bills each metric), 21 without; 1 composite alarm, 1 dashboard, and 1 KMS key of
   * the stack's own, for the alarm topic. test/cost/model.test.ts checks these against a synth.
   */
  alarmMetricsWithSearch: 33,
  alarmMetricsWithoutSearch: 21,
  compositeAlarms: 1,
  dashboards: 1,
  kmsKeys: 1,
  /**
   * Powertools metrics of the aggregator: RecordsIn, UserRecords, PoisonRecords, AggregateWrites, AggregateReads,
   * ConditionalReplays, LateEvents, BatchLag, BatchDuration (one `service` dimension).
   */
  customMetrics: 9,
  /** X-Ray's default sampling rule: the first request each second, then 5 % (functions use active tracing). */
  xrayReservoirPerSecond: 1,
  xrayRate: 0.05,
  /** The search leg's transform function: Firehose's processor buffer defaults (1 MiB or 60 s); duration and memory ASSUMED, not measured. */
  searchTransform: { bufferBytes: MiB, bufferSeconds: 60, msPerInvocation: 100, memoryMb: 256 },
} as const;

export type StreamMode = 'on-demand' | 'provisioned';

/** A batch-duration measurement as bench/results.json holds it, without the CPU share the model does not use. */
export type BatchPoint = Omit<BatchDurationPoint, 'coreMs'>;

/** Requests per stored item per batch. */
export interface Requests {
  readonly writes: number;
  readonly reads: number;
}

/** A measured item size of one declaration and window size (bench/aggregate-writes.bench.ts). */
export interface MeasuredItemSize {
  readonly aggregate: string;
  readonly window: string;
  /** `declarationSignature` of the declaration measured: the size applies to the same declaration only. */
  readonly signature: string;
  /** Bytes a write pays for, with one watermark: the full window's size, weighted by how often each group is written. */
  readonly writeBytes: number;
  /** Bytes an item holds at the end of its window, mean over groups, with one watermark. */
  readonly storedBytes: number;
}

/** What `npm run bench` measured, from bench/results.json. */
export interface Measured {
  /** Items of exact measures only: conditional UpdateItem requests (and reads after a refusal). */
  readonly exact: Requests;
  /** Items with sketches written by one shard: GetItem (unless the container remembers it) and a conditional PutItem. */
  readonly sketch: Requests;
  /** Items with sketches that every shard writes: per applied write, refused conditional writes included. */
  readonly contended: Requests;
  readonly itemSizes: readonly MeasuredItemSize[];
  /** One shard's watermark on an item: every shard that writes an item adds one. */
  readonly watermarkBytesPerShard: number;
  /** A by_key item's entry in the optional byType index. */
  readonly byTypeIndexEntryBytes: number;
  /** Aggregator duration per batch by stored items per batch (LOCAL, against dynalite). */
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
  /** The declared aggregates (the profile's `aggregates.file`, validated). */
  readonly declarations: Declarations;
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

/** One declaration and window size, as the model bills it. */
export interface DeclarationLoad {
  readonly aggregate: string;
  readonly window: string;
  readonly sketches: boolean;
  /** Groups in all (items per window), and those one shard's batches see. */
  readonly groups: number;
  readonly groupsPerShard: number;
  /** Shards that write each item: 1 when grouped by key, else every shard. */
  readonly shardsWriting: number;
  readonly itemsPerBatch: number;
  /** Bytes a write pays for (watermarks of every writing shard included), and its request units. */
  readonly writeBytes: number;
  readonly wruPerWrite: number;
  readonly rruPerRead: number;
  /** Requests per item per batch: writes (refused conditional ones included, billed alike) and reads. */
  readonly requests: Requests;
  /** Whether the sizes are the benchmark's or the `unmeasuredItem` estimate. */
  readonly sizeSource: 'measured' | 'estimated';
  readonly itemsStored: number;
  readonly storedBytes: number;
}

export interface Derived {
  readonly consumers: number;
  /** Readers that poll with GetRecords, sharing each shard's read throughput. */
  readonly pollingReaders: number;
  /** The aggregator's documented put-to-get propagation delay (`propagationDelayMs`), before its batching window. */
  readonly aggregatorPropagationMs: number;
  readonly shards: number;
  readonly recordsPerBatch: number;
  readonly batchesPerMonth: number;
  /** Stored items a batch writes, all declarations and window sizes together. */
  readonly itemsPerBatch: number;
  readonly declarations: readonly DeclarationLoad[];
  /** What the byType index adds (its writes and storage); 0 when `aggregates.byTypeIndex` is off. */
  readonly byTypeIndexUsd: number;
  readonly batchMs: number;
  readonly batchMsSource: string;
  /** Write requests to the aggregates table a month, refused conditional ones included. */
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
    readonly consumer: 'polling' | 'efo';
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

/** The stream's readers: the aggregator's event source mapping, the archive Firehose, and the search Firehose when on. */
export const consumerCount = (config: PipelineConfig): number => (config.search.enabled ? 3 : 2);

/**
 * The readers that poll with GetRecords and share each shard's 2 MiB/s: all of them, less the
 * aggregator when it reads through its enhanced fan-out consumer (`aggregator.consumer = efo`),
 * which has its own 2 MiB/s per shard.
 */
export const pollingReaders = (config: PipelineConfig): number =>
  consumerCount(config) - (config.aggregator.consumer === 'efo' ? 1 : 0);

/**
 * Put-to-get propagation delay AWS documents for a reader (Kinesis Data Streams developer guide,
 * "Develop enhanced fan-out consumers with dedicated throughput", the comparison table): polling, an
 * average of about 200 ms with one reader, about 1,000 ms with five; enhanced fan-out, about 70 ms
 * whatever the count. Between one and five readers the model interpolates linearly (ASSUMED).
 */
export function propagationDelayMs(consumer: 'polling' | 'efo', readersPolling: number): number {
  if (consumer === 'efo') return 70;
  const n = Math.min(Math.max(readersPolling, 1), 5);
  return 200 + ((n - 1) * (1_000 - 200)) / 4;
}

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
 * Expected distinct (group, window) in a batch of `records` spread uniformly over `groups`, when the
 * batch spans `spanSeconds` of event time: cells = groups × windows touched, and
 * items = cells × (1 − e^(−records/cells)).
 */
export function itemsPerBatch(records: number, groups: number, spanSeconds: number, windowSeconds: number): number {
  if (records <= 0) return 0;
  const cells = Math.max(1, groups * (1 + spanSeconds / windowSeconds));
  return Math.max(1, Math.min(records, cells * (1 - Math.exp(-records / cells))));
}

/** What identifies a declaration for its measured item sizes: its types, groupBy and measures. */
export function declarationSignature(d: AggregateDeclaration): string {
  return JSON.stringify({ types: [...d.types].sort(), groupBy: d.groupBy, measures: d.measures });
}

/** Groups a declaration has in all (ASSUMPTIONS: typeCardinality, attributeCardinality). */
export function groupsOf(d: AggregateDeclaration, keys: number): number {
  if (d.groupBy.includes('key')) return keys;
  return d.groupBy.reduce(
    (n, field) =>
      n *
      (field === 'type'
        ? ASSUMPTIONS.typeCardinality
        : (ASSUMPTIONS.attributeCardinality[field] ?? ASSUMPTIONS.otherAttributeCardinality)),
    1,
  );
}

/** Write and stored bytes of one item with one watermark: measured when the benchmark ran this declaration, else estimated. */
export function itemSizeOf(
  d: AggregateDeclaration,
  window: string,
  measured: Measured,
): { writeBytes: number; storedBytes: number; source: 'measured' | 'estimated' } {
  const signature = declarationSignature(d);
  const m = measured.itemSizes.find((i) => i.signature === signature && i.window === window);
  if (m !== undefined) return { writeBytes: m.writeBytes, storedBytes: m.storedBytes, source: 'measured' };
  const u = ASSUMPTIONS.unmeasuredItem;
  let bytes = u.baseBytes;
  for (const measure of Object.values(d.measures)) {
    if (measure.op === 'distinct') bytes += u.distinctBytes;
    else if (measure.op === 'quantiles') bytes += u.quantilesBytes;
    else if (measure.op === 'topK') bytes += u.topKBytesPerK * (measure.k ?? 10);
    else bytes += u.exactMeasureBytes * (measure.op === 'avg' ? 2 : 1);
  }
  return { writeBytes: bytes, storedBytes: bytes, source: 'estimated' };
}

/** Write request units of one write: 1 per 1 KB of the item (the larger of before and after), at least 1. */
export const writeRequestUnits = (bytes: number): number => Math.max(1, ceil(bytes / KiB));
/** Read request units of one strongly consistent read: 1 per 4 KB, at least 1. */
export const readRequestUnits = (bytes: number): number => Math.max(1, ceil(bytes / (4 * KiB)));

/**
 * What one declaration's window size costs per batch of one shard. `records` is the batch, `spanSeconds`
 * the event time it covers, `ratePerShard` the events one shard carries.
 */
export function declarationLoad(
  d: AggregateDeclaration,
  window: number,
  o: {
    readonly keys: number;
    readonly shards: number;
    readonly records: number;
    readonly spanSeconds: number;
    readonly rate: number;
    readonly ttlDays: number;
    readonly measured: Measured;
  },
): DeclarationLoad {
  const sketches = hasSketches(d);
  const keyed = isKeyed(d);
  const share = d.types.includes('*') ? 1 : ASSUMPTIONS.typedDeclarationShare;
  const windowSeconds = d.windowSeconds[window];
  const groups = Math.max(1, groupsOf(d, o.keys));
  const groupsPerShard = keyed ? Math.max(1, groups / o.shards) : groups;
  const shardsWriting = keyed ? 1 : o.shards;
  const items = itemsPerBatch(o.records * share, groupsPerShard, o.spanSeconds, windowSeconds);
  const size = itemSizeOf(d, d.windows[window], o.measured);
  const watermarks = (shardsWriting - 1) * o.measured.watermarkBytesPerShard;
  const writeBytes = size.writeBytes + watermarks;
  const requests = !sketches ? o.measured.exact : shardsWriting > 1 ? o.measured.contended : o.measured.sketch;
  // Items of one window of event time, kept for the TTL after it closes.
  const perWindow = groups * (1 - Math.exp(-(o.rate * share * windowSeconds) / groups));
  const itemsStored = perWindow * ((o.ttlDays * 86_400 + windowSeconds) / windowSeconds);
  return {
    aggregate: d.name,
    window: d.windows[window],
    sketches,
    groups,
    groupsPerShard,
    shardsWriting,
    itemsPerBatch: items,
    writeBytes,
    wruPerWrite: writeRequestUnits(writeBytes),
    rruPerRead: readRequestUnits(writeBytes),
    requests,
    sizeSource: size.source,
    itemsStored,
    storedBytes: size.storedBytes + watermarks + ASSUMPTIONS.itemOverheadBytes,
  };
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

function quantity(n: number): string {
  if (n >= 100) return Math.round(n).toLocaleString('en-US');
  if (n >= 10) return n.toFixed(0);
  return n.toFixed(1);
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
  const pollers = pollingReaders(config);
  const efo = config.aggregator.consumer === 'efo';
  const searchOn = config.search.enabled;

  // Kinesis. Only the polling readers share a shard's read throughput.
  const shards =
    mode === 'provisioned'
      ? provisionedShards(rate * peakFactor, size, pollers)
      : onDemandShards(rate * peakFactor, size, pollers);
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
    if (efo) {
      items.push(
        line(
          'Kinesis',
          `enhanced fan-out: the aggregator's consumer × ${shards} shards × 730 h`,
          shards * HOURS_PER_MONTH,
          P.kinesis.efoConsumerShardHour,
        ),
      );
      items.push(
        line(
          'Kinesis',
          'enhanced fan-out data retrieved by the aggregator',
          (events * size) / GB,
          P.kinesis.efoRetrievalGb,
        ),
      );
    }
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
      line(
        'Kinesis',
        `data retrieved by ${pollers} polling readers`,
        ingestGb * pollers,
        P.kinesis.onDemandRetrievalGb,
      ),
    );
    if (efo) {
      items.push(
        line(
          'Kinesis',
          'enhanced fan-out data retrieved by the aggregator',
          ingestGb,
          P.kinesis.onDemandEfoRetrievalGb,
        ),
      );
    }
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
  const loads = input.declarations.aggregates.flatMap((d) =>
    d.windows.map((_, w) =>
      declarationLoad(d, w, {
        keys,
        shards,
        records,
        spanSeconds,
        rate,
        ttlDays: config.aggregates.ttlDays,
        measured,
      }),
    ),
  );
  const itemCount = loads.reduce((t, l) => t + l.itemsPerBatch, 0);
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

  // DynamoDB: per declaration, its items per batch × requests per item, each write billed at the item's
  // size (refused conditional writes too), each read at 1 RRU per 4 KB (strongly consistent).
  let aggregateWrites = 0;
  let byKeyItemsWritten = 0;
  for (const d of input.declarations.aggregates) {
    const own = loads.filter((l) => l.aggregate === d.name);
    const writes = own.reduce((t, l) => t + batchesPerMonth * l.itemsPerBatch * l.requests.writes, 0);
    const wru = own.reduce((t, l) => t + batchesPerMonth * l.itemsPerBatch * l.requests.writes * l.wruPerWrite, 0);
    const rru = own.reduce((t, l) => t + batchesPerMonth * l.itemsPerBatch * l.requests.reads * l.rruPerRead, 0);
    aggregateWrites += writes;
    if (d.name === BY_KEY) byKeyItemsWritten += own.reduce((t, l) => t + batchesPerMonth * l.itemsPerBatch, 0);
    const windows = own.map((l) => `${l.window} ${quantity(l.itemsPerBatch)} items × ${l.wruPerWrite} WRU`).join(', ');
    items.push(
      line('DynamoDB', `aggregate writes, ${d.name} (a batch: ${windows})`, wru / 1e6, P.dynamodb.writeRequestUnits),
    );
    if (rru > 0) {
      items.push(
        line(
          'DynamoDB',
          `sketch reads, ${d.name} (${own.map((l) => `${l.requests.reads.toFixed(2)} × ${l.rruPerRead} RRU`).join(', ')} per item)`,
          rru / 1e6,
          P.dynamodb.readRequestUnits,
        ),
      );
    }
  }
  let byTypeIndexUsd = 0;
  const indexOn = config.aggregates.byTypeIndex;
  const hasByKey = input.declarations.aggregates.some((d) => d.name === BY_KEY);
  if (indexOn && hasByKey) {
    const indexWru = writeRequestUnits(measured.byTypeIndexEntryBytes);
    const index = line(
      'DynamoDB',
      `byType index writes (one per by_key write, ${indexWru} WRU)`,
      (byKeyItemsWritten * indexWru) / 1e6,
      P.dynamodb.writeRequestUnits,
    );
    items.push(index);
    byTypeIndexUsd += index.usd;
  }
  const aggregatesStored = loads.reduce((t, l) => t + l.itemsStored, 0);
  const tableGb = loads.reduce((t, l) => t + l.itemsStored * l.storedBytes, 0) / GB;
  items.push(
    line(
      'DynamoDB',
      `storage, ${fmt(aggregatesStored)} items (TTL ${config.aggregates.ttlDays} d)`,
      tableGb,
      P.dynamodb.storageGbMonth,
    ),
  );
  if (indexOn && hasByKey) {
    const entries = loads.filter((l) => l.aggregate === BY_KEY).reduce((t, l) => t + l.itemsStored, 0);
    const indexStorage = line(
      'DynamoDB',
      `storage, byType index (${fmt(entries)} entries)`,
      (entries * (measured.byTypeIndexEntryBytes + ASSUMPTIONS.itemOverheadBytes)) / GB,
      P.dynamodb.storageGbMonth,
    );
    items.push(indexStorage);
    byTypeIndexUsd += indexStorage.usd;
  }
  items.push(line('DynamoDB', 'point-in-time recovery (table, not its indexes)', tableGb, P.dynamodb.pitrGbMonth));

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
      consumer: config.aggregator.consumer,
    },
    derived: {
      consumers,
      pollingReaders: pollers,
      aggregatorPropagationMs: propagationDelayMs(config.aggregator.consumer, efo ? 1 : pollers),
      shards,
      recordsPerBatch: records,
      batchesPerMonth,
      itemsPerBatch: itemCount,
      declarations: loads,
      byTypeIndexUsd,
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

/** A profile with the stream mode (and optionally archive format, search leg, byType index and declarations file) overridden. */
export function withOverrides(
  config: PipelineConfig,
  o: {
    mode?: StreamMode;
    archiveFormat?: 'gzip' | 'parquet';
    search?: boolean;
    byTypeIndex?: boolean;
    aggregatesFile?: string;
    consumer?: 'polling' | 'efo';
  },
): PipelineConfig {
  return {
    ...config,
    aggregator: { ...config.aggregator, consumer: o.consumer ?? config.aggregator.consumer },
    stream: { ...config.stream, mode: o.mode ?? config.stream.mode },
    archive: { ...config.archive, format: o.archiveFormat ?? config.archive.format },
    search: { ...config.search, enabled: o.search ?? config.search.enabled },
    aggregates: {
      ...config.aggregates,
      byTypeIndex: o.byTypeIndex ?? config.aggregates.byTypeIndex,
      file: o.aggregatesFile ?? config.aggregates.file,
    },
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

/** What enhanced fan-out changes for the aggregator at one rate: dollars a month, and milliseconds of delay. */
export interface EfoComparison {
  readonly rate: number;
  readonly pollingUsd: number;
  readonly efoUsd: number;
  /** efoUsd - pollingUsd: the Kinesis charges EFO adds, less what fewer shared readers save. */
  readonly premiumUsd: number;
  readonly pollingPropagationMs: number;
  readonly efoPropagationMs: number;
}

/** The same pipeline with the aggregator polling and reading through enhanced fan-out, at each rate. */
export function compareConsumers(base: Omit<CostInput, 'rate'>, rates: readonly number[]): EfoComparison[] {
  return rates.map((rate) => {
    const cost = (consumer: 'polling' | 'efo'): CostBreakdown =>
      monthlyCost({ ...base, rate, config: withOverrides(base.config, { consumer }) });
    const polling = cost('polling');
    const efo = cost('efo');
    return {
      rate,
      pollingUsd: polling.totalUsd,
      efoUsd: efo.totalUsd,
      premiumUsd: efo.totalUsd - polling.totalUsd,
      pollingPropagationMs: polling.derived.aggregatorPropagationMs,
      efoPropagationMs: efo.derived.aggregatorPropagationMs,
    };
  });
}
