/** One measured batch size: the medians the cost model reads from bench/results.json. */
export interface BatchDurationPoint {
  readonly records: number;
  /** Stored items the batch touches, all declarations together (aggregates.json): one write each. */
  readonly items: number;
  /** Wall time of `processBatch` against dynalite and s3rver, median of the rounds. */
  readonly ms: number;
  /** The CPU part alone: decode, validate, window, pre-aggregate, median of the rounds. */
  readonly coreMs: number;
}

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly node: string;
  readonly os: string;
  readonly date: string;
  /** 1-minute load average when the run started and ended: how busy the shared machine was. */
  readonly loadAverage: { readonly start: number; readonly end: number };
}

/** A result as bench/results.json keeps it: with its stable id and the file that measured it. */
export type StoredResult = BenchResult & { readonly id: string; readonly file: string };

/** Requests per stored item per batch. */
export interface RequestsPerItem {
  readonly writes: number;
  readonly reads: number;
}

/** Sizes of the items of one declaration and window size, by DynamoDB's rules (bench/events.ts `itemBytes`). */
export interface ItemSizeInput {
  readonly aggregate: string;
  readonly window: string;
  /** The declaration's types, groupBy and measures (cost/model.ts `declarationSignature`): sizes apply to the same declaration only. */
  readonly signature: string;
  readonly sketches: boolean;
  /** Median of the items read back from dynalite after the benchmark's run (20 s or less of events). */
  readonly readBackMedianBytes: number;
  /** At the end of a full window at 1,000 events/s, one shard's watermark: weighted by each group's events (writes). */
  readonly fullWindowWriteWeightedBytes: number;
  /** The same, a plain mean over groups (storage). */
  readonly fullWindowMeanBytes: number;
  readonly fullWindowMaxBytes: number;
  readonly fullWindowGroups: number;
}

/** What bench/aggregate-writes.bench.ts measures for the cost model. */
export interface WritesCostInputs {
  /** `by_key`: conditional UpdateItem requests, and the reads a refused one needs. */
  readonly exactRequestsPerItem: RequestsPerItem;
  /** Items with sketches, each written by one shard: GetItem (unless remembered) and a conditional PutItem. */
  readonly sketchRequestsPerItem: RequestsPerItem;
  /** Items with sketches that every shard writes, each shard from its own container, all at once: per applied write. */
  readonly contendedRequestsPerWrite: RequestsPerItem & { readonly shards: number };
  readonly itemSizes: readonly ItemSizeInput[];
  /** One shard's watermark attribute (`w:<n>` and its value) on an item. */
  readonly watermarkBytesPerShard: number;
  /** A `by_key` item's entry in the optional byType index: keys and projected attributes. */
  readonly byTypeIndexEntryBytes: number;
}

/** The shape of bench/results.json, written by bench/run.ts; `costInputs` is what cost/ reads. */
export interface BenchmarkResults {
  readonly schema: 2;
  readonly machine: Machine;
  readonly results: StoredResult[];
  readonly costInputs: {
    /** `by_key` requests per item per batch (exact measures), the first of the writes measurements. */
    readonly writesPerItemPerBatch: { readonly value: number; readonly source: string; readonly note: string };
    readonly writes: WritesCostInputs & { readonly source: string; readonly note: string };
    readonly batchDurations: { readonly points: BatchDurationPoint[]; readonly source: string; readonly note: string };
  };
}

export interface BenchResult {
  /** Stable name in bench/results.json; bench/run.ts makes one from the name when absent. */
  readonly id?: string;
  readonly name: string;
  /** Work items per second (median of the rounds), or the measured value for counts. */
  readonly value: number;
  readonly unit: string;
  readonly ratio?: number;
  readonly target?: string;
  readonly pass?: boolean;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function rate(items: number, fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return items / (Number(process.hrtime.bigint() - start) / 1e9);
}

/**
 * Times a candidate against its baseline over the same items, alternating their rounds after a
 * warm-up so that both see the same machine: on a shared, noisy host only the ratio of medians
 * measured side by side means anything.
 */
export function compare(
  items: number,
  baseline: () => void,
  candidate: () => void,
  rounds = 21,
  warmup = 5,
): { baseline: number; candidate: number; ratio: number } {
  for (let i = 0; i < warmup; i++) {
    baseline();
    candidate();
  }
  const b: number[] = [];
  const c: number[] = [];
  for (let i = 0; i < rounds; i++) {
    b.push(rate(items, baseline));
    c.push(rate(items, candidate));
  }
  const result = { baseline: median(b), candidate: median(c) };
  return { ...result, ratio: result.candidate / result.baseline };
}
