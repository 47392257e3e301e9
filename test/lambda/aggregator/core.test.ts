import { describe, expect, it } from 'vitest';
import {
  type DecodedEvent,
  type InputRecord,
  type PoisonRecord,
  decodeBatch,
  deltaAfter,
  deltaBounds,
  deltaStates,
  earliestRecordIndex,
  preAggregate,
  watermarkOf,
} from '../../../lambda/aggregator/core';
import { type AggregatePlan, planAggregates } from '../../../lambda/shared/aggregate-plan';
import { parseDeclarations } from '../../../lambda/shared/declarations';
import { MEASURES } from '../../../lambda/shared/measures';
import { kplAggregate, sequenceNumbers, streamRecords } from '../../support/kinesis-events';
import { mulberry32 } from '../shared/sketches/random';

// 09:44 UTC: a minute boundary, 16 minutes before an hour boundary.
const T0 = Date.UTC(2026, 10, 23, 9, 44);
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY_SECONDS = 86_400;
const SHARD = 'shardId-000000000000';

function event(i: number, extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      eventId: `e-${i}`,
      eventTime: T0 + i * SECOND,
      type: 'click',
      key: `k${i % 3}`,
      value: i,
      ...extra,
    }),
  );
}

function inputs(payloads: { partitionKey: string; data: Buffer }[]): InputRecord[] {
  return streamRecords(payloads).map((r) => ({
    shardId: SHARD,
    sequenceNumber: r.sequenceNumber,
    partitionKey: r.partitionKey,
    data: r.data.toString('base64'),
    approximateArrivalTimestamp: r.approximateArrivalTimestamp,
  }));
}

