import { type KinesisClient, ListShardsCommand, type Shard } from '@aws-sdk/client-kinesis';
import type { ExpectedAggregates } from './expect';
import { KplPacker, type ShardRange } from './kpl-packer';
import type { LoadgenOptions } from './options';
import { GeneratorFeed } from './generator-feed';
import { PutRecordsSender, type SendEntry, type SenderStats } from './sender';
import { TokenBucket } from './token-bucket';

export interface Summary {
  readonly stream: string;
  readonly scenario: string;
  readonly seed: number;
  readonly kpl: boolean;
  /** Events generated and handed to the stream, valid and poison. */
  readonly sent: number;
  readonly accepted: number;
  readonly retried: number;
  readonly throttled: number;
  /** Events finally lost. */
  readonly failed: number;
  readonly poison: number;
  readonly kinesisRecords: number;
  readonly requests: number;
  readonly durationSeconds: number;
  /** Accepted events per second over the run. */
  readonly eventsPerSecond: number;
  readonly targetRate: number;
  readonly putLatencyMs: { readonly p50: number; readonly p99: number };
  readonly interrupted: boolean;
  /** The error no retry can fix that stopped the run, in words: its cause and what to do. */
  readonly error?: string;
  /** When events were lost to retries running out: the last refusal, so the loss has a reason. */
  readonly lastError?: string;
}

export interface Progress {
  readonly elapsedMs: number;
  readonly stats: SenderStats;
  readonly rate: number;
}

