import { describe, expect, it } from 'vitest';
import { parseDeclarations } from '../../lambda/shared/declarations';
import type { PipelineEvent } from '../../lambda/shared/event-schema';
import {
  ExactSum,
  type ExpectFileV2,
  type ExpectedAggregateItem,
  type ExpectedTop,
  ExpectedAggregates,
  formatExpectFile,
  keptTopValues,
  rankPair,
} from '../../loadgen/expect';
import { BY_KEY_DECLARATION } from '../support/declarations';

const BY_KEY = BY_KEY_DECLARATION;

const PAGES = {
  name: 'pages',
  types: ['page_view'],
  groupBy: ['attributes.page'],
  windows: ['1m', '1h'],
  allowedLateness: '0s',
  measures: {
    views: { op: 'count' },
    total: { op: 'sum', of: 'attributes.ms' },
    low: { op: 'min', of: 'attributes.ms' },
    high: { op: 'max', of: 'attributes.ms' },
    mean: { op: 'avg', of: 'attributes.ms' },
    users: { op: 'distinct', of: 'key' },
    latency: { op: 'quantiles', of: 'attributes.ms' },
    refs: { op: 'topK', of: 'attributes.ref', k: 2 },
  },
};

const T = Date.UTC(2026, 10, 23, 9, 44, 10);
let id = 0;
function event(type: string, key: string, attributes: Record<string, unknown>, at = T): PipelineEvent {
  return { eventId: `e${id++}`, eventTime: at, type, key, attributes };
}

function pagesTruth(): ExpectFileV2 {
  const e = new ExpectedAggregates(parseDeclarations({ version: 2, aggregates: [PAGES] }));
  e.add(event('page_view', 'u1', { page: '/a', ms: 10, ref: 'g' }));
  e.add(event('page_view', 'u2', { page: '/a', ms: 30, ref: 'g' }));
  // A number in a string is not a number: it counts as a view and for its referrer, not for latency.
  e.add(event('page_view', 'u1', { page: '/a', ms: '20', ref: 'b' }));
  e.add(event('page_view', 'u3', { page: '/a', ms: 20 }));
  e.add(event('page_view', 'u1', { ms: 5, ref: 'g' }));
  e.add(event('click', 'u9', { page: '/a', ms: 1000, ref: 'g' }));
  e.add(event('page_view', 'u4', { page: '/a', ms: 40, ref: 'b' }, T + 51_000));
  return e.toJSON();
}

function item(file: ExpectFileV2, window: string, page: string | null, windowStart: string): ExpectedAggregateItem {
  const found = file.aggregates
    .find((a) => a.name === 'pages' && a.window === window)!
    .items.find((i) => i.group['attributes.page'] === page && i.windowStart === windowStart);
  if (found === undefined) throw new Error(`no item ${window} ${page} ${windowStart}`);
  return found;
}

describe('ExpectedAggregates: the truth of each measure', () => {
  const file = pagesTruth();
  const minute = (page: string | null) => item(file, '1m', page, '2026-11-23T09:44:00.000Z');
  const hour = item(file, '1h', '/a', '2026-11-23T09:00:00.000Z');

  it.each([
    ['count counts every event of the group', minute('/a'), 'views', 4],
    ['sum takes numbers only', minute('/a'), 'total', 60],
    ['min', minute('/a'), 'low', 10],
    ['max', minute('/a'), 'high', 30],
    ['avg is the exact sum over the numbers that counted', minute('/a'), 'mean', 20],
    ['distinct counts each key once', minute('/a'), 'users', 3],
    [
      'quantiles keep both nearest-rank values at each q, of numbers only',
      minute('/a'),
      'latency',
      { n: 3, p50: [20, 20], p90: [20, 30], p95: [20, 30], p99: [20, 30] },
    ],
    [
      'topK counts events that have the field, highest first',
      minute('/a'),
      'refs',
      {
        total: 3,
        distinctValues: 2,
        top: [
          { value: 'g', count: 2 },
          { value: 'b', count: 1 },
        ],
      },
    ],
    ['a missing attribute groups under null', minute(null), 'views', 1],
    ['the 1h window holds both minutes', hour, 'views', 5],
    ['the 1h window sums both minutes', hour, 'total', 100],
    ['the 1h window counts distinct keys across minutes', hour, 'users', 4],
    ['quantiles over the hour', hour, 'latency', { n: 4, p50: [20, 20], p90: [30, 40], p95: [30, 40], p99: [30, 40] }],
    [
      'topK ties are ordered by value',
      hour,
      'refs',
      {
        total: 4,
        distinctValues: 2,
        top: [
          { value: 'b', count: 2 },
          { value: 'g', count: 2 },
        ],
      },
    ],
  ])('%s', (_what, at, measure, truth) => {
    expect(at.measures[measure]).toEqual(truth);
  });

  it('leaves out types the declaration does not take', () => {
    expect(minute('/a').events).toBe(4);
    expect(hour.events).toBe(5);
  });

  it('keeps one item per group and window, sorted by window start then group', () => {
    const m = file.aggregates.find((a) => a.window === '1m')!;
    expect(m.items.map((i) => [i.windowStart, i.group['attributes.page']])).toEqual([
      ['2026-11-23T09:44:00.000Z', '/a'],
      ['2026-11-23T09:44:00.000Z', null],
      ['2026-11-23T09:45:00.000Z', '/a'],
    ]);
    expect(file.aggregates.map((a) => `${a.name} ${a.window}`)).toEqual(['pages 1m', 'pages 1h']);
  });

  it('says the file ignores lateness, and covers the events accepted', () => {
    expect(file).toMatchObject({
      version: 2,
      events: 7,
      lateness: 'ignored',
      eventTime: { from: '2026-11-23T09:44:10.000Z', to: '2026-11-23T09:45:01.000Z' },
    });
    // No by_key in the declarations: no v1 part.
    expect(file.items).toBeUndefined();
  });

  it('gives null for min, max and avg, and no quantiles, when no event had a number', () => {
    const e = new ExpectedAggregates(parseDeclarations({ version: 2, aggregates: [PAGES] }));
    e.add(event('page_view', 'u1', { page: '/b', ms: 'slow' }));
    expect(e.toJSON().aggregates[0].items[0].measures).toEqual({
      views: 1,
      total: 0,
      low: null,
      high: null,
      mean: null,
      users: 1,
      latency: { n: 0 },
      refs: { total: 0, distinctValues: 0, top: [] },
    });
  });

  it('groups numbers and booleans as strings, and keeps only the top values of a topK', () => {
    const e = new ExpectedAggregates(parseDeclarations({ version: 2, aggregates: [PAGES] }));
    for (let i = 0; i < 40; i++) {
      for (let j = 0; j <= i; j++)
        e.add(event('page_view', `u${j}`, { page: 7, ref: `r${String(i).padStart(2, '0')}` }));
    }
    e.add(event('page_view', 'u0', { page: true }));
    const [seven, yes] = e.toJSON().aggregates[0].items;
    expect(seven.group).toEqual({ 'attributes.page': '7' });
    expect(yes.group).toEqual({ 'attributes.page': 'true' });
    const refs = seven.measures.refs as ExpectedTop;
    expect(refs.total).toBe(820);
    expect(refs.distinctValues).toBe(40);
    expect(refs.top).toHaveLength(keptTopValues(2));
    expect(refs.top[0]).toEqual({ value: 'r39', count: 40 });
  });
});

