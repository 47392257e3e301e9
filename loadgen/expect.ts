import { writeFileSync } from 'node:fs';
import type { AggregateRow } from '../lambda/shared/aggregate-item';
import { type PlannedAggregate, planAggregates, windowStart } from '../lambda/shared/aggregate-plan';
import {
  type AggregateDeclaration,
  BY_KEY,
  DEFAULT_TOP_K,
  type Declarations,
  type MeasureDeclaration,
  findAggregate,
} from '../lambda/shared/declarations';
import type { EventFields } from '../lambda/shared/fields';
import { DEFAULT_QUANTILES, quantileLabel } from '../lambda/shared/measures/quantiles';
import { type PipelineEvent, type ValidEvent, validateEvent } from '../lambda/shared/event-schema';

/** A v1 row of `by_key`, as v1 expect files hold them. */
export interface ExpectedItem extends AggregateRow {
  readonly type: string;
}

/** Version 1, still read by `npm run verify`: `by_key` rows only. */
export interface ExpectFileV1 {
  readonly windowSeconds: number;
  readonly events: number;
  readonly items: ExpectedItem[];
}

/** Exact values at the nearest rank, under both conventions: [value at the lower rank, at the higher]. */
export type ExpectedQuantiles = { readonly n: number } & { readonly [label: `p${string}`]: readonly [number, number] };

export interface ExpectedTop {
  /** Events of the item that had the field: the contract's `total`. */
  readonly total: number;
  /** How many different values there were; `top` is complete when it lists that many. */
  readonly distinctValues: number;
  /** Exact counts of the most frequent values, highest first, ties by value. */
  readonly top: readonly { readonly value: string; readonly count: number }[];
}

/** count, sum, distinct: a number; min, max, avg: a number or null; quantiles and topK: their own shape. */
export type ExpectedMeasure = number | null | ExpectedQuantiles | ExpectedTop;

export interface ExpectedAggregateItem {
  /** Group values by groupBy field; null for a missing attribute. */
  readonly group: Readonly<Record<string, string | null>>;
  readonly windowStart: string;
  /** Events of the group in this window, whichever measures they counted for. */
  readonly events: number;
  readonly measures: Readonly<Record<string, ExpectedMeasure>>;
}

/** One declaration and one of its window sizes. */
export interface ExpectedAggregate {
  readonly name: string;
  readonly window: string;
  readonly types: readonly string[];
  readonly groupBy: readonly string[];
  readonly measures: Readonly<Record<string, MeasureDeclaration>>;
  /** Sorted by window start, then group: the order the reader returns. */
  readonly items: ExpectedAggregateItem[];
}

export interface ExpectFileV2 {
  readonly version: 2;
  readonly events: number;
  readonly lateness: 'ignored';
  /** First and last event time of the events counted; absent when there were none. */
  readonly eventTime?: { readonly from: string; readonly to: string };
  readonly aggregates: ExpectedAggregate[];
  /** The v1 part, from `by_key`, so that v1 readers of the file keep working. */
  readonly windowSeconds?: number;
  readonly items?: ExpectedItem[];
}

export type ExpectFile = ExpectFileV1 | ExpectFileV2;

/** The quantiles the file keeps: the API's default answer. */
export const EXPECTED_QUANTILES = DEFAULT_QUANTILES;

/** How many values of a topK the file keeps: enough to judge every count the stored top may list. */
export function keptTopValues(k: number): number {
  return Math.max(3 * k, 30);
}

/**
 * 1-based ranks of the q-quantile of n values, lower first: the nearest rank ceil(q·n) and the rank
 * floor(q·(n−1))+1 that interpolating libraries round down to. Each product is nudged by two ulps the
 * way that widens the pair, since q·n can land a hair off an integer (0.07·100 is 7.000000000000001).
 */
export function rankPair(q: number, n: number): [number, number] {
  const clamp = (r: number): number => Math.min(n, Math.max(1, r));
  const up = q * n;
  const down = q * (n - 1);
  const nearest = clamp(Math.ceil(up - up * 2 * Number.EPSILON));
  const lower = clamp(Math.floor(down + down * 2 * Number.EPSILON) + 1);
  return nearest <= lower ? [nearest, lower] : [lower, nearest];
}

