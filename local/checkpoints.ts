import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Per-shard positions a reader has finished with, kept in a JSON file when local mode has a data
 * directory, so that a restart resumes where it stopped as Lambda and Firehose do, instead of
 * reading the stream again from the start. Without a file they live in memory only.
 */
export class Checkpoints {
  private readonly positions: Record<string, string>;

  constructor(private readonly file?: string) {
    this.positions = {};
    if (file === undefined) return;
    try {
      Object.assign(this.positions, JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>);
    } catch {
      // No checkpoints yet: read from the start.
    }
  }

  get(shardId: string): string | undefined {
    return this.positions[shardId];
  }

  set(shardId: string, sequenceNumber: string): void {
    const current = this.positions[shardId];
    if (current !== undefined && BigInt(current) >= BigInt(sequenceNumber)) return;
    this.positions[shardId] = sequenceNumber;
    if (this.file === undefined) return;
    mkdirSync(dirname(this.file), { recursive: true });
    // Write then rename: a crash mid-write leaves the previous checkpoints, never half a file.
    writeFileSync(`${this.file}.tmp`, JSON.stringify(this.positions));
    renameSync(`${this.file}.tmp`, this.file);
  }
}