describe('ExpectedAggregates: the v1 part', () => {
  it('writes by_key as v1 rows with exact decimal sums, sorted by window, type and key', () => {
    const e = new ExpectedAggregates(parseDeclarations({ version: 2, aggregates: [BY_KEY] }));
    for (let i = 0; i < 10; i++) e.add({ eventId: `${i}`, eventTime: T, type: 'b', key: 'k', value: 0.1 });
    e.add({ eventId: 'x', eventTime: '2026-11-23T11:44:59+02:00', type: 'a', key: 'z', value: -2.5 });
    e.add({ eventId: 'y', eventTime: T + 60_000, type: 'a', key: 'a' });
    const file = e.toJSON();
    expect(file.windowSeconds).toBe(60);
    expect(file.items).toEqual([
      { type: 'a', key: 'z', windowStart: '2026-11-23T09:44:00.000Z', count: 1, sum: -2.5, min: -2.5, max: -2.5 },
      { type: 'b', key: 'k', windowStart: '2026-11-23T09:44:00.000Z', count: 10, sum: 1, min: 0.1, max: 0.1 },
      { type: 'a', key: 'a', windowStart: '2026-11-23T09:45:00.000Z', count: 1, sum: 1, min: 1, max: 1 },
    ]);
    expect(file.aggregates[0].items.map((i) => i.group)).toEqual([
      { type: 'a', key: 'z' },
      { type: 'b', key: 'k' },
      { type: 'a', key: 'a' },
    ]);
  });

  it('writes one item per line, the same JSON as toJSON', () => {
    const e = new ExpectedAggregates(parseDeclarations({ version: 2, aggregates: [BY_KEY, PAGES] }));
    e.add({ eventId: 'a', eventTime: T, type: 'page_view', key: 'k', attributes: { page: '/a', ms: 3 } });
    e.add({ eventId: 'b', eventTime: T + 60_000, type: 'click', key: 'k' });
    const text = formatExpectFile(e.toJSON());
    expect(JSON.parse(text)).toEqual(e.toJSON());
    const lines = text.split('\n');
    expect(lines.filter((l) => l.startsWith('  {"group":'))).toHaveLength(4);
    expect(lines.filter((l) => l.startsWith(' {"type":'))).toHaveLength(2);
    const empty = formatExpectFile(
      new ExpectedAggregates(parseDeclarations({ version: 2, aggregates: [PAGES] })).toJSON(),
    );
    expect(empty).toMatch(
      /^\{"version":2,"events":0,"lateness":"ignored",\n"aggregates":\[\n \{"name":"pages","window":"1m",.*"items":\[\]\},\n \{"name":"pages","window":"1h",.*"items":\[\]\}\n\]\}\n$/,
    );
  });

  it('refuses an event the contract refuses', () => {
    const e = new ExpectedAggregates(parseDeclarations({ version: 2, aggregates: [BY_KEY] }));
    expect(() => e.add({ eventId: '', eventTime: 0, type: 't', key: 'k' })).toThrow(/eventId/);
  });
});

describe('rankPair', () => {
  it.each([
    [0.5, 1, [1, 1]],
    [0.5, 2, [1, 1]],
    [0.5, 4, [2, 2]],
    [0.9, 12, [10, 11]],
    [0.99, 3, [2, 3]],
    [0.07, 100, [7, 7]],
    [1, 5, [5, 5]],
  ])('q %d of %d values: ranks %j', (q, n, ranks) => {
    expect(rankPair(q, n)).toEqual(ranks);
  });
});

describe('ExactSum', () => {
  it.each([
    [[0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], 1],
    [[1e16, 1, -1e16], 1],
    [[1e15, 0.001, -1e15, 0.002], 0.003],
    [[], 0],
    [[-0.5, 0.5], 0],
  ])('sums %j to %d', (values, total) => {
    const s = new ExactSum();
    for (const v of values) s.add(v);
    expect(s.value()).toBe(total);
  });
});
