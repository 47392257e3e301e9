import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { AGGREGATE_ATTR as A } from '../lambda/shared/aggregate-item';
import { windowStart } from '../lambda/shared/aggregate-plan';
import {
  type AggregateDeclaration,
  BY_KEY,
  DEFAULT_RELATIVE_ACCURACY,
  DEFAULT_TOP_K,
  type Declarations,
  type MeasureDeclaration,
  findAggregate,
} from '../lambda/shared/declarations';
import { SUM_DECIMALS } from '../lambda/shared/event-schema';
import { MEASURES } from '../lambda/shared/measures';
import {
  EXPECTED_QUANTILES,
  type ExpectFileV1,
  type ExpectFileV2,
  type ExpectedAggregate,
  type ExpectedAggregateItem,
  type ExpectedMeasure,
  type ExpectedQuantiles,
  type ExpectedTop,
  hasV1Shape,
} from '../loadgen/expect';
import { UsageError } from '../loadgen/options';

export type StoredItem = Readonly<Record<string, AttributeValue>>;

/** What verify holds the table against: a v2 file as written, or a v1 file read as `by_key`. */
export interface Expectation {
  readonly version: 1 | 2;
  readonly events: number;
  readonly aggregates: readonly ExpectedAggregate[];
  /** Window starts to read, per aggregate and window size; absent when nothing was expected. */
  readonly ranges: ReadonlyMap<string, { readonly fromMs: number; readonly toMs: number }>;
  /**
   * Whether a stored item the file does not expect is a mismatch. A v1 file was checked for its
   * own items only, and still is.
   */
  readonly extras: boolean;
}

export interface MeasureMismatch {
  readonly measure: string;
  readonly expected: ExpectedMeasure;
  readonly found: unknown;
  /** What is wrong, in words. */
  readonly problem: string;
}

export interface Mismatch {
  readonly aggregate: string;
  readonly window: string;
  readonly windowStart: string;
  readonly group: Readonly<Record<string, string | null>>;
  /** `missing`: expected, not stored; `extra`: stored, not expected; `different`: see `measures`. */
  readonly kind: 'missing' | 'extra' | 'different';
  readonly measures: readonly MeasureMismatch[];
  /** Events of the group and window the file expects (missing and different items). */
  readonly events?: number;
  /** More is stored than happened: waiting cannot fix it. */
  readonly overshoot: boolean;
}

export interface AggregateSummary {
  readonly aggregate: string;
  readonly window: string;
  /** Items checked: the expected ones, and stored ones the file does not expect. */
  readonly checked: number;
  readonly expected: number;
  readonly matched: number;
  readonly mismatches: number;
  /** The read stopped at its limit: some stored items were not compared. */
  readonly truncated: boolean;
}

export interface Comparison {
  /** Expected items, over every aggregate and window size. */
  readonly items: number;
  readonly matched: number;
  readonly aggregates: readonly AggregateSummary[];
  readonly mismatches: readonly Mismatch[];
}

/** HyperLogLog with 2^12 registers: relative standard error 1.04/√4096. */
export const HLL_STANDARD_ERROR = 1.04 / Math.sqrt(4096);
/** Standard errors a distinct estimate may be off: a false alarm on a correct run must be practically impossible. */
export const HLL_SIGMAS = 5;
/** Relative error allowed on sums and averages beyond the rounding the store does. */
export const SUM_RELATIVE = 1e-6;
export const AVG_RELATIVE = 1e-9;
/** The store rounds each batch's sum to SUM_DECIMALS places: at most one such step per event. */
const SUM_STEP = 10 ** -SUM_DECIMALS;
/** Floating-point slack on a sketch's relative accuracy, far below any accuracy a declaration may ask. */
const ACCURACY_SLACK = 1e-12;

/**
 * A stored sum against the exact one. Each batch's sum is rounded to SUM_DECIMALS places before it is
 * added, so beyond the relative tolerance the stored total may be off by one step per batch, and a
 * group never has more batches than events.
 */
