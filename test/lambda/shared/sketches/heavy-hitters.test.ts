import { describe, expect, it } from 'vitest';
import { HeavyHitters, MAX_VALUE_LENGTH } from '../../../../lambda/shared/sketches/heavy-hitters';
import { mergeRandomly, mulberry32, shuffle, splitRandomly } from './random';

const DISTINCT = 10_000;

/** 120,000 draws from a Zipf(1) law over 10,000 values whose names do not follow the ranks. */
function zipfStream(seed: number, length = 120_000): string[] {
  const random = mulberry32(seed);
  const names = shuffle(
    Array.from({ length: DISTINCT }, (_, i) => `item-${i}`),
    random,
  );
  const cumulative = new Float64Array(DISTINCT);
  let sum = 0;
  for (let i = 0; i < DISTINCT; i++) cumulative[i] = sum += 1 / (i + 1);
  return Array.from({ length }, () => {
    const target = random() * sum;
    let low = 0;
    let high = DISTINCT - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (cumulative[middle] < target) low = middle + 1;
      else high = middle;
    }
    return names[low];
  });
}

function exactCounts(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

function summaryOf(values: readonly string[], k: number, capacity?: number): HeavyHitters {
  const summary = new HeavyHitters(k, capacity);
  for (const value of values) summary.add(value);
  return summary;
}

function expectContract(summary: HeavyHitters, truth: Map<string, number>): void {
  const { k, total } = summary;
  const top = summary.top();
  expect(top.length).toBeLessThanOrEqual(k);
  const listed = new Set(top.map((entry) => entry.value));
  const heavy = [...truth].filter(([, count]) => count > total / k);
  expect(heavy.length).toBeGreaterThan(0);
  for (const [value] of heavy) expect(listed, `heavy value ${value}`).toContain(value);
  for (const { value, count } of top) {
    const exact = truth.get(value) ?? 0;
    expect(count, value).toBeGreaterThanOrEqual(exact);
    expect(count - exact, value).toBeLessThanOrEqual(total / k);
    // The tighter bound the summary actually keeps.
    expect(count - exact, value).toBeLessThanOrEqual(total / (summary.capacity + 1));
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

describe('HeavyHitters', () => {
  it.each([10, 100])(
    'lists every value above total/k of a Zipf stream with k = %i',
    (k) => {
      const values = zipfStream(k);
      const summary = summaryOf(values, k);
      expect(summary.total).toBe(values.length);
      expectContract(summary, exactCounts(values));
    },
    120_000,
  );

  it.each([10, 100])(
    'keeps the same guarantee when 37 parts are merged in a random tree, k = %i',
    (k) => {
      const random = mulberry32(k + 1);
      const values = zipfStream(k + 1);
      const parts = splitRandomly(values, 37, random).map((part) => summaryOf(part, k));
      const merged = mergeRandomly(parts, random, (into, from) => into.merge(from));
      expect(merged.total).toBe(values.length);
      expectContract(merged, exactCounts(values));
      const heavy = summaryOf(values, k)
        .top()
        .filter((entry) => entry.count > values.length / k)
        .map((entry) => entry.value);
      expect(merged.top().map((entry) => entry.value)).toEqual(expect.arrayContaining(heavy));
    },
    120_000,
  );

  it.each([10, 100])(
    'keeps the guarantee when folded a batch at a time with addAt, through encodings, k = %i',
    (k) => {
      const random = mulberry32(k + 2);
      const values = zipfStream(k + 2);
      // As the aggregator folds: a column of the batch's values with holes, read through indices, and
      // the summary stored and read back between batches.
      let summary = new HeavyHitters(k);
      for (const part of splitRandomly(values, 23, random)) {
        const column = part.flatMap((value) => [value, undefined]);
        summary.addAt(
          column,
          part.map((_, i) => 2 * i),
        );
        summary = HeavyHitters.decode(summary.encode());
      }
      expect(summary.total).toBe(values.length);
      expectContract(summary, exactCounts(values));
    },
    120_000,
  );

  it('gives what add gives, value for value, while the distinct values counted fit in 2·capacity', () => {
    const values = zipfStream(5, 20_000).map((value) => `v${Number(value.slice(5)) % 60}`);
    const folded = new HeavyHitters(10);
    folded.addAt(
      [undefined, ...values],
      values.map((_, i) => i + 1),
    );
    expect(hex(folded.encode())).toBe(hex(summaryOf(values, 10).encode()));
    expect(folded.top(60)).toEqual(summaryOf(values, 10).top(60));
  });

  it('meets the contract with capacity = k too', () => {
    const values = zipfStream(3);
    expectContract(summaryOf(values, 10, 10), exactCounts(values));
  });

  it('is exact and order independent while the distinct values fit', () => {
    const random = mulberry32(4);
    const values = zipfStream(4, 100_000).map((value) => `v${Number(value.slice(5)) % 30}`);
    const truth = exactCounts(values);
    expect(truth.size).toBe(30);
    const onePass = summaryOf(values, 10);
    const reordered = summaryOf(shuffle([...values], random), 10);
    const batches = splitRandomly(values, 37, random).map((part) => summaryOf(part, 10));
    const merged = mergeRandomly(batches, random, (into, from) => into.merge(from));
    const [first, ...rest] = splitRandomly(values, 5, random).map((part) => summaryOf(part, 10));
    for (const part of rest) first.merge(part);
    const mergedInOrder = first;
    for (const summary of [reordered, merged, mergedInOrder]) expect(hex(summary.encode())).toBe(hex(onePass.encode()));
    for (const { value, count } of onePass.top(30)) expect(count).toBe(truth.get(value));
  });

  it('orders by count, then by value', () => {
    const summary = new HeavyHitters(3);
    summary.add('b', 5);
    summary.add('a', 5);
    summary.add('c', 9);
    summary.add('d');
    expect(summary.top()).toEqual([
      { value: 'c', count: 9 },
      { value: 'a', count: 5 },
      { value: 'b', count: 5 },
    ]);
    expect(summary.top(1)).toEqual([{ value: 'c', count: 9 }]);
    expect(summary.top(100)).toHaveLength(4);
    expect(summary.top(0)).toEqual([]);
    expect(summary.total).toBe(20);
  });

  it('defaults the capacity to 3k', () => {
    expect(new HeavyHitters(10)).toMatchObject({ k: 10, capacity: 30 });
    expect(new HeavyHitters(10, 10)).toMatchObject({ k: 10, capacity: 10 });
  });

  it('adds weighted counts like repeated adds', () => {
    const weighted = new HeavyHitters(2);
    const repeated = new HeavyHitters(2);
    for (const [value, count] of [
      ['x', 3],
      ['y', 1],
      ['x', 2],
    ] as const) {
      weighted.add(value, count);
      for (let i = 0; i < count; i++) repeated.add(value);
    }
    expect(hex(weighted.encode())).toBe(hex(repeated.encode()));
  });

  it('merges a summary into itself as a doubling', () => {
    const summary = summaryOf(['a', 'a', 'b'], 2);
    summary.merge(summary);
    expect(summary.total).toBe(6);
    expect(summary.top()).toEqual([
      { value: 'a', count: 4 },
      { value: 'b', count: 2 },
    ]);
  });

  it(`cuts values to ${MAX_VALUE_LENGTH} UTF-16 code units without splitting a pair`, () => {
    const summary = new HeavyHitters(3);
    summary.add('k'.repeat(300));
    summary.add('k'.repeat(256) + 'other');
    summary.add('é'.repeat(255) + '😀');
    expect(summary.top()).toEqual([
      { value: 'k'.repeat(256), count: 2 },
      { value: 'é'.repeat(255), count: 1 },
    ]);
  });

  it('stores lone surrogates as UTF-8 would, so decoding gives the same values', () => {
    const summary = new HeavyHitters(2);
    summary.add('a\uD800b');
    summary.add('a\uFFFDb');
    summary.add('\uFEFFbom');
    expect(summary.top()).toEqual([
      { value: 'a\uFFFDb', count: 2 },
      { value: '\uFEFFbom', count: 1 },
    ]);
    expect(HeavyHitters.decode(summary.encode()).top()).toEqual(summary.top());
  });

  it('rejects bad arguments', () => {
    for (const k of [0, -1, 1.5, NaN]) expect(() => new HeavyHitters(k)).toThrow(/k must be/);
    expect(() => new HeavyHitters(10, 9)).toThrow(/capacity must be 10\.\./);
    const summary = new HeavyHitters(2);
    for (const count of [0, -1, 0.5, Infinity]) expect(() => summary.add('x', count)).toThrow(/positive integer/);
    expect(() => summary.top(-1)).toThrow(/limit/);
    expect(() => summary.merge(new HeavyHitters(2, 7))).toThrow(/capacity 6 and 7/);
  });

  it.each([
    ['an empty summary', []],
    ['a few values', ['a', 'b', 'a', '東京', '']],
    ['a reduced Zipf stream', zipfStream(5, 20_000)],
  ])('round-trips %s through encode and decode', (_name, values: string[]) => {
    const summary = summaryOf(values, 4);
    const decoded = HeavyHitters.decode(summary.encode());
    expect(decoded).toMatchObject({ k: 4, capacity: 12, total: values.length });
    expect(decoded.top(12)).toEqual(summary.top(12));
    expect(hex(decoded.encode())).toBe(hex(summary.encode()));
  });

  it('keeps adding and merging after a decode', () => {
    const values = zipfStream(6, 30_000);
    const decoded = HeavyHitters.decode(summaryOf(values.slice(0, 10_000), 10).encode());
    for (const value of values.slice(10_000, 20_000)) decoded.add(value);
    decoded.merge(HeavyHitters.decode(summaryOf(values.slice(20_000), 10).encode()));
    expectContract(decoded, exactCounts(values));
  });

  it.each([
    [10, 1_000],
    [100, 8_000],
  ])('encodes k = %i over short values in under %i bytes', (k, bound) => {
    expect(summaryOf(zipfStream(7), k).encode().length).toBeLessThan(bound);
  });

  const encoded = summaryOf(['a', 'b', 'b'], 1, 2).encode();
  const garbage = mulberry32(99);
  it.each([
    ['an empty array', new Uint8Array(0), /truncated/],
    ['another magic byte', Uint8Array.of(0x48, 1), /not a HeavyHitters/],
    ['an unknown version', Uint8Array.of(0x4d, 3), /version 3/],
    ['k of 0', Uint8Array.of(0x4d, 1, 0, 2, 0, 0), /bad k 0/],
    ['capacity below k', Uint8Array.of(0x4d, 1, 3, 2, 0, 0), /capacity 2/],
    ['more entries than capacity', Uint8Array.of(0x4d, 1, 1, 1, 2, 2, 1, 0x61, 1, 1, 0x62, 1), /exceed capacity/],
    ['a truncated value', Uint8Array.of(0x4d, 1, 1, 2, 1, 1, 5, 0x61), /truncated/],
    ['invalid UTF-8', Uint8Array.of(0x4d, 1, 1, 2, 1, 1, 1, 0xff, 1), /UTF-8/],
    ['values out of order', Uint8Array.of(0x4d, 1, 1, 2, 2, 2, 1, 0x62, 1, 1, 0x61, 1), /strictly ascending/],
    ['a repeated value', Uint8Array.of(0x4d, 1, 1, 2, 2, 2, 1, 0x61, 1, 1, 0x61, 1), /strictly ascending/],
    ['a zero counter', Uint8Array.of(0x4d, 1, 1, 2, 1, 1, 1, 0x61, 0), /zero counter/],
    ['counters above the total', Uint8Array.of(0x4d, 1, 1, 2, 1, 1, 1, 0x61, 2), /more than the total/],
    ['a value too long', Uint8Array.of(0x4d, 1, 1, 2, 1, 1, 0x81, 0x06), /too long/],
    ['trailing bytes', Uint8Array.of(...encoded, 0), /trailing/],
    ['random bytes', Uint8Array.from({ length: 64 }, () => Math.floor(garbage() * 256)), /cannot decode/],
  ])('rejects %s', (_name, bytes, message) => {
    expect(() => HeavyHitters.decode(bytes)).toThrow(/^cannot decode HeavyHitters: /);
    expect(() => HeavyHitters.decode(bytes)).toThrow(message);
  });
});
