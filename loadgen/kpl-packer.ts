import { createHash } from 'node:crypto';
import { RecordAggregator } from 'aws-kinesis-agg';
import type { ValidEvent } from '../lambda/shared/event-schema';
import type { SendEntry } from './sender';

export interface ShardRange {
  readonly shardId: string;
  readonly startingHashKey: string;
  readonly endingHashKey: string;
}

/** The KPL's default aggregated record size: large enough to pay off, small enough to keep latency. */
export const KPL_AGGREGATE_BYTES = 51_200;

interface Open {
  readonly aggregator: RecordAggregator;
  readonly valid: ValidEvent[];
  firstKey: string;
  userRecords: number;
  bytes: number;
}

/**
 * Packs user records into KPL-aggregated records with aws-kinesis-agg, the awslabs encoder. As the
 * KPL does, it only packs together records bound for the same shard (by the MD5 of their partition
 * key) and sends the package with that shard's explicit hash key, so every user record still lands
 * on the shard its own key maps to and keeps its order there.
 */
export class KplPacker {
  private readonly open = new Map<string, Open>();
  private readonly ranges: { shard: ShardRange; start: bigint; end: bigint }[];

  constructor(shards: readonly ShardRange[]) {
    if (shards.length === 0) throw new Error('the stream has no open shards');
    this.ranges = shards
      .map((shard) => ({ shard, start: BigInt(shard.startingHashKey), end: BigInt(shard.endingHashKey) }))
      .sort((a, b) => (a.start < b.start ? -1 : 1));
  }

  /** Adds a user record; returns an aggregated record when one is full. */
  add(partitionKey: string, data: Buffer, valid: ValidEvent | undefined): SendEntry | undefined {
    const shard = this.shardFor(partitionKey);
    let open = this.open.get(shard.shardId);
    const size = data.length + Buffer.byteLength(partitionKey) + 16;
    let full: SendEntry | undefined;
    if (open !== undefined && open.bytes + size > KPL_AGGREGATE_BYTES) {
      full = this.close(shard.shardId);
      open = undefined;
    }
    if (open === undefined) {
      open = { aggregator: new RecordAggregator(), valid: [], firstKey: partitionKey, userRecords: 0, bytes: 0 };
      this.open.set(shard.shardId, open);
    }
    open.aggregator.addUserRecord({ partitionKey, data });
    open.userRecords++;
    open.bytes += size;
    if (valid !== undefined) open.valid.push(valid);
    return full;
  }

  /** Every partly filled aggregated record. */
  flush(): SendEntry[] {
    return [...this.open.keys()].map((shardId) => this.close(shardId)!);
  }

  private close(shardId: string): SendEntry | undefined {
    const open = this.open.get(shardId);
    if (open === undefined) return undefined;
    this.open.delete(shardId);
    const encoded = open.aggregator.build()!;
    const range = this.ranges.find((r) => r.shard.shardId === shardId)!;
    return {
      data: encoded.data,
      partitionKey: open.firstKey,
      explicitHashKey: range.shard.startingHashKey,
      userRecords: open.userRecords,
      valid: open.valid,
    };
  }

  private shardFor(partitionKey: string): ShardRange {
    const hash = BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
    for (const r of this.ranges) if (hash >= r.start && hash <= r.end) return r.shard;
    return this.ranges[this.ranges.length - 1].shard;
  }
}