/**
 * The exact sum of doubles, rounded once at the end (Shewchuk's partials, as Python's math.fsum): no
 * assumption on how many decimals the values have, so the truth is the truth whatever the attributes hold.
 */
export class ExactSum {
  private readonly partials: number[] = [];

  add(value: number): void {
    let x = value;
    let i = 0;
    for (let j = 0; j < this.partials.length; j++) {
      let y = this.partials[j];
      if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) this.partials[i++] = lo;
      x = hi;
    }
    this.partials.length = i;
    this.partials.push(x);
  }

  value(): number {
    const p = this.partials;
    let n = p.length;
    if (n === 0) return 0;
    let hi = p[--n];
    let lo = 0;
    while (n > 0) {
      const x = hi;
      const y = p[--n];
      hi = x + y;
      lo = y - (hi - x);
      if (lo !== 0) break;
    }
    // Round half to even across the partials left over, so the result is the correctly rounded sum.
    if (n > 0 && ((lo < 0 && p[n - 1] < 0) || (lo > 0 && p[n - 1] > 0))) {
      const y = lo * 2;
      const x = hi + y;
      if (y === x - hi) hi = x;
    }
    return hi === 0 ? 0 : hi;
  }
}

const SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The sketches see a value as UTF-8, where a lone surrogate becomes U+FFFD: two values that differ
 * only there are one value to them, so they are one value to the truth too.
 */
function asSketchSees(value: string): string {
  return SURROGATE.test(value) ? value.replace(LONE_SURROGATE, '\uFFFD') : value;
}

interface MeasureTruth {
  add(input: number | string): void;
  result(): ExpectedMeasure;
}

class CountTruth implements MeasureTruth {
  private n = 0;
  add(): void {
    this.n++;
  }
  result(): number {
    return this.n;
  }
}

class SumTruth implements MeasureTruth {
  private readonly sum = new ExactSum();
  add(v: number | string): void {
    this.sum.add(v as number);
  }
  result(): number {
    return this.sum.value();
  }
}

class AvgTruth implements MeasureTruth {
  private readonly sum = new ExactSum();
  private n = 0;
  add(v: number | string): void {
    this.sum.add(v as number);
    this.n++;
  }
  result(): number | null {
    return this.n === 0 ? null : this.sum.value() / this.n;
  }
}

class ExtremeTruth implements MeasureTruth {
  private best: number | null = null;
  constructor(private readonly lowest: boolean) {}
  add(input: number | string): void {
    const v = input as number;
    if (this.best === null || (this.lowest ? v < this.best : v > this.best)) this.best = v;
  }
  result(): number | null {
    return this.best;
  }
}

class DistinctTruth implements MeasureTruth {
  private readonly values = new Set<string>();
  add(v: number | string): void {
    this.values.add(asSketchSees(v as string));
  }
  result(): number {
    return this.values.size;
  }
}

class QuantilesTruth implements MeasureTruth {
  private values: number[] = [];
  add(v: number | string): void {
    this.values.push(v as number);
  }
  result(): ExpectedQuantiles {
    const sorted = Float64Array.from(this.values).sort();
    const n = sorted.length;
    const at: Record<`p${string}`, [number, number]> = {};
    if (n > 0) {
      for (const q of EXPECTED_QUANTILES) {
        const [low, high] = rankPair(q, n);
        at[quantileLabel(q) as `p${string}`] = [sorted[low - 1], sorted[high - 1]];
      }
    }
    return { n, ...at };
  }
}

class TopTruth implements MeasureTruth {
  private readonly counts = new Map<string, number>();
  private total = 0;
  constructor(private readonly kept: number) {}
  add(v: number | string): void {
    const value = asSketchSees(v as string);
    this.total++;
    this.counts.set(value, (this.counts.get(value) ?? 0) + 1);
  }
  result(): ExpectedTop {
    const top = [...this.counts]
      .sort(([va, ca], [vb, cb]) => cb - ca || (va < vb ? -1 : va > vb ? 1 : 0))
      .slice(0, this.kept)
      .map(([value, count]) => ({ value, count }));
    return { total: this.total, distinctValues: this.counts.size, top };
  }
}

