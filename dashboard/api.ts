import { AGGREGATE_ATTR as A } from '../lambda/shared/aggregate-item';
import {
  type AggregateDeclaration,
  BY_KEY,
  type Declarations,
  EXACT_OPS,
  type MeasureOp,
  findAggregate,
  toJson,
} from '../lambda/shared/declarations';
import { EVENT_LIMITS, TYPE_PATTERN, parseIsoTimestamp } from '../lambda/shared/event-schema';
import { type AnswerOptions, MEASURES } from '../lambda/shared/measures';
import type { AggregateRow, GroupFilter, Item, ReadResult, TypeRow } from './aggregates-reader';

export interface Reader {
  items(
    aggregate: AggregateDeclaration,
    window: string,
    fromMs: number,
    toMs: number,
    filter?: GroupFilter,
  ): Promise<ReadResult>;
  v1Rows(
    byKey: AggregateDeclaration,
    type: string,
    fromMs: number,
    toMs: number,
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

/** Local mode's fault injection (operations contract); absent against a deployed stack. */
export interface FaultControl {
  get(): { dynamodbWriteFailRate: number };
  set(rate: number): void;
}

export interface ApiContext {
  readonly reader: Reader;
  readonly declarations: Declarations;
  readonly mode: 'local' | 'aws';
  readonly tableName: string;
  readonly stats?: () => Promise<PipelineStats>;
  readonly faults?: FaultControl;
  readonly now?: () => number;
}

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
}

class BadRequest extends Error {}
class NotFound extends Error {}

/** Longest range one /api/aggregates call may read: it bounds the Query work of one request. */
export const MAX_RANGE_MS = 7 * 86_400_000;

/** Query parameters that are not group filters. */
const V2_PARAMS = new Set(['aggregate', 'window', 'from', 'to', 'q']);

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

function rangeParams(query: URLSearchParams): { from: number; to: number } {
  const from = isoParam(query, 'from');
  const to = isoParam(query, 'to');
  if (to <= from) throw new BadRequest('to: must be later than from');
  if (to - from > MAX_RANGE_MS) throw new BadRequest('to: the range may span at most 7 days');
  return { from, to };
}

function intParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = param(query, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new BadRequest(`${name}: must be an integer from ${min} to ${max}`);
  return value;
}

function aggregateParam(ctx: ApiContext, query: URLSearchParams): { aggregate: AggregateDeclaration; window: string } {
  const name = param(query, 'aggregate');
  if (name === undefined) throw new BadRequest('aggregate: required');
  const aggregate = findAggregate(ctx.declarations, name);
  if (aggregate === undefined) {
    throw new BadRequest(
      `aggregate: no declaration "${name}"; declared: ${ctx.declarations.aggregates.map((a) => a.name).join(', ')}`,
    );
  }
  const window = param(query, 'window') ?? aggregate.windows[0];
  if (!aggregate.windows.includes(window)) {
    throw new BadRequest(`window: "${name}" is declared with ${aggregate.windows.join(', ')}, not "${window}"`);
  }
  return { aggregate, window };
}

function quantilesParam(query: URLSearchParams): number[] | undefined {
  const raw = param(query, 'q');
  if (raw === undefined) return undefined;
  const qs = raw.split(',').map(Number);
  if (qs.length > 20 || qs.some((q) => !(q >= 0 && q <= 1))) {
    throw new BadRequest('q: must be up to 20 comma-separated quantiles from 0 to 1, e.g. 0.5,0.99,0.999');
  }
  return qs;
}

function groupFilter(aggregate: AggregateDeclaration, query: URLSearchParams, ignore: Set<string>): GroupFilter {
  const filter: Record<string, string> = {};
  for (const [name, value] of query) {
    if (ignore.has(name)) continue;
    if (!aggregate.groupBy.includes(name)) {
      throw new BadRequest(
        `${name}: not a parameter, nor a group field of "${aggregate.name}" (${aggregate.groupBy.join(', ') || 'no groups'})`,
      );
    }
    if (value.length > EVENT_LIMITS.keyMaxLength) {
      throw new BadRequest(`${name}: at most ${EVENT_LIMITS.keyMaxLength} characters`);
    }
    filter[name] = value;
  }
  return filter;
}

/** The states an item holds, one per measure (undefined while the item holds none). */
function loadStates(aggregate: AggregateDeclaration, item: Item): Map<string, unknown> {
  const states = new Map<string, unknown>();
  for (const [name, m] of Object.entries(aggregate.measures)) states.set(name, MEASURES[m.op].load(name, item, m));
  return states;
}

function answers(
  aggregate: AggregateDeclaration,
  states: Map<string, unknown>,
  options: AnswerOptions,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, m] of Object.entries(aggregate.measures)) {
    out[name] = MEASURES[m.op].answer(states.get(name), options);
  }
  return out;
}

