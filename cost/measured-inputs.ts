/**
 * What the cost model reads from a benchmark run: the `costInputs` section of bench/results.json.
 * Declared on the reading side, so that bench/ depends on cost/ (it writes these, and the README's
 * cost table) and cost/ never reaches into bench/.
 */

/** One measured batch size: the medians the cost model interpolates between. */
export interface BatchDurationPoint {
  readonly records: number;
  /** Stored items the batch touches, all declarations together (aggregates.json): one write each. */
  readonly items: number;
  /** Wall time of `processBatch` against dynalite and s3rver, median of the rounds. */
  readonly ms: number;
  /** The CPU part alone: decode, validate, window, pre-aggregate, median of the rounds. */
  readonly coreMs: number;
}

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

/** The `costInputs` section of bench/results.json, each measurement with where it came from. */
export interface CostInputs {
  /** `by_key` requests per item per batch (exact measures), the first of the writes measurements. */
  readonly writesPerItemPerBatch: { readonly value: number; readonly source: string; readonly note: string };
  readonly writes: WritesCostInputs & { readonly source: string; readonly note: string };
  readonly batchDurations: { readonly points: BatchDurationPoint[]; readonly source: string; readonly note: string };
}

/** The machine a benchmark run measured on, as the cost model quotes it beside its source. */
export interface MeasuredOn {
  readonly cpu: string;
  readonly date: string;
}