function truthOf(m: MeasureDeclaration): MeasureTruth {
  switch (m.op) {
    case 'count':
      return new CountTruth();
    case 'sum':
      return new SumTruth();
    case 'avg':
      return new AvgTruth();
    case 'min':
      return new ExtremeTruth(true);
    case 'max':
      return new ExtremeTruth(false);
    case 'distinct':
      return new DistinctTruth();
    case 'quantiles':
      return new QuantilesTruth();
    case 'topK':
      return new TopTruth(keptTopValues(m.k ?? DEFAULT_TOP_K));
  }
}

interface ItemTruth {
  readonly group: (string | null)[];
  /** The group as JSON: unambiguous whatever the values hold, and the order the table sorts groups in. */
  readonly json: string;
  readonly windowStartMs: number;
  events: number;
  readonly measures: MeasureTruth[];
}

function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The exact aggregates of every declaration over the events the stream accepted, for `npm run verify`
 * to hold the table against. Each declaration is read through the aggregator's own plan (its type
 * filter, group readers and measure inputs), so what counts for a measure here is what counts there.
 *
 * `allowedLateness` is ignored: an accepted event has no arrival time here, and the load generator
 * makes events at the current time, so none is late unless `--start` puts them far in the past.
 */
export class ExpectedAggregates {
  private readonly plan: readonly PlannedAggregate[];
  /** Per aggregate, per window size: window start, then group. */
  private readonly items: Map<number, Map<string, ItemTruth>>[][];
  private events = 0;
  private firstMs = Infinity;
  private lastMs = -Infinity;

  constructor(readonly declarations: Declarations) {
    // Lateness is ignored (see above), so its default does not matter.
    this.plan = planAggregates(declarations, 0).aggregates;
    this.items = this.plan.map((a) => a.windowsMs.map(() => new Map<number, Map<string, ItemTruth>>()));
  }

  /** Adds an event, checked against the contract. */
  add(event: PipelineEvent): void {
    const valid = validateEvent(event);
    if (!valid.ok) throw new Error(`not a valid event: ${valid.reason}`);
    this.addValid(valid.event);
  }

  /** Adds what the contract keeps of a valid event. */
  addValid(event: ValidEvent): void {
    const e: EventFields = event;
    this.events++;
    if (event.eventTimeMs < this.firstMs) this.firstMs = event.eventTimeMs;
    if (event.eventTimeMs > this.lastMs) this.lastMs = event.eventTimeMs;
    for (let a = 0; a < this.plan.length; a++) {
      const aggregate = this.plan[a];
      if (!aggregate.matches(e.type)) continue;
      const group = aggregate.groupOf(e);
      const json = JSON.stringify(group);
      // Inputs once per event, not once per window size.
      const inputs = aggregate.measures.map((m) => m.input(e));
      for (let w = 0; w < aggregate.windowsMs.length; w++) {
        const start = windowStart(event.eventTimeMs, aggregate.windowsMs[w]);
        let byGroup = this.items[a][w].get(start);
        if (byGroup === undefined) {
          byGroup = new Map();
          this.items[a][w].set(start, byGroup);
        }
        let item = byGroup.get(json);
        if (item === undefined) {
          item = {
            group,
            json,
            windowStartMs: start,
            events: 0,
            measures: aggregate.measures.map((m) => truthOf(m.declaration)),
          };
          byGroup.set(json, item);
        }
        item.events++;
        for (let m = 0; m < inputs.length; m++) {
          const input = inputs[m];
          if (input !== undefined) item.measures[m].add(input);
        }
      }
    }
  }