function groupOf(aggregate: AggregateDeclaration, item: Item): Record<string, string | null> {
  const group: Record<string, string | null> = {};
  for (const field of aggregate.groupBy) group[field] = item[field]?.S ?? null;
  return group;
}

async function aggregatesV2(ctx: ApiContext, query: URLSearchParams): Promise<ApiResponse> {
  const { aggregate, window } = aggregateParam(ctx, query);
  const { from, to } = rangeParams(query);
  const options = { quantiles: quantilesParam(query) };
  const filter = groupFilter(aggregate, query, V2_PARAMS);
  const { items, truncated } = await ctx.reader.items(aggregate, window, from, to, filter);
  return {
    status: 200,
    body: {
      aggregate: aggregate.name,
      window,
      items: items.map((item) => ({
        group: groupOf(aggregate, item),
        windowStart: item[A.windowStart]?.S ?? '',
        measures: answers(aggregate, loadStates(aggregate, item), options),
      })),
      ...(truncated ? { truncated } : {}),
    },
  };
}

/** The windows that overlap the last N minutes, the open one included. */
function recentRange(ctx: ApiContext, minutes: number, widthMs: number): { from: number; to: number } {
  const now = (ctx.now ?? Date.now)();
  return {
    from: Math.floor((now - minutes * 60_000) / widthMs) * widthMs,
    to: Math.floor(now / widthMs) * widthMs + widthMs,
  };
}

async function topV2(ctx: ApiContext, query: URLSearchParams): Promise<ApiResponse> {
  const { aggregate, window } = aggregateParam(ctx, query);
  const minutes = intParam(query, 'minutes', 5, 1, 10_080);
  const limit = intParam(query, 'limit', 10, 1, 1_000);
  const exact = Object.entries(aggregate.measures).filter(([, m]) => EXACT_OPS.includes(m.op));
  const by = param(query, 'by') ?? exact[0]?.[0];
  if (by === undefined || !exact.some(([name]) => name === by)) {
    throw new BadRequest(
      `by: must name an exact measure of "${aggregate.name}": ${exact.map(([name]) => name).join(', ') || 'it has none'}`,
    );
  }
  const options = { quantiles: quantilesParam(query) };
  const filter = groupFilter(aggregate, query, new Set([...V2_PARAMS, 'minutes', 'limit', 'by']));
  const widthMs = aggregate.windowSeconds[aggregate.windows.indexOf(window)] * 1000;
  const { from, to } = recentRange(ctx, minutes, widthMs);
  const { items } = await ctx.reader.items(aggregate, window, from, to, filter);
  // Measures merge across windows: counts and sums add, extremes keep the extreme, sketches merge.
  const byGroup = new Map<string, { group: Record<string, string | null>; states: Map<string, unknown> }>();
  for (const item of items) {
    const group = groupOf(aggregate, item);
    const id = JSON.stringify(aggregate.groupBy.map((f) => group[f]));
    const states = loadStates(aggregate, item);
    const known = byGroup.get(id);
    if (known === undefined) {
      byGroup.set(id, { group, states });
      continue;
    }
    for (const [name, m] of Object.entries(aggregate.measures)) {
      const a = known.states.get(name);
      const b = states.get(name);
      known.states.set(name, a === undefined ? b : b === undefined ? a : mergeOrNewer(m.op, a, b));
    }
  }
  const ranked = [...byGroup.entries()]
    .map(([id, g]) => ({ id, group: g.group, measures: answers(aggregate, g.states, options) }))
    .sort((a, b) => {
      const x = a.measures[by] as number | null;
      const y = b.measures[by] as number | null;
      return (y ?? -Infinity) - (x ?? -Infinity) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    })
    .slice(0, limit)
    .map(({ group, measures }) => ({ group, measures }));
  return { status: 200, body: { aggregate: aggregate.name, window, minutes, by, items: ranked } };
}

/**
 * Two windows' states of a measure merged. Sketches made before `k` or `relativeAccuracy` changed
 * cannot merge with later ones; the later window's state then stands for both.
 */
function mergeOrNewer(op: MeasureOp, a: unknown, b: unknown): unknown {
  try {
    return MEASURES[op].merge(a, b);
  } catch {
    return b;
  }
}

function byKey(ctx: ApiContext): AggregateDeclaration {
  const aggregate = findAggregate(ctx.declarations, BY_KEY);
  const measures = aggregate === undefined ? [] : Object.keys(aggregate.measures);
  if (
    aggregate === undefined ||
    !aggregate.groupBy.includes('type') ||
    !aggregate.groupBy.includes('key') ||
    !['count', 'sum', 'min', 'max'].every((m) => measures.includes(m))
  ) {
    throw new NotFound(
      `the v1 calls read the "${BY_KEY}" declaration (groupBy type and key; count, sum, min, max), and the declarations have none; use ?aggregate=NAME`,
    );
  }
  return aggregate;
}

