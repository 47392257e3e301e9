import { describe, expect, it } from 'vitest';
import {
  emptyInputs,
  isLate,
  measureStates,
  planAggregates,
  readEventInputs,
  windowStart,
} from '../../../lambda/shared/aggregate-plan';
import { parseDeclarations } from '../../../lambda/shared/declarations';
import type { EventFields } from '../../../lambda/shared/fields';
import { MEASURES } from '../../../lambda/shared/measures';
import { mulberry32 } from './sketches/random';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T = Date.UTC(2026, 10, 23, 9, 44, 30, 250);

const declarations = parseDeclarations({
  version: 2,
  aggregates: [
    {
      name: 'pages',
      types: ['page_view', 'click'],
      groupBy: ['attributes.page', 'key'],
      windows: ['1m', '1h'],
      allowedLateness: '0s',
      measures: {
        n: { op: 'count' },
        total: { op: 'sum', of: 'attributes.ms' },
        users: { op: 'distinct', of: 'attributes.user' },
      },
    },
    { name: 'all', types: ['*'], windows: ['1d'], measures: { n: { op: 'count' }, hi: { op: 'max', of: 'value' } } },
  ],
});

describe('windowStart', () => {
  it.each<[number, number, number]>([
    [T, MINUTE, Date.UTC(2026, 10, 23, 9, 44)],
    [T, HOUR, Date.UTC(2026, 10, 23, 9)],
    [T, DAY, Date.UTC(2026, 10, 23)],
    [T, 10_000, Date.UTC(2026, 10, 23, 9, 44, 30)],
    [T, 90_000, Date.UTC(2026, 10, 23, 9, 43, 30)],
    // A window's first millisecond is in it; its end is the next window's start.
    [Date.UTC(2026, 10, 23, 9, 44), MINUTE, Date.UTC(2026, 10, 23, 9, 44)],
    [Date.UTC(2026, 10, 23, 9, 45) - 1, MINUTE, Date.UTC(2026, 10, 23, 9, 44)],
    [0, DAY, 0],
  ])('windowStart(%d, %d) is %d (UTC-aligned)', (time, width, expected) => {
    expect(windowStart(time, width)).toBe(expected);
  });
});

describe('isLate', () => {
  const start = Date.UTC(2026, 10, 23, 9, 44);
  const end = start + MINUTE;
  it.each<[string, number, number, boolean]>([
    ['before its window starts', start - HOUR, 0, false],
    ['inside its window', start + 1, 0, false],
    ['at its end, with no lateness allowed', end, 0, false],
    ['1 ms after its end, with no lateness allowed', end + 1, 0, true],
    ['at its end plus the allowed lateness', end + 10 * MINUTE, 10 * MINUTE, false],
    ['1 ms past the allowed lateness', end + 10 * MINUTE + 1, 10 * MINUTE, true],
  ])('an arrival %s is late: %s', (_name, arrival, lateness, expected) => {
    expect(isLate(start, MINUTE, arrival, lateness)).toBe(expected);
  });
});

describe('planAggregates', () => {
  const plan = planAggregates(declarations, 3600);
  const [pages, all] = plan.aggregates;

  it('keeps the declarations and their order', () => {
    expect(plan.declarations).toBe(declarations);
    expect(plan.aggregates.map((a) => [a.name, a.declaration])).toEqual([
      ['pages', declarations.aggregates[0]],
      ['all', declarations.aggregates[1]],
    ]);
  });

  it('turns windows and lateness into milliseconds; "0s" stays 0, an undeclared one takes the default', () => {
    expect([pages.windowsMs, pages.latenessMs]).toEqual([[MINUTE, HOUR], 0]);
    expect([all.windowsMs, all.latenessMs]).toEqual([[DAY], HOUR]);
  });

  it('matches the declared types, or every type for "*"', () => {
    expect(['page_view', 'click', 'buy', '*'].map(pages.matches)).toEqual([true, true, false, false]);
    expect(['page_view', 'buy', 'anything'].map(all.matches)).toEqual([true, true, true]);
  });

  it('reads groups in groupBy order, and an empty group for []', () => {
    const e: EventFields = { type: 'click', key: 'u1', value: 1, attributes: { page: '/a' } };
    expect(pages.groupBy).toEqual(['attributes.page', 'key']);
    expect(pages.groupOf(e)).toEqual(['/a', 'u1']);
    expect(pages.groupOf({ ...e, attributes: undefined })).toEqual([null, 'u1']);
    expect(all.groupOf(e)).toEqual([]);
  });

  it('plans each measure with its module and input; count takes 0 from any event', () => {
    const e: EventFields = { type: 'click', key: 'u1', value: 7, attributes: { ms: 12, user: 'x' } };
    expect(pages.measures.map((m) => [m.name, m.declaration.op, m.kind])).toEqual([
      ['n', 'count', MEASURES.count],
      ['total', 'sum', MEASURES.sum],
      ['users', 'distinct', MEASURES.distinct],
    ]);
    expect(pages.measures.map((m) => m.input(e))).toEqual([0, 12, 'x']);
    expect(pages.measures.map((m) => m.input({ ...e, attributes: {} }))).toEqual([0, undefined, undefined]);
    expect(all.measures.map((m) => m.input(e))).toEqual([0, 7]);
  });

  it('marks aggregates that keep sketches', () => {
    expect([pages.sketches, all.sketches]).toEqual([true, false]);
  });
});