export function sumAgrees(expected: number, found: number, events: number): boolean {
  return Math.abs(found - expected) <= SUM_RELATIVE * Math.abs(expected) + events * SUM_STEP;
}

/** An average is a stored sum over a count: the per-batch rounding, spread over the events, is at most one step. */
export function avgAgrees(expected: number, found: number): boolean {
  return Math.abs(found - expected) <= AVG_RELATIVE * Math.abs(expected) + SUM_STEP;
}

/** The most a distinct estimate may be off the true count. */
export function distinctTolerance(truth: number): number {
  return Math.max(2, HLL_SIGMAS * HLL_STANDARD_ERROR * truth);
}

export function distinctAgrees(truth: number, estimate: number): boolean {
  return Math.abs(estimate - truth) <= distinctTolerance(truth);
}

/**
 * A quantile answer against the exact values at the two nearest-rank conventions: within the relative
 * accuracy of some value between them. Bounds move by α|x|, so negative values widen the right way.
 */
export function quantileAgrees(
  candidates: readonly [number, number],
  answer: number,
  relativeAccuracy: number,
): boolean {
  const alpha = relativeAccuracy + ACCURACY_SLACK;
  const low = Math.min(...candidates);
  const high = Math.max(...candidates);
  return answer >= low - alpha * Math.abs(low) && answer <= high + alpha * Math.abs(high);
}

/**
 * What is wrong with a stored top-K list, against the exact counts: every value whose true count
 * exceeds total/k must be listed, and each listed count must be at least its truth and at most total/k
 * above it. A listed value the file does not keep has a truth no higher than the smallest kept count
 * (or 0 when the file keeps every value), so only its upper bound can be checked.
 */
export function topKProblems(
  truth: ExpectedTop,
  listed: readonly { readonly value: string; readonly count: number }[],
  k: number,
): string[] {
  const problems: string[] = [];
  const slack = truth.total / k;
  const found = new Map(listed.map((e) => [e.value, e.count]));
  const exact = new Map(truth.top.map((e) => [e.value, e.count]));
  for (const { value, count } of truth.top) {
    if (count > slack && !found.has(value)) {
      problems.push(`"${value}" (true count ${count} > total/k ${fmt(slack)}) is not listed`);
    }
  }
  const complete = truth.top.length >= truth.distinctValues;
  const ceiling = complete ? 0 : Math.min(...truth.top.map((e) => e.count));
  for (const { value, count } of listed) {
    const t = exact.get(value);
    if (t !== undefined) {
      if (count < t || count > t + slack) {
        problems.push(`"${value}" listed with ${count}, true count ${t} (allowed ${t}..${fmt(t + slack)})`);
      }
    } else if (count > ceiling + slack) {
      problems.push(
        `"${value}" listed with ${count}, true count at most ${ceiling} (allowed up to ${fmt(ceiling + slack)})`,
      );
    }
  }
  return problems;
}

function fmt(n: number): string {
  return String(Number(n.toPrecision(10)));
}

function isNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