  toJSON(): ExpectFileV2 {
    const aggregates: ExpectedAggregate[] = [];
    this.plan.forEach((aggregate, a) => {
      const d = aggregate.declaration;
      d.windows.forEach((window, w) => {
        aggregates.push({
          name: d.name,
          window,
          types: d.types,
          groupBy: d.groupBy,
          measures: d.measures,
          items: this.itemsOf(aggregate, this.items[a][w]),
        });
      });
    });
    const v1 = this.v1(aggregates);
    return {
      version: 2,
      events: this.events,
      lateness: 'ignored',
      ...(this.events === 0
        ? {}
        : { eventTime: { from: new Date(this.firstMs).toISOString(), to: new Date(this.lastMs).toISOString() } }),
      aggregates,
      ...v1,
    };
  }

  write(path: string): void {
    writeFileSync(path, formatExpectFile(this.toJSON()));
  }

  private itemsOf(aggregate: PlannedAggregate, byStart: Map<number, Map<string, ItemTruth>>): ExpectedAggregateItem[] {
    const out: { json: string; item: ExpectedAggregateItem; startMs: number }[] = [];
    for (const byGroup of byStart.values()) {
      for (const t of byGroup.values()) {
        const group: Record<string, string | null> = {};
        aggregate.groupBy.forEach((field, i) => (group[field] = t.group[i]));
        const measures: Record<string, ExpectedMeasure> = {};
        aggregate.measures.forEach((m, i) => (measures[m.name] = t.measures[i].result()));
        out.push({
          json: t.json,
          startMs: t.windowStartMs,
          item: { group, windowStart: new Date(t.windowStartMs).toISOString(), events: t.events, measures },
        });
      }
    }
    return out.sort((x, y) => x.startMs - y.startMs || byString(x.json, y.json)).map((x) => x.item);
  }

  /** `by_key`'s first window as v1 rows, when it still has the v1 shape. */
  private v1(aggregates: readonly ExpectedAggregate[]): { windowSeconds?: number; items?: ExpectedItem[] } {
    const byKey = findAggregate(this.declarations, BY_KEY);
    if (byKey === undefined || !hasV1Shape(byKey)) return {};
    const first = aggregates.find((x) => x.name === BY_KEY && x.window === byKey.windows[0])!;
    const items = first.items
      .map((i) => ({
        type: i.group.type!,
        key: i.group.key!,
        windowStart: i.windowStart,
        count: i.measures.count as number,
        sum: i.measures.sum as number,
        min: i.measures.min as number,
        max: i.measures.max as number,
      }))
      .sort((x, y) => byString(x.windowStart, y.windowStart) || byString(x.type, y.type) || byString(x.key, y.key));
    return { windowSeconds: byKey.windowSeconds[0], items };
  }
}

/** One item per line: a big run's file stays greppable and a fraction of the size of indented JSON. */
export function formatExpectFile(file: ExpectFileV2): string {
  const list = (items: readonly unknown[], indent: string): string =>
    items.length === 0
      ? '[]'
      : `[\n${items.map((i) => `${indent}${JSON.stringify(i)}`).join(',\n')}\n${indent.slice(1)}]`;
  const { aggregates, items, ...head } = file;
  const open = JSON.stringify(head).slice(0, -1);
  const parts = aggregates.map(
    ({ items: rows, ...a }) => ` ${JSON.stringify(a).slice(0, -1)},"items":${list(rows, '  ')}}`,
  );
  const v1 = items === undefined ? '' : `,\n"items":${list(items, ' ')}`;
  return `${open},\n"aggregates":[\n${parts.join(',\n')}\n]${v1}}\n`;
}

/** Grouped by type and key, with count, and sum, min and max of `value`, under the v1 names. */
export function hasV1Shape(d: AggregateDeclaration): boolean {
  const m = d.measures;
  const ofValue = (name: 'sum' | 'min' | 'max'): boolean => m[name]?.op === name && m[name].of === 'value';
  return (
    d.groupBy.length === 2 &&
    d.groupBy.includes('type') &&
    d.groupBy.includes('key') &&
    m.count?.op === 'count' &&
    ofValue('sum') &&
    ofValue('min') &&
    ofValue('max')
  );
}
