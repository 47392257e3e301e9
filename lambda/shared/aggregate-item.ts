import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { BY_KEY } from './declarations';

/**
 * Aggregates table layout, shared by the stack, the aggregator and the readers.
 *
 * One item per (aggregate, group, window size, window start):
 * - `pk` = `<aggregate>#<window>#<UTC day>#<nn>`: the aggregate's items of one day, spread over
 *   `partitionsOf` write partitions by a hash of the group (a total, `groupBy: []`, has one);
 * - `sk` = `<windowStart>#<group as a JSON array>`: a time range of every group is one Query per
 *   partition and day, and a window start's groups sit together.
 *
 * Every item also carries plain attributes readers use without parsing keys: `aggregate`, `window`,
 * `windowStart`, each groupBy field under its own name (a string, or NULL for a missing attribute),
 * each exact measure as a number, sketches as binary. Declaration and measure names cannot hold `#`.
 */
export const AGGREGATE_ATTR = {
  pk: 'pk',
  sk: 'sk',
  aggregate: 'aggregate',
  window: 'window',
  windowStart: 'windowStart',
  expiresAt: 'expiresAt',
  /** Sketch items only: bumped by every write, which is conditional on the version read. */
  version: 'version',
  /**
   * When `npm run backfill` last replaced the item from the archive. Redrive leaves such an item
   * alone: the window was closed when it was recomputed, so the archive held every record of it.
   */
  backfilledAt: 'backfilledAt',
  /** The optional `byType` index over `by_key` items. */
  typeShard: 'typeShard',
  windowKey: 'windowKey',
  type: 'type',
  key: 'key',
  count: 'count',
  sum: 'sum',
  min: 'min',
  max: 'max',
} as const;

/** Write partitions per aggregate, window size and day when it has groups. */
export const GROUP_PARTITIONS = 16;
const DAY_MS = 86_400_000;

export function partitionsOf(groupBy: readonly string[]): number {
  return groupBy.length === 0 ? 1 : GROUP_PARTITIONS;
}

/** FNV-1a over UTF-16 code units: cheap, stable across runtimes, and well spread for short strings. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export function groupJson(group: readonly (string | null)[]): string {
  return JSON.stringify(group);
}

export function dayOf(windowStartMs: number): string {
  return new Date(Math.floor(windowStartMs / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

export function partitionKey(aggregate: string, window: string, day: string, partition: number): string {
  return `${aggregate}#${window}#${day}#${String(partition).padStart(2, '0')}`;
}

export function itemKey(
  aggregate: string,
  window: string,
  groupBy: readonly string[],
  windowStartMs: number,
  group: readonly (string | null)[],
): { pk: string; sk: string } {
  const json = groupJson(group);
  const partition = fnv1a(json) % partitionsOf(groupBy);
  return {
    pk: partitionKey(aggregate, window, dayOf(windowStartMs), partition),
    sk: `${new Date(windowStartMs).toISOString()}#${json}`,
  };
}

/** The UTC days a time range touches, as `dayOf` writes them. */
export function daysBetween(fromMs: number, toMs: number): string[] {
  const days: string[] = [];
  for (let d = Math.floor(fromMs / DAY_MS) * DAY_MS; d < toMs; d += DAY_MS) days.push(dayOf(d));
  return days;
}

/** Group attributes as stored: a string, or NULL for a missing attribute. */
/** What an item's plain attributes are made of: its declaration's window, group and start. */
export interface ItemPlace {
  readonly aggregate: {
    readonly name: string;
    readonly groupBy: readonly string[];
    readonly windowsMs: readonly number[];
    readonly declaration: { readonly windows: readonly string[] };
  };
  /** Index into the declaration's windows. */
  readonly window: number;
  readonly windowStartMs: number;
  readonly group: readonly (string | null)[];
}

/**
 * The attributes readers use and the TTL, as every writer of an item sets them (the aggregator
 * live and on redrive, and backfill), and the `byType` index's keys on `by_key` items when asked.
 */
export function plainAttributes(
  place: ItemPlace,
  options: { readonly ttlDays: number; readonly byTypeIndex?: boolean },
): Record<string, AttributeValue> {
  const a = place.aggregate;
  const windowStart = new Date(place.windowStartMs).toISOString();
  const attributes: Record<string, AttributeValue> = {
    [AGGREGATE_ATTR.aggregate]: { S: a.name },
    [AGGREGATE_ATTR.window]: { S: a.declaration.windows[place.window] },
    [AGGREGATE_ATTR.windowStart]: { S: windowStart },
    ...groupAttributes(a.groupBy, place.group),
    [AGGREGATE_ATTR.expiresAt]: {
      N: String(Math.floor((place.windowStartMs + a.windowsMs[place.window]) / 1000) + options.ttlDays * 86_400),
    },
  };
  if (options.byTypeIndex === true && a.name === BY_KEY) {
    const type = place.group[a.groupBy.indexOf('type')];
    const key = place.group[a.groupBy.indexOf('key')];
    if (typeof type === 'string' && typeof key === 'string') {
      attributes[AGGREGATE_ATTR.typeShard] = { S: typeShardOf(type, key) };
      attributes[AGGREGATE_ATTR.windowKey] = { S: windowKey(windowStart, key) };
    }
  }
  return attributes;
}

export function groupAttributes(
  groupBy: readonly string[],
  group: readonly (string | null)[],
): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  groupBy.forEach((field, i) => {
    const v = group[i];
    out[field] = v === null ? { NULL: true } : { S: v };
  });
  return out;
}

/**
 * Per-shard watermark attribute: the last applied record of that shard, as `watermarkOf` writes it.
 * `shardId-000000000007` becomes `w:7`, so that an item every shard writes stays small.
 */
export function watermarkAttribute(shardId: string): string {
  const m = /^shardId-0*(\d+)$/.exec(shardId);
  return m === null ? `w:${shardId}` : `w:${m[1] === '' ? '0' : m[1]}`;
}

export const BY_TYPE_INDEX = 'byType';
export const TYPE_INDEX_SHARDS = 16;

/** The partition listing the event types seen, one item per type (`sk` = type, `lastSeen`). */
export const TYPES_PARTITION = 'types';
export const TYPE_LAST_SEEN = 'lastSeen';
export const DEFAULT_WINDOW_SECONDS = 60;

/** One v1 aggregate as readers see it: the dashboard API's v1 item, and the v1 expect file. */
export interface AggregateRow {
  readonly key: string;
  /** ISO-8601 UTC. */
  readonly windowStart: string;
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
}

/** Attributes the optional `byType` index projects, besides its keys: what the v1 reader reads. */
export const BY_TYPE_PROJECTION = [
  AGGREGATE_ATTR.type,
  AGGREGATE_ATTR.key,
  AGGREGATE_ATTR.windowStart,
  AGGREGATE_ATTR.count,
  AGGREGATE_ATTR.sum,
  AGGREGATE_ATTR.min,
  AGGREGATE_ATTR.max,
];

export function typeShardOf(type: string, key: string): string {
  const shard = fnv1a(key) % TYPE_INDEX_SHARDS;
  return `${type}#${shard < 10 ? '0' : ''}${shard}`;
}

export function typeShards(type: string): string[] {
  return Array.from({ length: TYPE_INDEX_SHARDS }, (_, i) => `${type}#${String(i).padStart(2, '0')}`);
}

export function windowKey(windowStartIso: string, key: string): string {
  return `${windowStartIso}#${key}`;
}
