/**
 * Aggregates table layout, shared by the stack, the aggregator and the dashboard API.
 *
 * - Table key: `pk` = `<type>#<key>`, `sk` = window start (ISO-8601 UTC): one key over time.
 * - Index `byType`: `typeShard` = `<type>#<nn>`, `windowKey` = `<windowStart>#<key>`: all keys of a
 *   type over a time range, read as TYPE_INDEX_SHARDS parallel Queries. The shard spreads a type's
 *   writes over several index partitions, so no partition takes every write of a type.
 *
 * `type` cannot contain `#` (see TYPE_PATTERN), which keeps the composite keys unambiguous.
 */
export const AGGREGATE_ATTR = {
  pk: 'pk',
  sk: 'sk',
  typeShard: 'typeShard',
  windowKey: 'windowKey',
  type: 'type',
  key: 'key',
  windowStart: 'windowStart',
  count: 'count',
  sum: 'sum',
  min: 'min',
  max: 'max',
  expiresAt: 'expiresAt',
} as const;

export const BY_TYPE_INDEX = 'byType';

/**
 * The partition listing the event types seen, one item per type (`sk` = type, `lastSeen`), so that
 * a dashboard can offer the types with a Query. Aggregate `pk`s always contain `#`, so it cannot
 * collide, and it has no `typeShard`, so the `byType` index leaves it out.
 */
export const TYPES_PARTITION = 'types';
export const TYPE_LAST_SEEN = 'lastSeen';
export const TYPE_INDEX_SHARDS = 16;
export const DEFAULT_WINDOW_SECONDS = 60;

/** One aggregate as readers see it: the dashboard API's item, and the load generator's expect file. */
export interface AggregateRow {
  readonly key: string;
  /** ISO-8601 UTC. */
  readonly windowStart: string;
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
}

/** Attributes the `byType` index projects, besides its keys: exactly what the dashboard reads. */
export const BY_TYPE_PROJECTION = [
  AGGREGATE_ATTR.type,
  AGGREGATE_ATTR.key,
  AGGREGATE_ATTR.windowStart,
  AGGREGATE_ATTR.count,
  AGGREGATE_ATTR.sum,
  AGGREGATE_ATTR.min,
  AGGREGATE_ATTR.max,
];

/** Per-shard watermark attribute: the last applied `<sequence>.<sub-sequence>` of that shard. */
export function watermarkAttribute(shardId: string): string {
  return `wm:${shardId}`;
}

export function partitionKey(type: string, key: string): string {
  return `${type}#${key}`;
}

/** FNV-1a over UTF-16 code units: cheap, stable across runtimes, and well spread for short keys. */
export function typeShardOf(type: string, key: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  const shard = (hash >>> 0) % TYPE_INDEX_SHARDS;
  return `${type}#${shard < 10 ? '0' : ''}${shard}`;
}

export function typeShards(type: string): string[] {
  return Array.from({ length: TYPE_INDEX_SHARDS }, (_, i) => `${type}#${String(i).padStart(2, '0')}`);
}

export function windowKey(windowStartIso: string, key: string): string {
  return `${windowStartIso}#${key}`;
}
