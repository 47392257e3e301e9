import { describe, expect, it } from 'vitest';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { AGGREGATE_ATTR as A, groupAttributes } from '../../lambda/shared/aggregate-item';
import { measureStates, planAggregates } from '../../lambda/shared/aggregate-plan';
import { type MeasureDeclaration, parseDeclarations } from '../../lambda/shared/declarations';
import type { EventFields } from '../../lambda/shared/fields';
import { type ExpectFileV2, type ExpectedTop, ExpectedAggregates } from '../../loadgen/expect';
import {
  type StoredItem,
  avgAgrees,
  compareAggregate,
  distinctAgrees,
  expectation,
  measureProblem,
  parseExpectFile,
  quantileAgrees,
  sumAgrees,
  topKProblems,
} from '../../verify/compare';

const count: MeasureDeclaration = { op: 'count' };
const sum: MeasureDeclaration = { op: 'sum', of: 'value' };
const min: MeasureDeclaration = { op: 'min', of: 'value' };
const avg: MeasureDeclaration = { op: 'avg', of: 'value' };
const distinct: MeasureDeclaration = { op: 'distinct', of: 'key' };
const quantiles: MeasureDeclaration = { op: 'quantiles', of: 'value', relativeAccuracy: 0.01 };
const topK: MeasureDeclaration = { op: 'topK', of: 'key', k: 4 };

