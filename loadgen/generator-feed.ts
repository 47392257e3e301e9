import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ValidEvent } from '../lambda/shared/event-schema';
import type { Chunk } from './generator-worker';
import type { GeneratedRecord, GeneratorOptions } from './scenarios';

const NONE: readonly ValidEvent[] = [];

/**
 * The same records as `EventGenerator`, in the same order, made on a worker thread: generation
 * then runs on another core while this thread signs and sends. Chunks are asked for ahead of
 * need, so `next()` stays synchronous once `ensure()` has resolved.
 */
export class GeneratorFeed {
  private readonly worker: Worker;
  private readonly chunks: Chunk[] = [];
  private current?: { chunk: Chunk; bytes: Buffer; index: number };
  private buffered = 0;
  private requested = 0;
  private waiting?: () => void;
  private failure?: Error;

  constructor(
    options: GeneratorOptions,
    private readonly chunkSize = 2_000,
    private readonly ahead = 3,
  ) {
    // The entry registers tsx itself: the parent's loader flags do not carry into a worker alike
    // under the CLI and under the test runner.
    this.worker = new Worker(join(__dirname, 'generator-worker.cjs'), { workerData: options, execArgv: [] });
    this.worker.on('message', (chunk: Chunk) => {
      this.requested--;
      this.chunks.push(chunk);
      this.buffered += chunk.keys.length;
      this.waiting?.();
    });
    this.worker.on('error', (error: Error) => {
      this.failure = error;
      this.waiting?.();
    });
    this.refill();
  }

  /** Resolves once the worker has made its first chunk (or failed to start). */
  async ready(): Promise<void> {
    await this.ensure(1);
  }

  /** Resolves once `count` records (at most a chunk) can be taken without waiting. */
  async ensure(count: number): Promise<void> {
    while (this.buffered < count) {
      if (this.failure !== undefined) throw this.failure;
      this.refill();
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = undefined;
    }
  }

  next(): GeneratedRecord {
    let current = this.current;
    if (current === undefined || current.index >= current.chunk.keys.length) {
      const chunk = this.chunks.shift();
      if (chunk === undefined) throw new Error('GeneratorFeed.next() before ensure()');
      current = this.current = { chunk, bytes: Buffer.from(chunk.bytes), index: 0 };
      this.refill();
    }
    const i = current.index++;
    const start = i === 0 ? 0 : current.chunk.ends[i - 1];
    this.buffered--;
    const valid = current.chunk.valid?.[i];
    return {
      partitionKey: current.chunk.keys[i],
      data: current.bytes.subarray(start, current.chunk.ends[i]),
      userRecords: 1,
      poison: current.chunk.poison[i] === 1,
      valid: valid === undefined || valid === null ? NONE : [valid],
    };
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private refill(): void {
    while (this.chunks.length + this.requested < this.ahead) {
      this.requested++;
      this.worker.postMessage(this.chunkSize);
    }
  }
}