/** What is wrong with one measure's stored answer, or undefined when it agrees with the truth. */
export function measureProblem(
  declaration: MeasureDeclaration,
  expected: ExpectedMeasure,
  found: unknown,
  events: number,
): string | undefined {
  const wanted = (): string => `${JSON.stringify(expected)} expected, ${JSON.stringify(found) ?? 'nothing'} found`;
  switch (declaration.op) {
    case 'count':
    case 'min':
    case 'max':
      return found === expected ? undefined : wanted();
    case 'sum':
      return isNumber(found) && sumAgrees(expected as number, found, events) ? undefined : wanted();
    case 'avg':
      if (expected === null) return found === null ? undefined : wanted();
      return isNumber(found) && avgAgrees(expected as number, found) ? undefined : wanted();
    case 'distinct': {
      const truth = expected as number;
      if (isNumber(found) && distinctAgrees(truth, found)) return undefined;
      return `${truth} expected (±${fmt(distinctTolerance(truth))}), ${JSON.stringify(found) ?? 'nothing'} found`;
    }
    case 'quantiles': {
      const truth = expected as ExpectedQuantiles;
      const answers = (found ?? {}) as Record<string, unknown>;
      const alpha = declaration.relativeAccuracy ?? DEFAULT_RELATIVE_ACCURACY;
      const problems: string[] = [];
      for (const [label, value] of Object.entries(truth)) {
        if (label === 'n') continue;
        const pair = value as [number, number];
        const answer = answers[label];
        if (!isNumber(answer) || !quantileAgrees(pair, answer, alpha)) {
          const between = pair[0] === pair[1] ? fmt(pair[0]) : `${fmt(pair[0])}..${fmt(pair[1])}`;
          problems.push(`${label} ${JSON.stringify(answer) ?? 'nothing'} found, expected ${between} ±${alpha * 100}%`);
        }
      }
      if (truth.n === 0) {
        const stray = Object.entries(answers).filter(([, v]) => v !== null);
        if (stray.length > 0) problems.push(`no values expected, ${JSON.stringify(found)} found`);
      }
      return problems.length === 0 ? undefined : `${problems.join('; ')} (of ${truth.n} values)`;
    }
    case 'topK': {
      const truth = expected as ExpectedTop;
      if (!Array.isArray(found)) return `a list expected, ${JSON.stringify(found) ?? 'nothing'} found`;
      const problems = topKProblems(truth, found as { value: string; count: number }[], declaration.k ?? DEFAULT_TOP_K);
      return problems.length === 0 ? undefined : `${problems.join('; ')} (total ${truth.total})`;
    }
  }
}

function groupOf(declaration: AggregateDeclaration, item: StoredItem): Record<string, string | null> {
  const group: Record<string, string | null> = {};
  for (const field of declaration.groupBy) group[field] = item[field]?.S ?? null;
  return group;
}

function identity(
  declaration: AggregateDeclaration,
  windowStartIso: string,
  group: Record<string, string | null>,
): string {
  return `${windowStartIso}#${JSON.stringify(declaration.groupBy.map((f) => group[f] ?? null))}`;
}

/** Answers of a stored item, as the API gives them. */
function answersOf(
  declaration: AggregateDeclaration,
  names: readonly string[],
  item: StoredItem,
): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const name of names) {
    const m = declaration.measures[name];
    const kind = MEASURES[m.op];
    out.set(name, kind.answer(kind.load(name, item, m), { quantiles: EXPECTED_QUANTILES }));
  }
  return out;
}

/** One aggregate and window size: the expected items against the stored items read over its range. */
export function compareAggregate(
  expected: ExpectedAggregate,
  declaration: AggregateDeclaration,
  stored: readonly StoredItem[],
  options: { readonly extras: boolean; readonly truncated?: boolean },
): { summary: AggregateSummary; mismatches: Mismatch[] } {
  const byId = new Map<string, StoredItem>();
  for (const item of stored) {
    byId.set(identity(declaration, item[A.windowStart]?.S ?? '', groupOf(declaration, item)), item);
  }
  const names = Object.keys(expected.measures);
  const counts = new Set(names.filter((n) => declaration.measures[n].op === 'count'));
  const at = { aggregate: expected.name, window: expected.window };
  const mismatches: Mismatch[] = [];
  for (const e of expected.items) {
    const id = identity(declaration, e.windowStart, e.group);
    const item = byId.get(id);
    const where = { ...at, windowStart: e.windowStart, group: e.group, events: e.events };
    if (item === undefined) {
      mismatches.push({ ...where, kind: 'missing', measures: [], overshoot: false });
      continue;
    }
    byId.delete(id);
    const answers = answersOf(declaration, names, item);
    const wrong: MeasureMismatch[] = [];
    for (const name of names) {
      const found = answers.get(name);
      const problem = measureProblem(declaration.measures[name], e.measures[name], found, e.events);
      if (problem !== undefined) wrong.push({ measure: name, expected: e.measures[name], found, problem });
    }
    if (wrong.length > 0) {
      const overshoot = wrong.some(
        (w) => counts.has(w.measure) && typeof w.found === 'number' && w.found > (w.expected as number),
      );
      mismatches.push({ ...where, kind: 'different', measures: wrong, overshoot });
    }
  }
  let extra = 0;
  if (options.extras) {
    for (const item of byId.values()) {
      extra++;
      mismatches.push({
        ...at,
        windowStart: item[A.windowStart]?.S ?? '',
        group: groupOf(declaration, item),
        kind: 'extra',
        measures: [],
        overshoot: true,
      });
    }
  }
  return {
    summary: {
      ...at,
      checked: expected.items.length + extra,
      expected: expected.items.length,
      matched: expected.items.length - (mismatches.length - extra),
      mismatches: mismatches.length,
      truncated: options.truncated === true,
    },
    mismatches,
  };
}