describe('tolerance rules', () => {
  it.each([
    ['count is exact', count, 7, 7, 8],
    ['sum: float noise', sum, 0.3, 0.30000000000000004, 0.3001],
    ['sum: one rounding step of 1e-6 per event', sum, 0.3, 0.300003, 0.3000034],
    ['sum: 1e-6 relative', sum, 1e6, 1e6 + 1, 1e6 + 1.01],
    ['min is exact', min, -2.5, -2.5, -2.4],
    ['min: null when no number counted', min, null, null, 0],
    ['avg: 1e-9 relative and one rounding step', avg, 2e6, 2e6 + 0.002, 2e6 + 0.0021],
    ['avg: null when no number counted', avg, null, null, 0],
    ['distinct: at least 2 off for small counts', distinct, 10, 12, 13],
    ['distinct: 5 standard errors of HLL at 2^12 registers', distinct, 1000, 1081, 1082],
    ['distinct: below the truth as well', distinct, 1000, 919, 918],
  ] as const)('%s', (_what, declaration, truth, accepted, refused) => {
    expect(measureProblem(declaration, truth, accepted, 3)).toBeUndefined();
    expect(measureProblem(declaration, truth, refused, 3)).toBeDefined();
  });

  it('sum and avg helpers', () => {
    expect(sumAgrees(0, 0.000003, 3)).toBe(true);
    expect(sumAgrees(0, 0.000004, 3)).toBe(false);
    expect(avgAgrees(20, 20.000001)).toBe(true);
    expect(avgAgrees(20, 20.0000011)).toBe(false);
    expect(distinctAgrees(0, 2)).toBe(true);
    expect(distinctAgrees(0, 3)).toBe(false);
  });

  it.each([
    [[20, 30], 0.01, 19.8, 19.79],
    [[20, 30], 0.01, 30.3, 30.31],
    [[20, 20], 0.01, 20.2, 20.21],
    [[-30, -20], 0.01, -30.3, -30.31],
    [[-30, -20], 0.01, -19.8, -19.79],
    [[-1, 1], 0.01, 1.01, -1.02],
    [[0, 0], 0.01, 0, 1e-9],
    [[20, 30], 0.05, 31.5, 31.6],
  ] as const)('quantile between %j within %d: %d accepted, %d refused', (pair, alpha, accepted, refused) => {
    expect(quantileAgrees(pair, accepted, alpha)).toBe(true);
    expect(quantileAgrees(pair, refused, alpha)).toBe(false);
  });

  it('quantiles: every q is checked, with the declared accuracy; none stored when none counted', () => {
    const truth = { n: 4, p50: [20, 20], p90: [30, 40], p95: [30, 40], p99: [30, 40] } as const;
    const right = { p50: 20.1, p90: 39.9, p95: 40, p99: 40.3 };
    expect(measureProblem(quantiles, truth, right, 4)).toBeUndefined();
    expect(measureProblem(quantiles, truth, { ...right, p99: 40.5 }, 4)).toMatch(
      /^p99 40\.5 found, expected 30\.\.40 ±1%/,
    );
    expect(measureProblem({ ...quantiles, relativeAccuracy: 0.02 }, truth, { ...right, p99: 40.5 }, 4)).toBeUndefined();
    expect(measureProblem(quantiles, truth, { ...right, p50: null }, 4)).toMatch(/^p50 null found/);
    const none = { p50: null, p90: null, p95: null, p99: null };
    expect(measureProblem(quantiles, { n: 0 }, none, 1)).toBeUndefined();
    expect(measureProblem(quantiles, { n: 0 }, { ...none, p50: 3 }, 1)).toMatch(/no values expected/);
  });

  describe('topK, k = 4 of 100 events: counts may be up to 25 high', () => {
    const truth: ExpectedTop = {
      total: 100,
      distinctValues: 20,
      top: [
        { value: 'a', count: 40 },
        { value: 'b', count: 30 },
        { value: 'c', count: 10 },
        { value: 'd', count: 5 },
      ],
    };
    const exact = truth.top.slice();

    it.each([
      ['the exact counts', exact, []],
      ['counts up to total/k high', [{ value: 'a', count: 65 }, ...exact.slice(1)], []],
      ['a count more than total/k high', [{ value: 'a', count: 66 }, ...exact.slice(1)], ['"a" listed with 66']],
      ['a count below the truth', [{ value: 'a', count: 39 }, ...exact.slice(1)], ['"a" listed with 39']],
      ['a heavy value left out', exact.slice(1), ['"a" (true count 40 > total/k 25) is not listed']],
      ['a light value left out', exact.slice(0, 3), []],
      [
        'a value the file does not keep, within the smallest kept count + total/k',
        [...exact.slice(0, 3), { value: 'z', count: 30 }],
        [],
      ],
      [
        'a value the file does not keep, above that',
        [...exact.slice(0, 3), { value: 'z', count: 31 }],
        ['"z" listed with 31, true count at most 5'],
      ],
    ])('%s', (_what, listed, problems) => {
      const found = topKProblems(truth, listed, 4);
      expect(found).toHaveLength(problems.length);
      problems.forEach((p, i) => expect(found[i]).toContain(p));
    });

    it('a value never seen, when the file keeps every value, may be at most total/k', () => {
      const complete = { ...truth, distinctValues: 4 };
      expect(topKProblems(complete, [...exact.slice(0, 3), { value: 'z', count: 25 }], 4)).toEqual([]);
      expect(topKProblems(complete, [...exact.slice(0, 3), { value: 'z', count: 26 }], 4)).toHaveLength(1);
    });

    it('through measureProblem, with k from the declaration', () => {
      expect(measureProblem(topK, truth, exact, 100)).toBeUndefined();
      expect(measureProblem({ ...topK, k: 10 }, truth, [{ value: 'a', count: 65 }], 100)).toMatch(/"a" listed with 65/);
      expect(measureProblem(topK, truth, 'nope', 100)).toMatch(/a list expected/);
    });
  });
});

const DECLARATIONS = parseDeclarations({
  version: 2,
  aggregates: [
    {
      name: 'by_key',
      types: ['*'],
      groupBy: ['type', 'key'],
      windows: ['1m'],
      measures: { count, sum, min: { op: 'min', of: 'value' }, max: { op: 'max', of: 'value' } },
    },
    {
      name: 'pages',
      types: ['page_view'],
      groupBy: ['attributes.page'],
      windows: ['1m', '1h'],
      measures: {
        views: count,
        mean: { op: 'avg', of: 'attributes.ms' },
        users: distinct,
        latency: { op: 'quantiles', of: 'attributes.ms' },
        refs: { op: 'topK', of: 'attributes.ref', k: 3 },
      },
    },
  ],
});
const BASE = Date.UTC(2026, 10, 23, 9, 44);