async function aggregatesV1(ctx: ApiContext, query: URLSearchParams): Promise<ApiResponse> {
  const declaration = byKey(ctx);
  const type = requireType(query);
  const { from, to } = rangeParams(query);
  const key = param(query, 'key');
  if (key !== undefined && key.length > EVENT_LIMITS.keyMaxLength)
    throw new BadRequest(`key: at most ${EVENT_LIMITS.keyMaxLength} characters`);
  const { items, truncated } = await ctx.reader.v1Rows(declaration, type, from, to, key);
  return {
    status: 200,
    body: { type, windowSeconds: declaration.windowSeconds[0], items, ...(truncated ? { truncated } : {}) },
  };
}

async function topV1(ctx: ApiContext, query: URLSearchParams): Promise<ApiResponse> {
  const declaration = byKey(ctx);
  const type = requireType(query);
  const minutes = intParam(query, 'minutes', 5, 1, 1_440);
  const limit = intParam(query, 'limit', 10, 1, 100);
  const by = param(query, 'by') ?? 'count';
  if (by !== 'count' && by !== 'sum') throw new BadRequest('by: must be count or sum');
  const { from, to } = recentRange(ctx, minutes, declaration.windowSeconds[0] * 1000);
  const { items } = await ctx.reader.v1Rows(declaration, type, from, to);
  const totals = new Map<string, { key: string; count: number; sum: number; min: number; max: number }>();
  for (const i of items) {
    const k = totals.get(i.key);
    if (k === undefined) totals.set(i.key, { key: i.key, count: i.count, sum: i.sum, min: i.min, max: i.max });
    else {
      k.count += i.count;
      k.sum += i.sum;
      k.min = Math.min(k.min, i.min);
      k.max = Math.max(k.max, i.max);
    }
  }
  const ranked = [...totals.values()].sort((a, b) => b[by] - a[by] || (a.key < b.key ? -1 : 1)).slice(0, limit);
  return { status: 200, body: { type, minutes, by, items: ranked } };
}

/** v2 calls name a declaration or a window; v1 calls name neither. */
function isV2(query: URLSearchParams): boolean {
  return query.has('aggregate') || query.has('window');
}

function faults(ctx: ApiContext, method: string, body: unknown): ApiResponse {
  if (ctx.faults === undefined) throw new NotFound('no such endpoint: /api/local/faults (local mode only)');
  if (method === 'POST') {
    const rate = (body as { dynamodbWriteFailRate?: unknown } | null)?.dynamodbWriteFailRate;
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
      throw new BadRequest('dynamodbWriteFailRate: required, a number from 0 to 1');
    }
    ctx.faults.set(rate);
  }
  return { status: 200, body: ctx.faults.get() };
}

/**
 * Routes one API request. Errors in parameters are 400s naming the parameter; nothing else throws.
 * `body` is the parsed JSON body of a POST.
 */
export async function handleApi(
  ctx: ApiContext,
  path: string,
  query: URLSearchParams,
  method = 'GET',
  body?: unknown,
): Promise<ApiResponse> {
  try {
    if (method !== 'GET' && path !== '/api/local/faults') {
      return { status: 405, body: { error: 'method: only GET' } };
    }
    switch (path) {
      case '/api/health': {
        const v1 = findAggregate(ctx.declarations, BY_KEY);
        return {
          status: 200,
          body: {
            ok: true,
            mode: ctx.mode,
            table: ctx.tableName,
            ...(v1 === undefined ? {} : { windowSeconds: v1.windowSeconds[0] }),
          },
        };
      }
      case '/api/definitions':
        return { status: 200, body: toJson(ctx.declarations) };
      case '/api/types':
        return { status: 200, body: { types: await ctx.reader.types() } };
      case '/api/aggregates':
        return await (isV2(query) ? aggregatesV2(ctx, query) : aggregatesV1(ctx, query));
      case '/api/top':
        return await (isV2(query) ? topV2(ctx, query) : topV1(ctx, query));
      case '/api/stats':
        return {
          status: 200,
          body: ctx.stats === undefined ? { poisonRecords: null, lagMs: null, failedBatches: null } : await ctx.stats(),
        };
      case '/api/local/faults':
        return faults(ctx, method, body);
      default:
        return { status: 404, body: { error: `no such endpoint: ${path}` } };
    }
  } catch (error) {
    if (error instanceof BadRequest) return { status: 400, body: { error: error.message } };
    if (error instanceof NotFound) return { status: 404, body: { error: error.message } };
    return { status: 502, body: { error: `reading the aggregates failed: ${(error as Error).message}` } };
  }
}