export function combine(parts: readonly { summary: AggregateSummary; mismatches: Mismatch[] }[]): Comparison {
  return {
    items: parts.reduce((n, p) => n + p.summary.expected, 0),
    matched: parts.reduce((n, p) => n + p.summary.matched, 0),
    aggregates: parts.map((p) => p.summary),
    mismatches: parts.flatMap((p) => p.mismatches),
  };
}

/** Reads an expect file's JSON, naming what is wrong with it. */
export function parseExpectFile(text: string, name: string): ExpectFileV1 | ExpectFileV2 {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`--expect: ${name} is not JSON`);
  }
  const f = (parsed ?? {}) as Record<string, unknown>;
  if (f.version !== undefined && f.version !== 2) {
    throw new UsageError(`--expect: ${name} is version ${JSON.stringify(f.version)}; verify reads versions 1 and 2`);
  }
  if (f.version === 2) {
    if (typeof f.events !== 'number' || !Array.isArray(f.aggregates)) {
      throw new UsageError(`--expect: ${name} is not a load generator expect file (version 2: events, aggregates)`);
    }
    return f as unknown as ExpectFileV2;
  }
  if (typeof f.windowSeconds !== 'number' || !Array.isArray(f.items) || typeof f.events !== 'number') {
    throw new UsageError(`--expect: ${name} is not a load generator expect file (windowSeconds, events, items)`);
  }
  return f as unknown as ExpectFileV1;
}

function sameMeasure(a: MeasureDeclaration, b: MeasureDeclaration | undefined): boolean {
  return b !== undefined && a.op === b.op && a.of === b.of && a.relativeAccuracy === b.relativeAccuracy && a.k === b.k;
}

function widthMs(declaration: AggregateDeclaration, window: string): number {
  return declaration.windowSeconds[declaration.windows.indexOf(window)] * 1000;
}

/** The window starts an aggregate's items fall in, for the events' time span, or the items' own. */
function rangeOf(
  width: number,
  eventTime: ExpectFileV2['eventTime'],
  items: readonly ExpectedAggregateItem[],
): { fromMs: number; toMs: number } | undefined {
  let from: number;
  let to: number;
  if (eventTime !== undefined) {
    from = Date.parse(eventTime.from);
    to = Date.parse(eventTime.to);
  } else if (items.length > 0) {
    from = Math.min(...items.map((i) => Date.parse(i.windowStart)));
    to = Math.max(...items.map((i) => Date.parse(i.windowStart)));
  } else {
    return undefined;
  }
  return { fromMs: windowStart(from, width), toMs: windowStart(to, width) + width };
}

export function rangeKey(aggregate: string, window: string): string {
  return `${aggregate}#${window}`;
}

/**
 * The expect file checked against the declarations file: every aggregate it holds must be declared
 * there the same way, or the table was written under other declarations and no comparison means
 * anything. A v1 file is read as `by_key` rows.
 */
