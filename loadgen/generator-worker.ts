import { parentPort, workerData } from 'node:worker_threads';
import type { ValidEvent } from '../lambda/shared/event-schema';
import { EventGenerator, type GeneratorOptions } from './scenarios';

/** One message's worth of records: the bytes of all of them in one transferred buffer. */
export interface Chunk {
  readonly bytes: ArrayBuffer;
  /** Record i is `bytes[ends[i - 1] .. ends[i])`. */
  readonly ends: Uint32Array;
  readonly keys: string[];
  readonly poison: Uint8Array;
  /** Only when the run keeps valid events (an expect file): one entry per record, null for poison. */
  readonly valid?: (ValidEvent | null)[];
}

const generator = new EventGenerator(workerData as GeneratorOptions);
const keepValid = (workerData as GeneratorOptions).keepValid === true;

parentPort!.on('message', (count: number) => {
  const records = Array.from({ length: count }, () => generator.next());
  const ends = new Uint32Array(count);
  let total = 0;
  for (let i = 0; i < count; i++) ends[i] = total += records[i].data.length;
  const bytes = new Uint8Array(total);
  for (let i = 0; i < count; i++) bytes.set(records[i].data, i === 0 ? 0 : ends[i - 1]);
  const chunk: Chunk = {
    bytes: bytes.buffer,
    ends,
    keys: records.map((r) => r.partitionKey),
    poison: Uint8Array.from(records, (r) => (r.poison ? 1 : 0)),
    ...(keepValid ? { valid: records.map((r) => r.valid[0] ?? null) } : {}),
  };
  parentPort!.postMessage(chunk, [chunk.bytes, chunk.ends.buffer as ArrayBuffer, chunk.poison.buffer as ArrayBuffer]);
});