/** Deterministic events with many users, pages (some missing), latencies and referrers. */
function events(n: number): (EventFields & { eventTimeMs: number })[] {
  let s = 7;
  const rand = (): number => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  return Array.from({ length: n }, (_, i) => {
    const attributes: Record<string, unknown> = { ms: Math.round(Math.exp(3 + 2 * rand()) * 100) / 100 };
    if (rand() < 0.9) attributes.page = `/p/${Math.floor(rand() ** 2 * 5)}`;
    if (rand() < 0.8) attributes.ref = `r${Math.floor(rand() ** 3 * 40)}`;
    return {
      type: rand() < 0.8 ? 'page_view' : 'click',
      key: `u${Math.floor(rand() * 3000)}`,
      value: Math.round(rand() * 1000) / 100,
      eventTimeMs: BASE + (i % 120) * 1000,
      attributes,
    };
  });
}

/** The items the aggregator would store for these events: the real measure kinds, one batch. */
function stored(all: readonly (EventFields & { eventTimeMs: number })[]): Map<string, StoredItem[]> {
  const out = new Map<string, StoredItem[]>();
  for (const aggregate of planAggregates(DECLARATIONS, 0).aggregates) {
    aggregate.windowsMs.forEach((width, w) => {
      const groups = new Map<string, number[]>();
      all.forEach((e, i) => {
        if (!aggregate.matches(e.type)) return;
        const start = Math.floor(e.eventTimeMs / width) * width;
        const id = JSON.stringify([start, aggregate.groupOf(e)]);
        groups.set(id, [...(groups.get(id) ?? []), i]);
      });
      const items: StoredItem[] = [];
      for (const [id, indices] of groups) {
        const [start, group] = JSON.parse(id) as [number, (string | null)[]];
        const item: Record<string, AttributeValue> = {
          [A.windowStart]: { S: new Date(start).toISOString() },
          ...groupAttributes(aggregate.groupBy, group),
        };
        for (const [name, state] of measureStates(aggregate, all, indices)) {
          Object.assign(item, aggregate.measures.find((m) => m.name === name)!.kind.store(name, state));
        }
        items.push(item);
      }
      out.set(`${aggregate.name} ${aggregate.declaration.windows[w]}`, items);
    });
  }
  return out;
}

function truth(all: readonly (EventFields & { eventTimeMs: number })[]): ExpectFileV2 {
  const e = new ExpectedAggregates(DECLARATIONS);
  for (const event of all) e.addValid(event);
  return e.toJSON();
}

describe('compareAggregate', () => {
  const all = events(6000);
  const file = truth(all);
  const items = stored(all);
  const check = (name: string, window: string, list: readonly StoredItem[], extras = true) =>
    compareAggregate(
      file.aggregates.find((a) => a.name === name && a.window === window)!,
      DECLARATIONS.aggregates.find((a) => a.name === name)!,
      list,
      { extras },
    );

  it('finds the real sketches of every measure within their bounds', () => {
    for (const [key, list] of items) {
      const [name, window] = key.split(' ');
      const { summary, mismatches } = check(name, window, list);
      expect(mismatches).toEqual([]);
      expect(summary).toMatchObject({ checked: list.length, expected: list.length, matched: list.length });
    }
  });

  it('reports missing, extra and different items, with group, window and measure', () => {
    const list = items.get('pages 1m')!.slice();
    const removed = list.shift()!;
    const changed: StoredItem = { ...list[0], views: { N: String(Number(list[0].views.N) + 1) } };
    list[0] = changed;
    list.push({ ...removed, 'attributes.page': { S: '/nowhere' } });
    const { summary, mismatches } = check('pages', '1m', list);
    expect(mismatches.map((m) => [m.kind, m.group['attributes.page'], m.measures.map((x) => x.measure)])).toEqual([
      ['missing', removed['attributes.page'].S ?? null, []],
      ['different', changed['attributes.page'].S ?? null, ['views']],
      ['extra', '/nowhere', []],
    ]);
    expect(mismatches.map((m) => m.overshoot)).toEqual([false, true, true]);
    const n = items.get('pages 1m')!.length;
    expect(summary).toMatchObject({ checked: n + 1, expected: n, matched: n - 2, mismatches: 3 });
    // A v1 file checks its own items only.
    expect(check('pages', '1m', list, false).mismatches.map((m) => m.kind)).toEqual(['missing', 'different']);
  });

  it('reads a missing attribute stored as NULL, or not stored, as the null group', () => {
    const list = items.get('pages 1h')!;
    const withNull = list.find((i) => i['attributes.page'].NULL === true)!;
    const without: Record<string, AttributeValue> = { ...withNull };
    delete without['attributes.page'];
    const rest = list.filter((i) => i !== withNull);
    expect(check('pages', '1h', [...rest, without]).mismatches).toEqual([]);
  });
});