describe('measureStates', () => {
  const [pages] = planAggregates(declarations, 3600).aggregates;
  const events: EventFields[] = [
    { type: 'click', key: 'a', value: 1, attributes: { ms: 10, user: 'x' } },
    { type: 'click', key: 'b', value: 1, attributes: { ms: 'slow', user: 'y' } },
    { type: 'click', key: 'c', value: 1 },
    { type: 'click', key: 'd', value: 1, attributes: { ms: 5, user: 'x' } },
  ];

  it('folds only the given events, each measure skipping events without its input', () => {
    const states = measureStates(pages, events, [0, 1, 2]);
    expect([...states.keys()]).toEqual(['n', 'total', 'users']);
    expect(MEASURES.count.answer(states.get('n'))).toBe(3);
    expect(MEASURES.sum.answer(states.get('total'))).toBe(10);
    expect(MEASURES.distinct.answer(states.get('users'))).toBe(2);
  });

  it('gives fresh empty states for no events', () => {
    const states = measureStates(pages, events, []);
    expect(MEASURES.count.answer(states.get('n'))).toBe(0);
    expect(MEASURES.sum.answer(states.get('total'))).toBe(0);
    expect(MEASURES.distinct.answer(states.get('users'))).toBe(0);
  });

  it('folds the batch columns exactly as it folds the events, for every op, into stored states too', () => {
    const plan = planAggregates(
      parseDeclarations({
        version: 2,
        aggregates: [
          {
            name: 'every_op',
            types: ['*'],
            windows: ['1m'],
            measures: {
              n: { op: 'count' },
              total: { op: 'sum', of: 'attributes.x' },
              low: { op: 'min', of: 'value' },
              high: { op: 'max', of: 'attributes.x' },
              mean: { op: 'avg', of: 'attributes.x' },
              users: { op: 'distinct', of: 'attributes.u' },
              spread: { op: 'quantiles', of: 'attributes.x' },
              top: { op: 'topK', of: 'attributes.u', k: 3 },
            },
          },
        ],
      }),
      3600,
    );
    const [aggregate] = plan.aggregates;
    const random = mulberry32(3);
    const pick = <T>(options: readonly T[]): T => options[Math.floor(random() * options.length)];
    // Inputs that count and inputs that do not: out of range, wrong type, absent.
    const xs = [1.5, -2, 0, -0, 1e15, 1e16, 1e-101, 'slow', true, null, undefined, [3], 7e-7];
    const us = ['a', 'b', 'c', 'd', 'e', 'é', 12, false, null, undefined, {}, 'x'.repeat(300)];
    const events: EventFields[] = Array.from({ length: 2_000 }, (_, i) => ({
      type: 't',
      key: `k${i}`,
      value: pick([1, -3.25, 0, 8]),
      ...(random() < 0.1 ? {} : { attributes: { x: pick(xs), u: pick(us) } }),
    }));
    const inputs = emptyInputs(plan, events.length);
    events.forEach((e, row) => readEventInputs(plan, inputs, aggregate.columns, e, row));
    const indices = events.map((_, i) => i).filter(() => random() < 0.6);
    const stored = (states: Map<string, unknown>) =>
      aggregate.measures.map((m) => {
        const item = m.kind.store(m.name, states.get(m.name));
        return Object.fromEntries(
          Object.entries(item).map(([k, v]) => [k, v.B ? Buffer.from(v.B).toString('hex') : v]),
        );
      });
    expect(stored(measureStates(aggregate, events, indices, undefined, inputs))).toEqual(
      stored(measureStates(aggregate, events, indices)),
    );
    const half = indices.slice(0, 500);
    const rest = indices.slice(500);
    expect(
      stored(measureStates(aggregate, events, rest, measureStates(aggregate, events, half, undefined, inputs), inputs)),
    ).toEqual(stored(measureStates(aggregate, events, rest, measureStates(aggregate, events, half))));
  });

  it('never shares a state between calls', () => {
    const first = measureStates(pages, events, [0]);
    measureStates(pages, events, [3]);
    expect(MEASURES.distinct.answer(first.get('users'))).toBe(1);
    expect(MEASURES.sum.answer(first.get('total'))).toBe(10);
  });
});