describe('decodeBatch', () => {
  it('decodes plain records with their event time and arrival', () => {
    const records = inputs([0, 1, 2].map((i) => ({ partitionKey: `k${i}`, data: event(i) })));
    const batch = decodeBatch(records);
    expect(batch.poison).toEqual([]);
    expect(batch.userRecords).toBe(3);
    const arrival = records[0].approximateArrivalTimestamp * 1000;
    expect(batch.events.map((e) => [e.recordIndex, e.sub, e.type, e.key, e.value, e.eventTimeMs, e.arrivalMs])).toEqual(
      [
        [0, 0, 'click', 'k0', 0, T0, arrival],
        [1, 0, 'click', 'k1', 1, T0 + SECOND, arrival],
        [2, 0, 'click', 'k2', 2, T0 + 2 * SECOND, arrival],
      ],
    );
  });

  it('keeps attributes, reads ISO event times and turns the fractional arrival into milliseconds', () => {
    const data = Buffer.from(
      JSON.stringify({
        eventId: 'a',
        eventTime: '2026-11-23T10:44:05.250+01:00',
        type: 'page_view',
        key: 'u1',
        attributes: { page: '/home', latencyMs: 12 },
      }),
    );
    const record: InputRecord = {
      shardId: SHARD,
      sequenceNumber: '1',
      partitionKey: 'u1',
      data: data.toString('base64'),
      approximateArrivalTimestamp: 1_795_427_046.123,
    };
    const [e] = decodeBatch([record]).events;
    expect(e).toEqual({
      recordIndex: 0,
      sub: 0,
      type: 'page_view',
      key: 'u1',
      // The event contract's default when `value` is absent.
      value: 1,
      eventTimeMs: T0 + 5_250,
      arrivalMs: 1_795_427_046_123,
      attributes: { page: '/home', latencyMs: 12 },
    });
  });

  it('de-aggregates KPL records made by aws-kinesis-agg, keeping each user record position', () => {
    const users = Array.from({ length: 7 }, (_, i) => ({ partitionKey: `k${i % 3}`, data: event(i) }));
    const batch = decodeBatch(inputs(kplAggregate(users, 3)));
    expect(batch.userRecords).toBe(7);
    expect(batch.poison).toEqual([]);
    expect(batch.events.map((e) => [e.recordIndex, e.sub, e.value])).toEqual([
      [0, 0, 0],
      [0, 1, 1],
      [0, 2, 2],
      [1, 0, 3],
      [1, 1, 4],
      [1, 2, 5],
      [2, 0, 6],
    ]);
  });

  it('mixes KPL and plain records in one batch', () => {
    const aggregated = kplAggregate(
      [0, 1].map((i) => ({ partitionKey: 'k', data: event(i) })),
      2,
    );
    const batch = decodeBatch(inputs([...aggregated, { partitionKey: 'k', data: event(2) }]));
    expect(batch.events.map((e) => [e.recordIndex, e.sub, e.value])).toEqual([
      [0, 0, 0],
      [0, 1, 1],
      [1, 0, 2],
    ]);
  });

  it('decodes every kind of record in one batch in record order, each as it decodes alone', () => {
    const [aggregated] = kplAggregate(
      [10, 11].map((i) => ({ partitionKey: 'k', data: event(i) })),
      2,
    );
    const payloads = [
      event(0),
      Buffer.from('null'),
      event(2, { key: 'größe' }),
      Buffer.from('{"broken":'),
      aggregated.data,
      Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
      event(6, { value: 'high' }),
      event(7),
      Buffer.from('"a JSON string"'),
      Buffer.from(JSON.stringify({ pad: 'x'.repeat(300 * 1024) })),
      event(10, { attributes: { s: '???>>>' } }),
    ].map((data) => ({ partitionKey: 'k', data }));
    const records = inputs(payloads);
    // base64url, which atob refuses and Buffer.from reads: decoded from its bytes, in its place.
    records[10] = {
      ...records[10],
      data: records[10].data.replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, ''),
    };
    expect(records[10].data).toMatch(/[-_]/);
    const whole = decodeBatch(records);
    const alone = records.map((record, i) => {
      const batch = decodeBatch([record]);
      const at = (r: { recordIndex: number }) => ({ ...r, recordIndex: i });
      return { events: batch.events.map(at), poison: batch.poison.map(at) };
    });
    expect(whole.events).toEqual(alone.flatMap((b) => b.events));
    expect(whole.poison).toEqual(alone.flatMap((b) => b.poison));
    expect(whole.events.map((e) => [e.recordIndex, e.sub, e.key])).toEqual([
      [0, 0, 'k0'],
      [2, 0, 'größe'],
      [4, 0, 'k1'],
      [4, 1, 'k2'],
      [7, 0, 'k1'],
      [10, 0, 'k1'],
    ]);
    expect(whole.poison.map((p) => [p.recordIndex, p.reason.split(':')[0]])).toEqual([
      [1, 'event'],
      [3, 'record'],
      [5, 'record'],
      [6, 'value'],
      [8, 'event'],
      [9, 'record'],
    ]);
    expect(whole.poison[5].reason).toMatch(/bytes, over the/);
    expect(whole.userRecords).toBe(12);
  });

  it('turns a KPL record with a broken checksum into one poison record, whole', () => {
    const [aggregated] = kplAggregate(
      [0, 1].map((i) => ({ partitionKey: 'k', data: event(i) })),
      2,
    );
    const damaged = Buffer.from(aggregated.data);
    damaged[damaged.length - 1] ^= 0xff;
    const batch = decodeBatch(inputs([{ partitionKey: 'k', data: damaged }]));
    expect(batch.events).toEqual([]);
    expect(batch.userRecords).toBe(1);
    expect(batch.poison).toHaveLength(1);
    expect(batch.poison[0].reason).toMatch(/KPL/);
    expect(batch.poison[0].subSequenceNumber).toBeUndefined();
    expect(batch.poison[0].data.equals(damaged)).toBe(true);
  });

  it('keeps a poison user record inside a KPL record with its sub-sequence number', () => {
    const users = [event(0), Buffer.from('{"broken":'), event(2)].map((data) => ({ partitionKey: 'k', data }));
    const batch = decodeBatch(inputs(kplAggregate(users, 3)));
    expect(batch.userRecords).toBe(3);
    expect(batch.events.map((e) => e.sub)).toEqual([0, 2]);
    expect(batch.poison).toMatchObject([{ recordIndex: 0, subSequenceNumber: 1, reason: 'record: not JSON' }]);
  });

  it.each([
    ['not JSON', Buffer.from('hello'), 'record: not JSON'],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'record: not valid UTF-8'],
    ['oversized', Buffer.from(JSON.stringify({ pad: 'x'.repeat(300 * 1024) })), 'record: '],
    ['a JSON array', Buffer.from('[1]'), 'event: '],
    ['a bad field', event(1, { value: 'high' }), 'value: '],
  ])('never throws on %s: it becomes poison with a reason', (_name, data, reason) => {
    const batch = decodeBatch(inputs([{ partitionKey: 'k', data }]));
    expect(batch.events).toEqual([]);
    expect(batch.poison).toHaveLength(1);
    expect(batch.poison[0].reason.startsWith(reason)).toBe(true);
    expect(batch.poison[0].data.equals(data)).toBe(true);
    expect(batch.poison[0].subSequenceNumber).toBeUndefined();
  });
});