export function expectation(
  file: ExpectFileV1 | ExpectFileV2,
  declarations: Declarations,
  declarationsFile: string,
): Expectation {
  const declared = (name: string): AggregateDeclaration => {
    const d = findAggregate(declarations, name);
    if (d === undefined) {
      throw new UsageError(`--aggregates: ${declarationsFile} does not declare "${name}", which the expect file holds`);
    }
    return d;
  };
  const ranges = new Map<string, { fromMs: number; toMs: number }>();
  if (!('version' in file)) {
    const byKey = declared(BY_KEY);
    if (!hasV1Shape(byKey) || byKey.windowSeconds[0] !== file.windowSeconds) {
      throw new UsageError(
        `--aggregates: ${BY_KEY} in ${declarationsFile} is not the v1 aggregate of ${file.windowSeconds}s windows that this version 1 expect file holds`,
      );
    }
    const aggregate: ExpectedAggregate = {
      name: BY_KEY,
      window: byKey.windows[0],
      types: byKey.types,
      groupBy: byKey.groupBy,
      measures: {
        count: byKey.measures.count,
        sum: byKey.measures.sum,
        min: byKey.measures.min,
        max: byKey.measures.max,
      },
      items: file.items.map((i) => ({
        group: { type: i.type, key: i.key },
        windowStart: i.windowStart,
        events: i.count,
        measures: { count: i.count, sum: i.sum, min: i.min, max: i.max },
      })),
    };
    const range = rangeOf(file.windowSeconds * 1000, undefined, aggregate.items);
    if (range !== undefined) ranges.set(rangeKey(BY_KEY, aggregate.window), range);
    return { version: 1, events: file.events, aggregates: [aggregate], ranges, extras: false };
  }
  for (const e of file.aggregates) {
    const d = declared(e.name);
    const differs = (what: string): UsageError =>
      new UsageError(
        `--aggregates: "${e.name}" in ${declarationsFile} differs from the expect file's in ${what}; verify with the declarations the load ran with`,
      );
    if (!d.windows.includes(e.window)) throw differs(`windows (no ${e.window})`);
    if (JSON.stringify(d.groupBy) !== JSON.stringify(e.groupBy)) throw differs('groupBy');
    if (JSON.stringify(d.types) !== JSON.stringify(e.types)) throw differs('types');
    for (const [name, m] of Object.entries(e.measures)) {
      if (!sameMeasure(m, d.measures[name])) throw differs(`measures.${name}`);
    }
    const range = rangeOf(widthMs(d, e.window), file.eventTime, e.items);
    if (range !== undefined) ranges.set(rangeKey(e.name, e.window), range);
  }
  return { version: 2, events: file.events, aggregates: file.aggregates, ranges, extras: true };
}

function groupText(group: Readonly<Record<string, string | null>>): string {
  const parts = Object.entries(group).map(([f, v]) => `${f}=${v === null ? 'null' : v}`);
  return parts.length === 0 ? '(total)' : parts.join(' ');
}

export function describeMismatch(m: Mismatch): string {
  const where = `${m.aggregate} ${m.window} / ${groupText(m.group)} / ${m.windowStart}`;
  if (m.kind === 'missing') return `${where}: missing (expected ${m.events} events)`;
  if (m.kind === 'extra') return `${where}: stored, but no accepted event falls in it`;
  return `${where}: ${m.measures.map((w) => `${w.measure} ${w.problem}`).join('; ')}`;
}

export function describeSummary(s: AggregateSummary): string {
  const mismatches = `${s.mismatches} mismatch${s.mismatches === 1 ? '' : 'es'}`;
  return `${s.aggregate} ${s.window}: ${s.checked} item${s.checked === 1 ? '' : 's'} checked, ${mismatches}${s.truncated ? ' (read cut short: more items than the limit)' : ''}`;
}
