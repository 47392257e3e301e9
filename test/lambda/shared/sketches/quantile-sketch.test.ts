import { DDSketch } from '@datadog/sketches-js';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { QuantileSketch, nearestRank } from '../../../../lambda/shared/sketches/quantile-sketch';
import { gaussian, mergeRandomly, mulberry32, shuffle, splitRandomly } from './random';

const QUANTILES = [0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1];
const SIZE = 120_000;
// Room for the rounding in log/pow; far below any real accuracy loss.
const EPSILON = 1e-12;

function lognormal(seed: number, size = SIZE): number[] {
  const random = mulberry32(seed);
  return Array.from({ length: size }, () => Math.exp(Math.log(200) + 1.5 * gaussian(random)));
}

const DATASETS: [string, () => number[]][] = [
  ['lognormal', () => lognormal(1)],
  [
    'uniform over [-1000, 1000]',
    () => {
      const random = mulberry32(2);
      return Array.from({ length: SIZE }, () => random() * 2000 - 1000);
    },
  ],
  [
    'negatives, zeros and positives over many magnitudes',
    () => {
      const random = mulberry32(3);
      return Array.from({ length: SIZE }, () => {
        const pick = random();
        const magnitude = Math.exp(gaussian(random) * 6);
        if (pick < 0.35) return -magnitude;
        if (pick < 0.5) return 0;
        return magnitude;
      });
    },
  ],
  [
    'latencies of 1 ms to 10 s',
    () => {
      const random = mulberry32(4);
      return Array.from({ length: SIZE }, () => Math.min(10_000, Math.max(1, Math.exp(4 + 2 * gaussian(random)))));
    },
  ],
];

function sketchOf(values: readonly number[], relativeAccuracy?: number): QuantileSketch {
  const sketch = new QuantileSketch(relativeAccuracy);
  for (const value of values) sketch.add(value);
  return sketch;
}

