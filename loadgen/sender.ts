import { type KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { isConnectionFailure, permanentFailure } from '../cli/aws-errors';
import type { ValidEvent } from '../lambda/shared/event-schema';

/** One Kinesis record to put: a plain user record, or a KPL-aggregated one carrying several. */
export interface SendEntry {
  readonly data: Buffer;
  readonly partitionKey: string;
  readonly explicitHashKey?: string;
  /** User records inside: 1 for a plain record. */
  readonly userRecords: number;
  /** The valid events inside, when the run writes an expect file. */
  readonly valid: readonly ValidEvent[];
}

export interface SenderStats {
  /** User records handed to the sender. */
  sent: number;
  /** User records the stream acknowledged. */
  accepted: number;
  /** User records sent again after a failure. */
  retried: number;
  /** User records refused for throughput (per record, or by a throttled request). */
  throttled: number;
  /** User records given up on. */
  failed: number;
  /** Kinesis records put (KPL-aggregated records count once). */
  kinesisRecords: number;
  requests: number;
  /** Duration of each PutRecords call, ms. */
  readonly latenciesMs: number[];
  /** Why the last record or call was refused, as the stream or the SDK said it: the reason a loss is given. */
  lastError?: string;
}

export interface SenderOptions {
  readonly client: KinesisClient;
  readonly streamName: string;
  /**
   * PutRecords calls in flight at once.
   * @default 8
   */
  readonly concurrency?: number;
  /**
   * Attempts after the first, per record.
   * @default 10
   */
  readonly maxRetries?: number;
  /** @default 100 */
  readonly baseBackoffMs?: number;
  /** @default 5000 */
  readonly maxBackoffMs?: number;
  /**
   * A partial batch waits at most this long before it is sent.
   * @default 50
   */
  readonly lingerMs?: number;
  readonly onAccepted?: (entry: SendEntry) => void;
  readonly onThrottle?: () => void;
  /**
   * A failure no retry can fix (no credentials, a missing stream, denied access, nothing at the
   * endpoint before anything was accepted): the records in flight are lost and the run should stop.
   */
  readonly onFatal?: (error: Error) => void;
  readonly random?: () => number;
}

export const PUT_RECORDS_MAX_RECORDS = 500;
export const PUT_RECORDS_MAX_BYTES = 5 * 1024 * 1024;

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'ThrottlingException',
  'KMSThrottlingException',
]);

function entrySize(e: SendEntry): number {
  return e.data.length + Buffer.byteLength(e.partitionKey);
}

/**
 * Puts records with PutRecords in batches of up to 500 records and 5 MiB, several calls in flight.
 * Only the records a response marks as failed are sent again, after a jittered exponential backoff;
 * a record is lost only when its retries run out, and then it is counted.
 */
export class PutRecordsSender {
  readonly stats: SenderStats = {
    sent: 0,
    accepted: 0,
    retried: 0,
    throttled: 0,
    failed: 0,
    kinesisRecords: 0,
    requests: 0,
    latenciesMs: [],
  };