/** One event as a test states it; times are milliseconds after T0. */
interface Spec {
  readonly type?: string;
  readonly key?: string;
  readonly value?: number;
  readonly at?: number;
  /** When the record reached the stream; one second after the event by default. */
  readonly arrival?: number;
  readonly attributes?: Record<string, unknown>;
}

/** Events as decodeBatch makes them, so every test sees what the aggregator sees. */
function decoded(specs: readonly Spec[]): DecodedEvent[] {
  const seqs = sequenceNumbers(specs.length);
  const records = specs.map((s, i): InputRecord => {
    const at = s.at ?? 0;
    const body = {
      eventId: `e-${i}`,
      eventTime: T0 + at,
      type: s.type ?? 'click',
      key: s.key ?? 'k',
      value: s.value,
      attributes: s.attributes,
    };
    return {
      shardId: SHARD,
      sequenceNumber: seqs[i],
      partitionKey: body.key,
      data: Buffer.from(JSON.stringify(body)).toString('base64'),
      approximateArrivalTimestamp: (T0 + (s.arrival ?? at + SECOND)) / 1000,
    };
  });
  const batch = decodeBatch(records);
  expect(batch.poison).toEqual([]);
  return batch.events;
}

function declaration(fields: Record<string, unknown>): Record<string, unknown> {
  return { name: 'a', types: ['*'], groupBy: [], windows: ['1m'], measures: { n: { op: 'count' } }, ...fields };
}

function planOf(aggregates: readonly Record<string, unknown>[], defaultLatenessSeconds = DAY_SECONDS): AggregatePlan {
  return planAggregates(parseDeclarations({ version: 2, aggregates }), defaultLatenessSeconds);
}

interface Row {
  readonly aggregate: string;
  readonly window: string;
  readonly windowStart: string;
  readonly group: readonly (string | null)[];
  readonly entries: readonly number[];
  readonly measures: Record<string, unknown>;
}

/** Each delta with its measures answered as a reader would see them. */
function rows(plan: AggregatePlan, events: readonly DecodedEvent[]): Row[] {
  return preAggregate(events, plan).deltas.map((d) => {
    const states = deltaStates(d, events);
    return {
      aggregate: d.aggregate.name,
      window: d.aggregate.declaration.windows[d.window],
      windowStart: new Date(d.windowStartMs).toISOString(),
      group: d.group,
      entries: d.entries,
      measures: Object.fromEntries(
        d.aggregate.measures.map((m) => [m.name, MEASURES[m.declaration.op].answer(states.get(m.name))]),
      ),
    };
  });
}

/** The quantile sketch's guarantee: within its relative accuracy of the value at the nearest rank. */
function near(expected: number, relativeAccuracy = 0.01): unknown {
  return expect.toSatisfy(
    (actual: unknown) =>
      typeof actual === 'number' && Math.abs(actual - expected) <= relativeAccuracy * Math.abs(expected),
    `within ${relativeAccuracy * 100} % of ${expected}`,
  );
}

const values = (...vs: number[]): Spec[] => vs.map((value) => ({ value }));
const keys = (...ks: string[]): Spec[] => ks.map((key) => ({ key }));
const referrers = (...rs: unknown[]): Spec[] => rs.map((referrer) => ({ attributes: { referrer } }));
const ISO_T0 = new Date(T0).toISOString();