function expectAccurate(sketch: QuantileSketch, sorted: Float64Array, relativeAccuracy: number): void {
  for (const q of QUANTILES) {
    const exact = sorted[nearestRank(q, sorted.length) - 1];
    const answer = sketch.quantile(q);
    expect
      .soft(Math.abs(answer - exact), `q=${q}: ${answer} vs ${exact}`)
      .toBeLessThanOrEqual((relativeAccuracy + EPSILON) * Math.abs(exact));
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

describe('nearestRank', () => {
  it.each([
    [0, 100, 1],
    [0.01, 100, 1],
    [0.07, 100, 7],
    [0.5, 100, 50],
    [0.5, 101, 51],
    [0.9, 7, 7],
    [0.999, 1_000, 999],
    [1, 100, 100],
    [0.5, 1, 1],
    [0, 1, 1],
  ])('nearestRank(%d, %i) is %i', (q, n, rank) => {
    expect(nearestRank(q, n)).toBe(rank);
  });
});

describe('QuantileSketch', () => {
  it.each(DATASETS)(
    'answers every quantile of 120,000 %s within 1 % of the nearest-rank value',
    (_name, generate) => {
      const values = generate();
      expectAccurate(sketchOf(values), Float64Array.from(values).sort(), 0.01);
    },
    120_000,
  );

  it.each([0.001, 0.05])('keeps a relative accuracy of %d', (relativeAccuracy) => {
    const values = lognormal(5, 100_000);
    expectAccurate(sketchOf(values, relativeAccuracy), Float64Array.from(values).sort(), relativeAccuracy);
  });

  it('uses the nearest rank where the library reads floor(q·(n−1))', () => {
    // 1.1^i puts every value in its own bin, so each answer points at exactly one value.
    const values = Array.from({ length: 7 }, (_, i) => 1.1 ** i);
    const library = new DDSketch({ relativeAccuracy: 0.01 });
    for (const value of values) library.accept(value);
    const sketch = sketchOf(values);
    for (const q of [0, 0.1, 0.2, 0.3, 0.45, 0.5, 0.75, 0.9, 0.99, 1]) {
      const lower = values[Math.floor(q * (values.length - 1))];
      expect(Math.abs(library.getValueAtQuantile(q) - lower)).toBeLessThanOrEqual(0.01 * lower);
      const nearest = values[nearestRank(q, values.length) - 1];
      expect(Math.abs(sketch.quantile(q) - nearest)).toBeLessThanOrEqual(0.01 * nearest);
    }
    // At q = 0.9 the two definitions part: rank 7 here, rank 6 in the library.
    expect(Math.abs(sketch.quantile(0.9) - 1.1 ** 6)).toBeLessThanOrEqual(0.01 * 1.1 ** 6);
    expect(Math.abs(library.getValueAtQuantile(0.9) - 1.1 ** 5)).toBeLessThanOrEqual(0.01 * 1.1 ** 5);
  });

  it('answers q = 0 and q = 1 with the exact minimum and maximum', () => {
    const values = lognormal(6, 1_000);
    const sketch = sketchOf(values);
    expect(sketch.quantile(0)).toBe(Math.min(...values));
    expect(sketch.quantile(1)).toBe(Math.max(...values));
  });

  it('handles the extremes of the double range', () => {
    const sketch = sketchOf([Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 1]);
    expect(sketch.quantile(1)).toBe(Number.MAX_VALUE);
    expect(sketch.quantile(0)).toBe(-Number.MAX_VALUE);
    // Below about 1.1e-308 a value falls in the zero bin.
    expect(sketch.quantile(0.5)).toBe(0);
    expect(Number.isFinite(QuantileSketch.decode(sketch.encode()).quantile(0.99))).toBe(true);
  });

  it('returns NaN when empty and counts what it holds', () => {
    const sketch = new QuantileSketch();
    expect(sketch.count).toBe(0);
    for (const q of QUANTILES) expect(sketch.quantile(q)).toBeNaN();
    sketch.add(-3);
    sketch.add(0);
    expect(sketch.count).toBe(2);
  });

  it('rejects bad input', () => {
    const sketch = new QuantileSketch();
    for (const value of [NaN, Infinity, -Infinity]) expect(() => sketch.add(value)).toThrow(/finite/);
    for (const q of [-0.1, 1.1, NaN]) expect(() => sketch.quantile(q)).toThrow(/\[0, 1\]/);
    for (const accuracy of [0, 1, -0.5, NaN]) expect(() => new QuantileSketch(accuracy)).toThrow(/relativeAccuracy/);
    expect(() => sketch.merge(new QuantileSketch(0.02))).toThrow(/relativeAccuracy 0.01 and 0.02/);
  });

  it('defaults to a relative accuracy of 1 %', () => {
    expect(new QuantileSketch().relativeAccuracy).toBe(0.01);
  });

  it('merges negative values, which the library merge drops', () => {
    const a = sketchOf([-5, 1]);
    a.merge(sketchOf([-100, -50]));
    expect(a.count).toBe(4);
    expect(a.quantile(0)).toBe(-100);
    expect(Math.abs(a.quantile(0.5) + 50)).toBeLessThanOrEqual(0.5);
    expect(hex(a.encode())).toBe(hex(sketchOf([-100, -50, -5, 1]).encode()));
  });

  it.each(DATASETS)(
    'gives the same bytes for any order and any merge tree of %s',
    (_name, generate) => {
      const random = mulberry32(8);
      const values = generate();
      const onePass = sketchOf(values).encode();
      expect(hex(sketchOf(shuffle([...values], random)).encode())).toBe(hex(onePass));
      const parts = splitRandomly(values, 37, random).map((part) => sketchOf(part));
      parts.push(new QuantileSketch());
      const merged = mergeRandomly(parts, random, (into, from) => into.merge(from));
      expect(merged.count).toBe(values.length);
      expect(hex(merged.encode())).toBe(hex(onePass));
    },
    120_000,
  );

  it.each([
    [0, 0.01, 1, 'b4a853807c6cd919', []],
    [1, 0.01, 2, 'e8810af34d0d6583', [13, 13, 13, 13, 13, 13, 13]],
    [
      16,
      0.01,
      3,
      '71ca750cb22fe66d',
      [-10.57471443620738, -10.57471443620738, -0.03578734251377598, 45.15391581516847, 772.9170065798909, 1139, 1139],
    ],
    [
      300,
      0.01,
      4,
      '590713f58bbe247c',
      [
        -1938138.264785335, -1316411.0529320284, -37.71549450175803, 19.88667024086647, 1107.8579755585315,
        2780.0226293188407, 2969,
      ],
    ],
    [
      5_000,
      0.02,
      5,
      '9458e0247980df19',
      [
        -3100148.810854966, -1047218.7555809696, -9.208215097985818, 16.121772951926157, 992.989590244177,
        2699.5855661565483, 2963,
      ],
    ],
    [
      100_000,
      0.01,
      6,
      'aad6a30fda638bd5',
      [
        -3262372.4903738005, -814560.2624938627, -3.8574062443891224, 19.106877269947287, 1085.920193864303,
        2724.972676263022, 2981,
      ],
    ],
  ] as [number, number, number, string, number[]][])(
    'keeps the bytes and answers of %i values from when the library stored the bins',
    (n, relativeAccuracy, seed, digest, answers) => {
      // Made with the library's DenseStore: zeros, negatives, values too small to map and
      // integers, in one sketch and merged from parts.
      const random = mulberry32(seed);
      const values = Array.from({ length: n }, () => {
        const r = random();
        if (r < 0.05) return 0;
        if (r < 0.2) return -Math.exp(random() * 20 - 5);
        if (r < 0.22) return random() * 1e-200;
        return Math.round(Math.exp(random() * 8));
      });
      const parts = splitRandomly(values, Math.min(5, Math.max(1, n - 1)), random);
      const merged = mergeRandomly(
        parts.map((part) => sketchOf(part, relativeAccuracy)),
        random,
        (into, from) => into.merge(from),
      );
      for (const sketch of [sketchOf(values, relativeAccuracy), merged]) {
        expect(createHash('sha256').update(sketch.encode()).digest('hex').slice(0, 16)).toBe(digest);
        expect(sketch.count).toBe(n);
        if (n > 0) expect([0, 0.01, 0.1, 0.5, 0.9, 0.99, 1].map((q) => sketch.quantile(q))).toEqual(answers);
      }
    },
  );

  it('treats -0 and 0 alike', () => {
    expect(hex(sketchOf([-0, 0, 1]).encode())).toBe(hex(sketchOf([0, -0, 1]).encode()));
  });

  it.each([
    ['an empty sketch', []],
    ['a single zero', [0]],
    ['a single negative', [-2.5]],
    ['mixed values', [-1e6, -3, -3, 0, 0, 1e-9, 4, 1e12]],
  ])('round-trips %s through encode and decode', (_name, values: number[]) => {
    const sketch = sketchOf(values, 0.02);
    const decoded = QuantileSketch.decode(sketch.encode());
    expect(decoded.relativeAccuracy).toBe(0.02);
    expect(decoded.count).toBe(values.length);
    expect(hex(decoded.encode())).toBe(hex(sketch.encode()));
    for (const q of QUANTILES) expect(decoded.quantile(q)).toStrictEqual(sketch.quantile(q));
  });

  it('folds a column with addAt into the bytes add gives, into a decoded sketch too, and refuses infinities alike', () => {
    const random = mulberry32(9);
    const values = Array.from({ length: 3_000 }, (_, i) =>
      i % 17 === 0 ? NaN : i % 23 === 0 ? 0 : (random() < 0.3 ? -1 : 1) * Math.exp(20 * random() - 10),
    );
    const indices = shuffle(Array.from(values.keys()), random).slice(0, 2_000);
    const one = sketchOf(values.slice(0, 500).filter((v) => v === v));
    for (const i of indices) if (values[i] === values[i]) one.add(values[i]);
    const folded = QuantileSketch.decode(sketchOf(values.slice(0, 500).filter((v) => v === v)).encode());
    folded.addAt(Float64Array.from(values), indices);
    expect(hex(folded.encode())).toBe(hex(one.encode()));
    const holes = new QuantileSketch();
    holes.addAt([undefined, 5, NaN, -2], [0, 1, 2, 3]);
    expect(hex(holes.encode())).toBe(hex(sketchOf([5, -2]).encode()));
    expect(() => new QuantileSketch().addAt([1, Infinity], [0, 1])).toThrow(RangeError);
    expect(() => new QuantileSketch().addAt([-Infinity], [0])).toThrow(RangeError);
  });

  it('keeps adding and merging after a decode', () => {
    const values = DATASETS[2][1]().slice(0, 20_000);
    const decoded = QuantileSketch.decode(sketchOf(values.slice(0, 5_000)).encode());
    for (const value of values.slice(5_000, 12_000)) decoded.add(value);
    decoded.merge(QuantileSketch.decode(sketchOf(values.slice(12_000)).encode()));
    expect(hex(decoded.encode())).toBe(hex(sketchOf(values).encode()));
  });

  it('encodes 100,000 latencies of 1 ms to 10 s in under 1.2 KB', () => {
    const random = mulberry32(9);
    const values = Array.from({ length: 100_000 }, () =>
      Math.min(10_000, Math.max(1, Math.exp(Math.log(100) + 1.5 * gaussian(random)))),
    );
    expect(sketchOf(values).encode().length).toBeLessThan(1_200);
  });

  it('encodes an empty sketch in a few bytes', () => {
    expect(new QuantileSketch().encode().length).toBeLessThanOrEqual(30);
  });

  const valid = sketchOf([-2, 0, 3, 3, 40]).encode();
  const header = (accuracy: number): number[] => {
    const bytes = new Uint8Array(10);
    bytes.set([0x51, 1]);
    new DataView(bytes.buffer).setFloat64(2, accuracy, true);
    return [...bytes];
  };
  const minMax = (min: number, max: number): number[] => {
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setFloat64(0, min, true);
    new DataView(bytes.buffer).setFloat64(8, max, true);
    return [...bytes];
  };
  const garbage = mulberry32(99);
  it.each([
    ['an empty array', new Uint8Array(0), /truncated/],
    ['another magic byte', Uint8Array.of(0x48, 1), /not a QuantileSketch/],
    ['an unknown version', Uint8Array.of(0x51, 9), /version 9/],
    ['a truncated sketch', valid.subarray(0, valid.length - 1), /truncated/],
    ['trailing bytes', Uint8Array.of(...valid, 0), /trailing/],
    ['an accuracy of 0', Uint8Array.of(...header(0), 0, ...minMax(Infinity, -Infinity), 0, 0), /relativeAccuracy/],
    ['an accuracy of 1', Uint8Array.of(...header(1), 0, ...minMax(Infinity, -Infinity), 0, 0), /relativeAccuracy/],
    ['an empty run', Uint8Array.of(...header(0.01), 0, ...minMax(1, 1), 0, 1, 0, 0), /empty run/],
    ['a zero bin', Uint8Array.of(...header(0.01), 0, ...minMax(1, 1), 0, 1, 0, 1, 0), /empty bin/],
    ['a bin key out of range', Uint8Array.of(...header(0.01), 0, ...minMax(1, 1), 0, 1, 0xfe, 0xff, 0x7f, 1, 1), /key/],
    ['min and max on an empty sketch', Uint8Array.of(...header(0.01), 0, ...minMax(1, 1), 0, 0), /min 1 and max 1/],
    ['no min and max on a full sketch', Uint8Array.of(...header(0.01), 1, ...minMax(Infinity, -Infinity), 0, 0), /min/],
    ['min above max', Uint8Array.of(...header(0.01), 1, ...minMax(2, 1), 0, 0), /min 2 and max 1/],
    ['a non-canonical varint', Uint8Array.of(...header(0.01), 0x80, 0, ...minMax(Infinity, -Infinity), 0, 0), /varint/],
    ['random bytes', Uint8Array.from({ length: 64 }, () => Math.floor(garbage() * 256)), /cannot decode/],
  ])('rejects %s', (_name, bytes, message) => {
    expect(() => QuantileSketch.decode(bytes)).toThrow(/^cannot decode QuantileSketch: /);
    expect(() => QuantileSketch.decode(bytes)).toThrow(message);
  });
});