export interface RunHooks {
  /** Called about once a second. */
  readonly onProgress?: (p: Progress) => void;
  /** Resolves when the user asks to stop (Ctrl-C): the run flushes what is in flight and reports. */
  readonly stopSignal?: Promise<void>;
  readonly client: KinesisClient;
  /** Turns a fatal SDK error into words for the summary. */
  readonly describeError?: (error: Error) => string;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function openShards(client: KinesisClient, stream: string): Promise<ShardRange[]> {
  const shards: Shard[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      token === undefined ? new ListShardsCommand({ StreamName: stream }) : new ListShardsCommand({ NextToken: token }),
    );
    shards.push(...(page.Shards ?? []));
    token = page.NextToken;
  } while (token !== undefined);
  return shards
    .filter((s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined)
    .map((s) => ({
      shardId: s.ShardId!,
      startingHashKey: s.HashKeyRange!.StartingHashKey!,
      endingHashKey: s.HashKeyRange!.EndingHashKey!,
    }));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Generates events at the held rate and puts them, until the count or duration is reached or a
 * stop is asked for; then sends what is queued and waits for every record to be accepted or lost.
 */
export async function runLoad(
  options: LoadgenOptions,
  hooks: RunHooks,
): Promise<{ summary: Summary; expected?: ExpectedAggregates }> {
  const generator = new GeneratorFeed({
    scenario: options.scenario,
    seed: options.seed,
    keys: options.keys,
    poisonRate: options.poison,
    startMs: options.startMs,
    rate: options.rate,
    keepValid: options.expect !== undefined,
  });
  try {
    // Nothing starts, the rate's clock included, until the worker has its first records ready.
    await generator.ready();
    return await runWith(generator, options, hooks);
  } finally {
    await generator.close();
  }
}

async function runWith(
  generator: GeneratorFeed,
  options: LoadgenOptions,
  hooks: RunHooks,
): Promise<{ summary: Summary; expected?: ExpectedAggregates }> {
  // Loaded only for --expect: the sketches it brings would slow every start for nothing.
  const expected =
    options.expect === undefined ? undefined : new (await import('./expect')).ExpectedAggregates(options.declarations);
  const bucket = new TokenBucket(options.rate);
  let fatal: Error | undefined;
  let lastThrottle = -Infinity;
  const floorRate = Math.max(1, options.rate / 10);
  const sender = new PutRecordsSender({
    client: hooks.client,
    streamName: options.stream,
    concurrency: options.concurrency,
    maxRetries: options.maxRetries,
    // Only with --expect: otherwise accepting a record costs no call at all.
    onAccepted:
      expected === undefined
        ? undefined
        : (entry) => {
            for (const v of entry.valid) expected.addValid(v);
          },
    // Multiplicative decrease on throttling, at most once a second (one round trip of feedback),
    // never below a tenth of the target: retries with backoff absorb what the stream still refuses.
    onThrottle: () => {
      const now = performance.now();
      if (now - lastThrottle < 1000) return;
      lastThrottle = now;
      bucket.setRate(Math.max(floorRate, bucket.currentRate * 0.8));
    },
    onFatal: (error) => {
      fatal ??= error;
    },
  });

  const packer = options.kpl ? new KplPacker(await openShards(hooks.client, options.stream)) : undefined;
  let stopped = false;
  void hooks.stopSignal?.then(() => {
    stopped = true;
  });

  const started = performance.now();
  const deadline = options.durationMs === undefined ? Infinity : started + options.durationMs;
  const limit = options.count ?? Infinity;
  let generated = 0;
  let poison = 0;
  let lastTick = started;
  let lastKplFlush = started;

  const submit = (entry: SendEntry): Promise<void> | undefined => sender.offer(entry);

  while (!stopped && fatal === undefined && generated < limit) {
    const now = performance.now();
    if (now >= deadline) break;
    if (now - lastTick >= 1000) {
      lastTick = now;
      if (now - lastThrottle > 1500 && bucket.currentRate < options.rate) {
        bucket.setRate(Math.min(options.rate, bucket.currentRate * 1.1 + 1));
      }
      hooks.onProgress?.({ elapsedMs: now - started, stats: sender.stats, rate: bucket.currentRate });
    }
    const wanted = Math.min(limit - generated, 500);
    const granted = bucket.tryTake(wanted);
    if (granted === 0) {
      await sleep(Math.max(1, Math.min(50, bucket.waitMs())));
      continue;
    }
    await generator.ensure(granted);
    for (let i = 0; i < granted; i++) {
      const record = generator.next();
      generated++;
      if (record.poison) poison++;
      let wait: Promise<void> | undefined;
      if (packer === undefined) {
        wait = submit(record);
      } else {
        const full = packer.add(record.partitionKey, record.data, record.valid[0]);
        if (full !== undefined) wait = submit(full);
      }
      if (wait !== undefined) await wait;
    }
    if (packer !== undefined && performance.now() - lastKplFlush >= 100) {
      lastKplFlush = performance.now();
      for (const entry of packer.flush()) await submit(entry);
    }
  }
  if (packer !== undefined) for (const entry of packer.flush()) await submit(entry);
  await sender.drain();

  const durationSeconds = (performance.now() - started) / 1000;
  const s = sender.stats;
  hooks.onProgress?.({ elapsedMs: durationSeconds * 1000, stats: s, rate: bucket.currentRate });
  const latencies = [...s.latenciesMs].sort((a, b) => a - b);
  const summary: Summary = {
    stream: options.stream,
    scenario: options.scenario,
    seed: options.seed,
    kpl: options.kpl,
    sent: s.sent,
    accepted: s.accepted,
    retried: s.retried,
    throttled: s.throttled,
    failed: s.failed,
    poison,
    kinesisRecords: s.kinesisRecords,
    requests: s.requests,
    durationSeconds: Math.round(durationSeconds * 1000) / 1000,
    eventsPerSecond: Math.round((s.accepted / durationSeconds) * 10) / 10,
    targetRate: options.rate,
    putLatencyMs: {
      p50: Math.round(percentile(latencies, 50) * 10) / 10,
      p99: Math.round(percentile(latencies, 99) * 10) / 10,
    },
    interrupted: stopped,
    ...(fatal === undefined ? {} : { error: hooks.describeError?.(fatal) ?? fatal.message }),
    ...(fatal === undefined && s.failed > 0 && s.lastError !== undefined ? { lastError: s.lastError } : {}),
  };
  return { summary, ...(expected === undefined ? {} : { expected }) };
}