describe('preAggregate', () => {
  it.each<[string, Record<string, unknown>, Spec[], unknown]>([
    ['count counts every event', { op: 'count' }, [{}, { value: 5 }, { attributes: {} }], 3],
    ['sum adds the values', { op: 'sum', of: 'value' }, values(2.5, 1, -4), -0.5],
    ['sum keeps 0.1 + 0.2 exact', { op: 'sum', of: 'value' }, values(0.1, 0.2), 0.3],
    ['sum keeps a thousand 0.1 exact', { op: 'sum', of: 'value' }, values(...Array<number>(1000).fill(0.1)), 100],
    // An event without `value` has value 1 under the event contract, as in v1.
    ['sum counts a missing value as 1', { op: 'sum', of: 'value' }, [{ value: 2 }, {}], 3],
    ['min takes the lowest', { op: 'min', of: 'value' }, values(2.5, 1, -4), -4],
    ['max takes the highest', { op: 'max', of: 'value' }, values(2.5, 1, -4), 2.5],
    ['avg divides the sum by the count', { op: 'avg', of: 'value' }, values(1, 2, 3, 4), 2.5],
    ['avg of decimals is exact', { op: 'avg', of: 'value' }, values(0.1, 0.2), 0.15],
    ['distinct counts distinct values', { op: 'distinct', of: 'key' }, keys('a', 'b', 'a', 'c', 'b'), 3],
    [
      'quantiles answer the nearest rank',
      { op: 'quantiles', of: 'value' },
      values(...Array.from({ length: 100 }, (_, i) => 100 - i)),
      { p50: near(50), p90: near(90), p95: near(95), p99: near(99) },
    ],
    [
      'topK lists the k most frequent, highest first',
      { op: 'topK', of: 'attributes.referrer', k: 2 },
      referrers('a', 'b', 'a', 'c', 'a', 'b'),
      [
        { value: 'a', count: 3 },
        { value: 'b', count: 2 },
      ],
    ],
  ])('%s', (_name, measure, specs, expected) => {
    const events = decoded(specs);
    const [row, ...others] = rows(planOf([declaration({ measures: { m: measure } })]), events);
    expect(others).toEqual([]);
    expect(row.entries).toEqual(specs.map((_, i) => i));
    expect(row.measures.m).toEqual(expected);
  });

  it('gives each declared measure of one aggregate its answer from the same events', () => {
    const events = decoded([
      { key: 'u1', value: 10, attributes: { ref: 'x' } },
      { key: 'u2', value: 30, attributes: { ref: 'y' } },
      { key: 'u1', value: 20, attributes: { ref: 'x' } },
    ]);
    const measures = {
      n: { op: 'count' },
      total: { op: 'sum', of: 'value' },
      lo: { op: 'min', of: 'value' },
      hi: { op: 'max', of: 'value' },
      mean: { op: 'avg', of: 'value' },
      users: { op: 'distinct', of: 'key' },
      lat: { op: 'quantiles', of: 'value' },
      refs: { op: 'topK', of: 'attributes.ref', k: 1 },
    };
    expect(rows(planOf([declaration({ measures })]), events)).toEqual([
      {
        aggregate: 'a',
        window: '1m',
        windowStart: ISO_T0,
        group: [],
        entries: [0, 1, 2],
        measures: {
          n: 3,
          total: 60,
          lo: 10,
          hi: 30,
          mean: 20,
          users: 2,
          lat: { p50: near(20), p90: near(30), p95: near(30), p99: near(30) },
          refs: [{ value: 'x', count: 2 }],
        },
      },
    ]);
  });

  it('takes the declared types only, or every type with ["*"]', () => {
    const events = decoded([{ type: 'click' }, { type: 'view' }, { type: 'buy' }, { type: 'click' }]);
    const plan = planOf([
      declaration({ name: 'all', types: ['*'] }),
      declaration({ name: 'some', types: ['click', 'view'] }),
      declaration({ name: 'none', types: ['refund'] }),
    ]);
    expect(rows(plan, events).map((r) => [r.aggregate, r.entries, r.measures.n])).toEqual([
      ['all', [0, 1, 2, 3], 4],
      ['some', [0, 1, 3], 3],
    ]);
  });

  it.each<[string, string[], Spec[], [(string | null)[], number[]][]]>([
    ['[] makes one total per window', [], [{ type: 'click' }, { type: 'view', key: 'x' }], [[[], [0, 1]]]],
    [
      '["type"] makes one group per type',
      ['type'],
      [{ type: 'click' }, { type: 'view' }, { type: 'click' }],
      [
        [['click'], [0, 2]],
        [['view'], [1]],
      ],
    ],
    [
      '["attributes.page"] groups a missing, null, object or array attribute under null, numbers and booleans as strings',
      ['attributes.page'],
      [
        { attributes: { page: '/home' } },
        {},
        { attributes: { other: 1 } },
        { attributes: { page: { path: '/home' } } },
        { attributes: { page: null } },
        { attributes: { page: 42 } },
        { attributes: { page: true } },
        { attributes: { page: ['/home'] } },
        { attributes: { page: '/home' } },
      ],
      [
        [['/home'], [0, 8]],
        [[null], [1, 2, 3, 4, 7]],
        [['42'], [5]],
        [['true'], [6]],
      ],
    ],
    [
      'three fields make one group per combination',
      ['type', 'key', 'attributes.page'],
      [
        { type: 'click', key: 'a', attributes: { page: '/' } },
        { type: 'click', key: 'a' },
        { type: 'view', key: 'a', attributes: { page: '/' } },
        { type: 'click', key: 'b', attributes: { page: '/' } },
        { type: 'click', key: 'a', attributes: { page: '/' } },
      ],
      [
        [
          ['click', 'a', '/'],
          [0, 4],
        ],
        [['click', 'a', null], [1]],
        [['view', 'a', '/'], [2]],
        [['click', 'b', '/'], [3]],
      ],
    ],
    // A string is a value of its own: neither null nor the concatenation of its neighbours.
    [
      'a string "\\u0000" is not a missing attribute',
      ['attributes.page'],
      [{}, { attributes: { page: '\u0000' } }],
      [
        [[null], [0]],
        [['\u0000'], [1]],
      ],
    ],
    [
      'values holding "\\u0001" do not run into one another',
      ['attributes.a', 'attributes.b'],
      [{ attributes: { a: 'x\u0001', b: 'y' } }, { attributes: { a: 'x', b: '\u0001y' } }],
      [
        [['x\u0001', 'y'], [0]],
        [['x', '\u0001y'], [1]],
      ],
    ],
  ])('groupBy %s', (_name, groupBy, specs, expected) => {
    const result = rows(planOf([declaration({ groupBy })]), decoded(specs));
    expect(result.map((r) => [r.group, r.entries])).toEqual(expected);
    expect(result.map((r) => r.measures.n)).toEqual(expected.map(([, entries]) => entries.length));
  });

  it('makes the items of every window size from one pass over the same events', () => {
    // 09:44:00, 09:44:30, 09:45:01, 09:46:05 and 10:00:01.
    const events = decoded([0, 30, 61, 125, 16 * 60 + 1].map((s) => ({ at: s * SECOND })));
    const result = rows(planOf([declaration({ windows: ['1m', '1h'] })]), events);
    expect(result.filter((r) => r.window === '1m').map((r) => [r.windowStart, r.entries])).toEqual([
      ['2026-11-23T09:44:00.000Z', [0, 1]],
      ['2026-11-23T09:45:00.000Z', [2]],
      ['2026-11-23T09:46:00.000Z', [3]],
      ['2026-11-23T10:00:00.000Z', [4]],
    ]);
    expect(result.filter((r) => r.window === '1h').map((r) => [r.windowStart, r.entries])).toEqual([
      ['2026-11-23T09:00:00.000Z', [0, 1, 2, 3]],
      ['2026-11-23T10:00:00.000Z', [4]],
    ]);
  });

  describe('lateness', () => {
    // The event belongs to 09:44-09:45 (1m) and 09:00-10:00 (1h).
    const AT = 5 * SECOND;
    const END_1M = MINUTE;
    const END_1H = 16 * MINUTE;

    function windowsOf(plan: AggregatePlan, arrival: number): { counted: string[]; late: [string, number][] } {
      const events = decoded([{ at: AT, arrival }]);
      const { deltas, late } = preAggregate(events, plan);
      return { counted: deltas.map((d) => d.aggregate.declaration.windows[d.window]), late: [...late] };
    }

    const tenMinutes = planOf([declaration({ windows: ['1m', '1h'], allowedLateness: '10m' })]);

    it.each<[string, number, string[], [string, number][]]>([
      ['on time', AT + SECOND, ['1m', '1h'], []],
      ['exactly 10 minutes after its 1m window ended', END_1M + 10 * MINUTE, ['1m', '1h'], []],
      ['11 minutes after its 1m window ended', END_1M + 11 * MINUTE, ['1h'], [['a', 1]]],
      // Late for both window sizes, the event still counts once.
      ['1 ms past 10 minutes after its 1h window ended', END_1H + 10 * MINUTE + 1, [], [['a', 1]]],
    ])('with allowedLateness "10m", an event that arrives %s', (_name, arrival, counted, late) => {
      expect(windowsOf(tenMinutes, arrival)).toEqual({ counted, late });
    });

    it('takes the default lateness when none is declared, and the declared one over it', () => {
      const arrival = END_1M + 11 * MINUTE;
      const undeclared = [declaration({ windows: ['1m', '1h'] })];
      expect(windowsOf(planOf(undeclared, 600), arrival)).toEqual({ counted: ['1h'], late: [['a', 1]] });
      expect(windowsOf(planOf(undeclared, 3600), arrival)).toEqual({ counted: ['1m', '1h'], late: [] });
      const declared = [declaration({ windows: ['1m', '1h'], allowedLateness: '1h' })];
      expect(windowsOf(planOf(declared, 600), arrival)).toEqual({ counted: ['1m', '1h'], late: [] });
      // "0s" is a lateness of its own, not "no lateness declared".
      const none = [declaration({ windows: ['1m', '1h'], allowedLateness: '0s' })];
      expect(windowsOf(planOf(none, 3600), END_1M + 1)).toEqual({ counted: ['1h'], late: [['a', 1]] });
    });

    it('counts late events per aggregate', () => {
      const plan = planOf([
        declaration({ name: 'strict', allowedLateness: '10m' }),
        declaration({ name: 'lenient', allowedLateness: '1h' }),
      ]);
      const events = decoded([
        { at: AT, arrival: END_1M + 11 * MINUTE },
        { at: AT, arrival: END_1M + 12 * MINUTE },
        { at: AT, arrival: AT },
      ]);
      const { deltas, late } = preAggregate(events, plan);
      expect(deltas.map((d) => [d.aggregate.name, d.entries])).toEqual([
        ['lenient', [0, 1, 2]],
        ['strict', [2]],
      ]);
      expect(Object.fromEntries(late)).toEqual({ strict: 2 });
    });
  });

  it('counts every event, but sums, averages and quantiles only numbers within the event bounds', () => {
    const ms = [10, '20', true, null, undefined, { v: 1 }, 1e16, -1e16, 1e-101, 30, 0];
    const events = decoded(ms.map((v) => ({ attributes: { ms: v } })));
    const measures = {
      n: { op: 'count' },
      total: { op: 'sum', of: 'attributes.ms' },
      mean: { op: 'avg', of: 'attributes.ms' },
      lo: { op: 'min', of: 'attributes.ms' },
      hi: { op: 'max', of: 'attributes.ms' },
      lat: { op: 'quantiles', of: 'attributes.ms' },
    };
    const [row] = rows(planOf([declaration({ measures })]), events);
    // Only 10, 30 and 0 count: p50 is the second of three.
    expect(row.measures).toEqual({
      n: ms.length,
      total: 40,
      mean: 40 / 3,
      lo: 0,
      hi: 30,
      lat: { p50: near(10), p90: near(30), p95: near(30), p99: near(30) },
    });
  });

  it('leaves events without the field out of distinct and topK', () => {
    const events = decoded(referrers('x', undefined, 'y', { nested: 'x' }, null, 5, 'x'));
    const measures = {
      n: { op: 'count' },
      refs: { op: 'topK', of: 'attributes.referrer', k: 5 },
      seen: { op: 'distinct', of: 'attributes.referrer' },
    };
    const [row] = rows(planOf([declaration({ measures })]), events);
    expect(row.measures).toEqual({
      n: 7,
      refs: [
        { value: 'x', count: 2 },
        { value: '5', count: 1 },
        { value: 'y', count: 1 },
      ],
      seen: 3,
    });
  });

  it('returns nothing for no events', () => {
    const { deltas, late } = preAggregate([], planOf([declaration({})]));
    expect(deltas).toEqual([]);
    expect(late.size).toBe(0);
  });

  it('groups as a plain lookup by aggregate, window, start and group does, whatever the time order', () => {
    // Events over three hours, out of order, some late: each group meets several window starts of
    // each size and comes back to earlier ones, which the remembered last item must not confuse.
    const random = mulberry32(21);
    const pick = <T>(options: readonly T[]): T => options[Math.floor(random() * options.length)];
    const specs: Spec[] = Array.from({ length: 3_000 }, () => {
      const at = Math.floor(random() * 3 * 60 * MINUTE);
      return {
        type: pick(['click', 'view', 'buy']),
        key: pick(['a', 'b', 'c', 'd']),
        at,
        arrival: at + pick([SECOND, 5 * MINUTE, 2 * 60 * MINUTE]),
        attributes: random() < 0.2 ? {} : { page: pick(['/', '/x', 3, null, true]) },
      };
    });
    const events = decoded(specs);
    const plan = planOf([
      declaration({ name: 'by_key', groupBy: ['type', 'key'], windows: ['1m', '1h'], allowedLateness: '10m' }),
      declaration({ name: 'by_page', types: ['view', 'buy'], groupBy: ['attributes.page'], windows: ['1h', '1m'] }),
      declaration({ name: 'all', windows: ['1m', '10m', '1h'], allowedLateness: '0s' }),
    ]);
    const expected = new Map<
      string,
      { aggregate: string; window: number; start: number; group: unknown[]; entries: number[] }
    >();
    const late = new Map<string, number>();
    events.forEach((e, i) => {
      for (const aggregate of plan.aggregates) {
        if (!aggregate.matches(e.type)) continue;
        let wasLate = false;
        aggregate.windowsMs.forEach((width, window) => {
          const start = Math.floor(e.eventTimeMs / width) * width;
          if (e.arrivalMs > start + width + aggregate.latenessMs) {
            wasLate = true;
            return;
          }
          const group = aggregate.groupOf(e);
          const id = JSON.stringify([aggregate.name, window, start, group]);
          const item = expected.get(id) ?? { aggregate: aggregate.name, window, start, group, entries: [] };
          item.entries.push(i);
          expected.set(id, item);
        });
        if (wasLate) late.set(aggregate.name, (late.get(aggregate.name) ?? 0) + 1);
      }
    });
    const { deltas, late: counted } = preAggregate(events, plan);
    expect(
      deltas.map((d) => ({
        aggregate: d.aggregate.name,
        window: d.window,
        start: d.windowStartMs,
        group: d.group,
        entries: d.entries,
      })),
    ).toEqual([...expected.values()]);
    expect(counted).toEqual(late);
    expect(Math.min(...late.values())).toBeGreaterThan(0);
  });
});