describe('expectation', () => {
  const file = truth(events(50));

  it('reads a v2 file over the window range of the events, per window size', () => {
    const e = expectation(file, DECLARATIONS, 'aggregates.json');
    expect(e.extras).toBe(true);
    expect(
      Object.fromEntries(
        [...e.ranges].map(([k, r]) => [k, [new Date(r.fromMs).toISOString(), new Date(r.toMs).toISOString()]]),
      ),
    ).toEqual({
      'by_key#1m': ['2026-11-23T09:44:00.000Z', '2026-11-23T09:45:00.000Z'],
      'pages#1m': ['2026-11-23T09:44:00.000Z', '2026-11-23T09:45:00.000Z'],
      'pages#1h': ['2026-11-23T09:00:00.000Z', '2026-11-23T10:00:00.000Z'],
    });
  });

  it('reads a v1 file as by_key, its own items only', () => {
    const v1 = parseExpectFile(
      JSON.stringify({ windowSeconds: 60, events: file.events, items: file.items }),
      'v1.json',
    );
    const e = expectation(v1, DECLARATIONS, 'aggregates.json');
    expect(e).toMatchObject({ version: 1, extras: false });
    expect(e.aggregates.map((a) => [a.name, a.window, a.items.length])).toEqual([['by_key', '1m', file.items!.length]]);
    expect(e.aggregates[0].items[0]).toMatchObject({ group: { type: file.items![0].type, key: file.items![0].key } });
  });

  it.each([
    [
      'an aggregate the declarations lack',
      { version: 2 as const, aggregates: [DECLARATIONS.aggregates[0]] },
      /^--aggregates: aggregates\.json does not declare "pages", which the expect file holds/,
    ],
    [
      'a measure declared otherwise',
      {
        version: 2 as const,
        aggregates: [
          DECLARATIONS.aggregates[0],
          {
            ...DECLARATIONS.aggregates[1],
            measures: {
              ...DECLARATIONS.aggregates[1].measures,
              refs: { op: 'topK' as const, of: 'attributes.ref', k: 5 },
            },
          },
        ],
      },
      /^--aggregates: "pages" in aggregates\.json differs from the expect file's in measures\.refs/,
    ],
    [
      'a window not declared',
      {
        version: 2 as const,
        aggregates: [
          DECLARATIONS.aggregates[0],
          { ...DECLARATIONS.aggregates[1], windows: ['1m'], windowSeconds: [60] },
        ],
      },
      /differs from the expect file's in windows \(no 1h\)/,
    ],
  ])('refuses declarations with %s', (_what, declarations, message) => {
    expect(() => expectation(file, declarations, 'aggregates.json')).toThrow(message);
  });

  it('refuses an expect file of another version', () => {
    expect(() => parseExpectFile('{"version":3,"events":1,"aggregates":[]}', 'x.json')).toThrow(
      /^--expect: x\.json is version 3; verify reads versions 1 and 2/,
    );
    expect(() => parseExpectFile('[]', 'x.json')).toThrow(/^--expect: x\.json is not a load generator expect file/);
  });
});
