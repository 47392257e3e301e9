import { EVENT_LIMITS, TYPE_PATTERN, parseIsoTimestamp } from '../lambda/shared/event-schema';
import type { AggregateRow, TypeRow } from './aggregates-reader';

export interface Reader {
  aggregates(
    type: string,
    fromIso: string,
    toIso: string,
    key?: string,
  ): Promise<{ items: AggregateRow[]; truncated: boolean }>;
  types(): Promise<TypeRow[]>;
}

/** Pipeline figures that are not aggregates: where they come from depends on local or deployed mode. */
export interface PipelineStats {
  /** Poison records in the dead-letter store. */
  readonly poisonRecords: number | null;
  /** Put-to-visible-aggregate lag over the last minute, ms. */
  readonly lagMs: { readonly p50: number; readonly p99: number } | null;
  /** Batches that exhausted their retries and went to the on-failure destination. */
  readonly failedBatches: number | null;
}

export interface ApiContext {
  readonly reader: Reader;
  readonly windowSeconds: number;
  readonly mode: 'local' | 'aws';
  readonly tableName: string;
  readonly stats?: () => Promise<PipelineStats>;
  readonly now?: () => number;
}

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
}

class BadRequest extends Error {}

/** Longest range one /api/aggregates call may read: it bounds the Query work of one request. */
export const MAX_RANGE_MS = 7 * 86_400_000;

function param(query: URLSearchParams, name: string): string | undefined {
  const value = query.get(name);
  return value === null || value === '' ? undefined : value;
}

function requireType(query: URLSearchParams): string {
  const type = param(query, 'type');
  if (type === undefined) throw new BadRequest('type: required');
  if (!TYPE_PATTERN.test(type)) throw new BadRequest(`type: must match ${TYPE_PATTERN.source}`);
  return type;
}

function isoParam(query: URLSearchParams, name: string): number {
  const raw = param(query, name);
  if (raw === undefined) throw new BadRequest(`${name}: required, ISO-8601 with an offset`);
  const ms = parseIsoTimestamp(raw);
  if (ms === undefined) throw new BadRequest(`${name}: must be ISO-8601 with an offset, e.g. 2026-11-23T09:44:00Z`);
  return ms;
}

function intParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = param(query, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new BadRequest(`${name}: must be an integer from ${min} to ${max}`);
  return value;
}

async function aggregates(ctx: ApiContext, query: URLSearchParams): Promise<ApiResponse> {
  const type = requireType(query);
  const from = isoParam(query, 'from');
  const to = isoParam(query, 'to');
  if (to <= from) throw new BadRequest('to: must be later than from');
  if (to - from > MAX_RANGE_MS) throw new BadRequest('to: the range may span at most 7 days');
  const key = param(query, 'key');
  if (key !== undefined && key.length > EVENT_LIMITS.keyMaxLength)
    throw new BadRequest(`key: at most ${EVENT_LIMITS.keyMaxLength} characters`);
  const { items, truncated } = await ctx.reader.aggregates(
    type,
    new Date(from).toISOString(),
    new Date(to).toISOString(),
    key,
  );
  return { status: 200, body: { type, windowSeconds: ctx.windowSeconds, items, ...(truncated ? { truncated } : {}) } };
}

async function top(ctx: ApiContext, query: URLSearchParams): Promise<ApiResponse> {
  const type = requireType(query);
  const minutes = intParam(query, 'minutes', 5, 1, 1_440);
  const limit = intParam(query, 'limit', 10, 1, 100);
  const by = param(query, 'by') ?? 'count';
  if (by !== 'count' && by !== 'sum') throw new BadRequest('by: must be count or sum');
  const width = ctx.windowSeconds * 1000;
  const now = (ctx.now ?? Date.now)();
  // The windows that overlap the last N minutes, the open one included.
  const to = Math.floor(now / width) * width + width;
  const from = Math.floor((now - minutes * 60_000) / width) * width;
  const { items } = await ctx.reader.aggregates(type, new Date(from).toISOString(), new Date(to).toISOString());
  const byKey = new Map<string, { key: string; count: number; sum: number; min: number; max: number }>();
  for (const i of items) {
    const k = byKey.get(i.key);
    if (k === undefined) byKey.set(i.key, { key: i.key, count: i.count, sum: i.sum, min: i.min, max: i.max });
    else {
      k.count += i.count;
      k.sum += i.sum;
      k.min = Math.min(k.min, i.min);
      k.max = Math.max(k.max, i.max);
    }
  }
  const ranked = [...byKey.values()].sort((a, b) => b[by] - a[by] || (a.key < b.key ? -1 : 1)).slice(0, limit);
  return { status: 200, body: { type, minutes, by, items: ranked } };
}

/** Routes one API request. Errors in parameters are 400s naming the parameter; nothing else throws. */
export async function handleApi(ctx: ApiContext, path: string, query: URLSearchParams): Promise<ApiResponse> {
  try {
    switch (path) {
      case '/api/health':
        return {
          status: 200,
          body: { ok: true, mode: ctx.mode, table: ctx.tableName, windowSeconds: ctx.windowSeconds },
        };
      case '/api/types':
        return { status: 200, body: { types: await ctx.reader.types() } };
      case '/api/aggregates':
        return await aggregates(ctx, query);
      case '/api/top':
        return await top(ctx, query);
      case '/api/stats':
        return {
          status: 200,
          body: ctx.stats === undefined ? { poisonRecords: null, lagMs: null, failedBatches: null } : await ctx.stats(),
        };
      default:
        return { status: 404, body: { error: `no such endpoint: ${path}` } };
    }
  } catch (error) {
    if (error instanceof BadRequest) return { status: 400, body: { error: error.message } };
    return { status: 502, body: { error: `reading the aggregates failed: ${(error as Error).message}` } };
  }
}