describe('watermarks', () => {
  const random = mulberry32(7);
  const digits = (n: number): string =>
    String(1 + Math.floor(random() * 9)) + Array.from({ length: n - 1 }, () => Math.floor(random() * 10)).join('');
  // A set: two random 1-digit numbers may well be equal.
  const SEQUENCES = new Set([
    '0',
    '7',
    '31',
    '32',
    '1023',
    '1024',
    '12345678901234567890',
    '99999999999999999999',
    '100000000000000000000',
    '49650000000000000000000000000000000000000000000000000001',
    '49650000000000000000000000000000000000000000000000000002',
    '9'.repeat(56),
    `1${'0'.repeat(128)}`,
    '9'.repeat(129),
    ...[1, 2, 19, 20, 21, 55, 56, 57, 128, 129].flatMap((n) => [digits(n), digits(n)]),
  ]);
  const SUBS = [0, 1, 31, 32, 1000, 2 ** 31 - 1];

  it('orders positions as BigInt order of the sequence number, then the sub-sequence number', () => {
    const positions = [...SEQUENCES].flatMap((seq) =>
      SUBS.map((sub) => ({ seq: BigInt(seq), sub, mark: watermarkOf(seq, sub) })),
    );
    const byNumber = [...positions].sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : a.sub - b.sub));
    const byMark = [...positions].sort((a, b) => (a.mark < b.mark ? -1 : a.mark > b.mark ? 1 : 0));
    expect(byMark.map((p) => [p.seq, p.sub])).toEqual(byNumber.map((p) => [p.seq, p.sub]));
    expect(new Set(positions.map((p) => p.mark)).size).toBe(positions.length);
  });

  it('is far shorter than a padded decimal position', () => {
    // 129 + 11 digits zero-padded would be 140 characters on every item, for every shard.
    expect(watermarkOf('9'.repeat(56), 0).length).toBeLessThanOrEqual(48);
    expect(watermarkOf('9'.repeat(129), 2 ** 31 - 1).length).toBeLessThanOrEqual(96);
  });

  /** Two KPL records of three users, a plain record, and a second group in between. */
  function batch(): { records: InputRecord[]; events: DecodedEvent[]; seq: (i: number) => string } {
    const users = [0, 1, 2, 3, 4, 5].map((i) => ({
      partitionKey: 'k',
      data: event(i, { key: i === 4 ? 'other' : 'k' }),
    }));
    const records = inputs([...kplAggregate(users, 3), { partitionKey: 'k', data: event(6, { key: 'k' }) }]);
    const { events } = decodeBatch(records);
    return { records, events, seq: (i: number) => records[i].sequenceNumber };
  }

  const byKey = planOf([
    declaration({ groupBy: ['key'], measures: { n: { op: 'count' }, s: { op: 'sum', of: 'value' } } }),
  ]);

  it('bounds a delta by its first and last user records', () => {
    const { records, events, seq } = batch();
    const [k, other] = preAggregate(events, byKey).deltas;
    expect(k.entries).toEqual([0, 1, 2, 3, 5, 6]);
    expect(deltaBounds(k, events, seq)).toEqual({
      first: watermarkOf(records[0].sequenceNumber, 0),
      last: watermarkOf(records[2].sequenceNumber, 0),
    });
    expect(deltaBounds(other, events, seq)).toEqual({
      first: watermarkOf(records[1].sequenceNumber, 1),
      last: watermarkOf(records[1].sequenceNumber, 1),
    });
  });

  it.each<[string, (records: InputRecord[]) => string, number[] | undefined]>([
    ['below the batch', () => watermarkOf('1', 0), [0, 1, 2, 3, 5, 6]],
    ['on the first record', (r) => watermarkOf(r[0].sequenceNumber, 0), [1, 2, 3, 5, 6]],
    ['on the last user of a KPL record', (r) => watermarkOf(r[0].sequenceNumber, 2), [3, 5, 6]],
    ['inside a KPL record', (r) => watermarkOf(r[1].sequenceNumber, 0), [5, 6]],
    ['on a record of another group', (r) => watermarkOf(r[1].sequenceNumber, 1), [5, 6]],
    ['between two sub-sequence numbers', (r) => watermarkOf(r[1].sequenceNumber, 3), [6]],
    ['on the last record', (r) => watermarkOf(r[2].sequenceNumber, 0), undefined],
    ['above the batch', () => watermarkOf('9'.repeat(60), 0), undefined],
  ])('deltaAfter a watermark %s keeps exactly the records after it', (_name, mark, expected) => {
    const { records, events, seq } = batch();
    const [delta] = preAggregate(events, byKey).deltas;
    const rest = deltaAfter(delta, events, mark(records), seq);
    expect(rest?.entries).toEqual(expected);
    if (rest === undefined) return;
    if (expected!.length === delta.entries.length) expect(rest).toBe(delta);
    expect(rest).toMatchObject({ aggregate: delta.aggregate, window: 0, windowStartMs: T0, group: ['k'] });
    // The measures of what is left are those of the remaining events alone.
    const states = deltaStates(rest, events);
    expect(MEASURES.count.answer(states.get('n'))).toBe(expected!.length);
    expect(MEASURES.sum.answer(states.get('s'))).toBe(expected!.reduce((total, i) => total + i, 0));
  });

  it('earliestRecordIndex takes the first record of any delta or poison record', () => {
    const events = decoded([{ key: 'a' }, { key: 'b' }, { key: 'a' }]);
    const [a, b] = preAggregate(events, planOf([declaration({ groupBy: ['key'] })])).deltas;
    const poison = { recordIndex: 0 } as PoisonRecord;
    expect(earliestRecordIndex([b], events, [])).toBe(1);
    expect(earliestRecordIndex([b, a], events, [])).toBe(0);
    expect(earliestRecordIndex([b], events, [poison])).toBe(0);
    expect(earliestRecordIndex([], events, [])).toBeUndefined();
  });
});