  private batch: SendEntry[] = [];
  /** Attempts so far, for the few entries that needed a retry. */
  private readonly attempts = new Map<SendEntry, number>();
  private batchBytes = 0;
  private inFlight = 0;
  /** Records handed in and not yet accepted or lost: drain() waits for zero. */
  private unresolved = 0;
  private readonly slotWaiters: (() => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private linger: NodeJS.Timeout | undefined;
  private fatal: Error | undefined;
  private readonly concurrency: number;
  private readonly maxRetries: number;
  private readonly random: () => number;

  constructor(private readonly options: SenderOptions) {
    this.concurrency = options.concurrency ?? 8;
    this.maxRetries = options.maxRetries ?? 10;
    this.random = options.random ?? Math.random;
  }

  /**
   * Queues a record. Returns a promise only when the producer must wait for a free request slot
   * (backpressure); otherwise nothing, so the common case costs no microtask per event.
   */
  offer(entry: SendEntry): Promise<void> | undefined {
    this.stats.sent += entry.userRecords;
    if (this.fatal !== undefined) {
      this.stats.failed += entry.userRecords;
      return undefined;
    }
    this.unresolved++;
    return this.add(entry);
  }

  /** Sends what is queued and waits until every record is accepted or lost. */
  async drain(): Promise<void> {
    await this.dispatch();
    // Retries waiting out their backoff are unresolved too: wait for them all.
    if (this.unresolved === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private add(p: SendEntry): Promise<void> | undefined {
    const size = entrySize(p);
    if (this.batch.length > 0 && this.batchBytes + size > PUT_RECORDS_MAX_BYTES) {
      const wait = this.dispatch();
      if (wait !== undefined) return wait.then(() => this.add(p));
    }
    this.batch.push(p);
    this.batchBytes += size;
    if (this.batch.length >= PUT_RECORDS_MAX_RECORDS) return this.dispatch();
    this.linger ??= setTimeout(() => void this.dispatch(), this.options.lingerMs ?? 50);
    return undefined;
  }

  /** Sends the open batch; returns a promise only when it has to wait for a request slot. */
  private dispatch(): Promise<void> | undefined {
    if (this.linger !== undefined) {
      clearTimeout(this.linger);
      this.linger = undefined;
    }
    if (this.batch.length === 0) return undefined;
    const batch = this.batch;
    this.batch = [];
    this.batchBytes = 0;
    if (this.inFlight < this.concurrency) {
      this.start(batch);
      return undefined;
    }
    return new Promise<void>((resolve) => this.slotWaiters.push(resolve)).then(() => this.startWhenFree(batch));
  }

  private async startWhenFree(batch: SendEntry[]): Promise<void> {
    while (this.inFlight >= this.concurrency) await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    this.start(batch);
  }

  private start(batch: SendEntry[]): void {
    this.inFlight++;
    void this.put(batch).finally(() => {
      this.inFlight--;
      this.slotWaiters.shift()?.();
    });
  }

  private async put(batch: SendEntry[]): Promise<void> {
    const records: PutRecordsRequestEntry[] = batch.map((p) =>
      p.explicitHashKey === undefined
        ? { Data: p.data, PartitionKey: p.partitionKey }
        : { Data: p.data, PartitionKey: p.partitionKey, ExplicitHashKey: p.explicitHashKey },
    );
    const started = performance.now();
    this.stats.requests++;
    let failed: SendEntry[];
    try {
      const response = await this.options.client.send(
        new PutRecordsCommand({ StreamName: this.options.streamName, Records: records }),
      );
      this.stats.latenciesMs.push(performance.now() - started);
      const results = response.Records ?? [];
      failed = [];
      let throttled = false;
      for (let i = 0; i < batch.length; i++) {
        const p = batch[i];
        const result = results[i];
        if (result !== undefined && result.ErrorCode === undefined && result.SequenceNumber !== undefined) {
          this.accept(p);
          continue;
        }
        if (result?.ErrorCode !== undefined) {
          this.stats.lastError = `${result.ErrorCode}: ${result.ErrorMessage ?? ''}`;
          if (THROTTLING.has(result.ErrorCode)) {
            throttled = true;
            this.stats.throttled += p.userRecords;
          }
        }
        failed.push(p);
      }
      if (throttled) this.options.onThrottle?.();
    } catch (error) {
      this.stats.latenciesMs.push(performance.now() - started);
      const name = (error as { name?: string }).name ?? '';
      this.stats.lastError = name === '' || name === 'Error' ? String(error) : `${name}: ${(error as Error).message}`;
      const kind = permanentFailure(error);
      // A refused connection after the stream has accepted records may be a blip: retried like any other.
      if (kind !== undefined && (!isConnectionFailure(kind) || this.stats.accepted === 0)) {
        this.fatal ??= error as Error;
        this.options.onFatal?.(error as Error);
        for (const p of batch) this.lose(p);
        return;
      }
      if (THROTTLING.has(name)) {
        for (const p of batch) this.stats.throttled += p.userRecords;
        this.options.onThrottle?.();
      }
      failed = batch;
    }
    for (const p of failed) this.retry(p);
  }

  private retry(p: SendEntry): void {
    const attempts = (this.attempts.get(p) ?? 0) + 1;
    if (this.fatal !== undefined || attempts > this.maxRetries) {
      this.lose(p);
      return;
    }
    this.attempts.set(p, attempts);
    this.stats.retried += p.userRecords;
    const cap = Math.min(this.options.maxBackoffMs ?? 5_000, (this.options.baseBackoffMs ?? 100) * 2 ** (attempts - 1));
    // Full jitter: retries of one throttled burst spread out instead of arriving together again.
    setTimeout(() => void this.add(p), this.random() * cap);
  }

  private accept(p: SendEntry): void {
    this.stats.accepted += p.userRecords;
    this.stats.kinesisRecords++;
    this.options.onAccepted?.(p);
    if (this.attempts.size > 0) this.attempts.delete(p);
    this.resolve();
  }

  private lose(p: SendEntry): void {
    this.stats.failed += p.userRecords;
    this.attempts.delete(p);
    this.resolve();
  }

  private resolve(): void {
    this.unresolved--;
    if (this.unresolved === 0) for (const w of this.idleWaiters.splice(0)) w();
  }
}
