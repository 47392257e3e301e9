import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HyperLogLog } from '../../../../lambda/shared/sketches/hyperloglog';
import { mergeRandomly, mulberry32, shuffle, splitRandomly } from './random';

const STANDARD_ERROR = 1.04 / Math.sqrt(4096);
const HEADER_BYTES = 3;

/** A stream of `length` values with exactly `distinct` distinct ones, in random order. */
function stream(distinct: number, length: number, seed: number): string[] {
  const random = mulberry32(seed);
  const ids: number[] = [];
  for (let i = 0; i < distinct; i++) ids.push(i);
  while (ids.length < length) ids.push(Math.floor(random() * distinct));
  return shuffle(ids, random).map((id) => `user-${seed}-${id}`);
}

function sketchOf(values: readonly string[]): HyperLogLog {
  const sketch = new HyperLogLog();
  for (const value of values) sketch.add(value);
  return sketch;
}

function relativeError(sketch: HyperLogLog, exact: number): number {
  return Math.abs(sketch.estimate() - exact) / exact;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

describe('HyperLogLog', () => {
  it('has precision 12', () => {
    expect(HyperLogLog.PRECISION).toBe(12);
  });

  it('estimates 0 when empty', () => {
    expect(new HyperLogLog().estimate()).toBe(0);
  });

  it.each([1, 2, 10])('is exact for %i distinct values among 100,000', (distinct) => {
    for (const seed of [1, 2]) expect(sketchOf(stream(distinct, 100_000, seed)).estimate()).toBe(distinct);
  });

  it.each([100, 1_000, 10_000, 100_000])(
    'stays within 3 standard errors for %i distinct values among 100,000+',
    (distinct) => {
      for (const seed of [11, 12]) {
        const values = stream(distinct, Math.max(100_000, distinct), seed);
        expect(relativeError(sketchOf(values), distinct)).toBeLessThanOrEqual(3 * STANDARD_ERROR);
      }
    },
    120_000,
  );

  it('stays within 3 standard errors for 1,000,000 distinct values', { timeout: 120_000 }, () => {
    const sketch = new HyperLogLog();
    for (let i = 0; i < 1_000_000; i++) sketch.add(`session-${i}`);
    expect(relativeError(sketch, 1_000_000)).toBeLessThanOrEqual(3 * STANDARD_ERROR);
  });

  it('keeps the mean absolute error under 2 % at 100,000 distinct values', { timeout: 120_000 }, () => {
    const errors = [21, 22, 23, 24, 25, 26, 27, 28, 29, 30].map((seed) =>
      relativeError(sketchOf(stream(100_000, 100_000, seed)), 100_000),
    );
    expect(errors.reduce((a, b) => a + b, 0) / errors.length).toBeLessThan(0.02);
  });

  it('gives the same bytes for any order and any merge tree', { timeout: 120_000 }, () => {
    const random = mulberry32(7);
    const values = stream(50_000, 200_000, 7);
    const onePass = sketchOf(values).encode();
    expect(hex(sketchOf(shuffle([...values], random)).encode())).toBe(hex(onePass));
    const parts = splitRandomly(values, 37, random).map(sketchOf);
    const merged = mergeRandomly(parts, random, (into, from) => into.merge(from));
    expect(hex(merged.encode())).toBe(hex(onePass));
  });

  it('keeps the hash stable across runtimes and releases', () => {
    // Registers are stored and merged across invocations: a changed hash would corrupt them.
    const values = ['', 'a', 'page_view', 'user-12345', 'größe', '東京', '😀', 'x'.repeat(300)];
    expect(hex(sketchOf(values).encode())).toBe('48010000e9010613010723010795030afc010b7a010df0020e3102');
  });

  it.each([
    [0, '96e3adadafbdb04d', 0],
    [1, '2b7753187b993403', 1],
    [64, '6ab640c8ec7e2a0d', 65],
    [65, '741321ff3e83c4ba', 66],
    [100, '9caad714d33b7bd7', 101],
    [255, 'ccae0ec1162403fe', 258],
    [256, '2f3fe39bafe75646', 259],
    [257, 'e0784abfdcc7d280', 260],
    [1_000, 'cc5653f82d12b967', 1_008],
    [1_100, '4c18a8644f24e6d9', 1_108],
    [5_000, '5dfde49c45c73fb2', 4_936],
    [50_000, '0a18174fe232822d', 49_092],
  ])(
    'keeps the bytes and the estimate of %i values that registers held before the sparse list',
    (n, digest, estimate) => {
      // Digests of the encodings made when every sketch kept all 4096 registers, around the point
      // where the sparse list turns into them, with ASCII and other UTF-8 values.
      const sketch = new HyperLogLog();
      for (let i = 0; i < n; i++) sketch.add(i % 7 === 0 ? `größe-${i}-東京😀` : `user-${i}`);
      expect(createHash('sha256').update(sketch.encode()).digest('hex').slice(0, 16)).toBe(digest);
      expect(sketch.estimate()).toBe(estimate);
    },
  );

  it('gives the same bytes whatever mix of sparse and full sketches is merged, and into itself', () => {
    const random = mulberry32(17);
    for (const distinct of [10, 200, 300, 600, 3_000]) {
      const values = stream(distinct, distinct * 2, 17);
      const onePass = hex(sketchOf(values).encode());
      // Parts from 1 value to most of them: some stay sparse, some do not.
      const parts = splitRandomly(values, 9, random).map(sketchOf);
      const merged = mergeRandomly(parts, random, (into, from) => into.merge(from));
      expect(hex(merged.encode())).toBe(onePass);
      merged.merge(merged);
      expect(hex(merged.encode())).toBe(onePass);
      const decoded = HyperLogLog.decode(merged.encode());
      expect(decoded.estimate()).toBe(merged.estimate());
    }
  });

  it.each([1, 10, 100, 1_000])('encodes %i distinct values sparsely, 3 bytes per non-zero register', (distinct) => {
    const bytes = sketchOf(stream(distinct, distinct, 5)).encode();
    expect(bytes[2]).toBe(0);
    expect((bytes.length - HEADER_BYTES) % 3).toBe(0);
    expect(bytes.length).toBeLessThanOrEqual(HEADER_BYTES + 4 * Math.min(distinct, 4096));
  });

  it.each([2_000, 100_000])('encodes %i distinct values densely in at most 3,100 bytes', (distinct) => {
    const bytes = sketchOf(stream(distinct, distinct, 6)).encode();
    expect(bytes[2]).toBe(1);
    expect(bytes.length).toBe(HEADER_BYTES + 3072);
    expect(bytes.length).toBeLessThanOrEqual(3_100);
  });

  it.each([0, 1, 700, 1_500, 100_000])('round-trips %i distinct values through encode and decode', (distinct) => {
    const sketch = sketchOf(stream(distinct, distinct, 8));
    const decoded = HyperLogLog.decode(sketch.encode());
    expect(decoded.estimate()).toBe(sketch.estimate());
    expect(hex(decoded.encode())).toBe(hex(sketch.encode()));
  });

  it('keeps counting after a decode', () => {
    const values = stream(5_000, 5_000, 9);
    const decoded = HyperLogLog.decode(sketchOf(values.slice(0, 2_000)).encode());
    for (const value of values.slice(2_000)) decoded.add(value);
    expect(hex(decoded.encode())).toBe(hex(sketchOf(values).encode()));
  });

  it('accepts a dense encoding of few registers', () => {
    const dense = new Uint8Array(3 + 3072);
    dense.set([0x48, 1, 1]);
    dense[3] = 0b000001_00; // register 0 holds 1
    const decoded = HyperLogLog.decode(dense);
    expect(decoded.estimate()).toBe(1);
    expect(hex(decoded.encode())).toBe('480100000001');
  });

  const dense = (first: number): Uint8Array => {
    const bytes = new Uint8Array(3 + 3072);
    bytes.set([0x48, 1, 1, first]);
    return bytes;
  };
  const garbage = mulberry32(99);
  it.each([
    ['an empty array', new Uint8Array(0), /truncated/],
    ['another magic byte', Uint8Array.of(0x51, 1, 0), /not a HyperLogLog/],
    ['an unknown version', Uint8Array.of(0x48, 2, 0), /version 2/],
    ['an unknown form', Uint8Array.of(0x48, 1, 7), /unknown form 7/],
    ['a cut sparse entry', Uint8Array.of(0x48, 1, 0, 0, 1), /multiple of 3/],
    ['an index past 4095', Uint8Array.of(0x48, 1, 0, 0x10, 0, 1), /index 4096 out of range/],
    ['indexes out of order', Uint8Array.of(0x48, 1, 0, 0, 5, 1, 0, 4, 1), /strictly ascending/],
    ['a repeated index', Uint8Array.of(0x48, 1, 0, 0, 5, 1, 0, 5, 2), /strictly ascending/],
    ['a zero rank', Uint8Array.of(0x48, 1, 0, 0, 5, 0), /value 0 out of range/],
    ['a rank past 53', Uint8Array.of(0x48, 1, 0, 0, 5, 54), /value 54 out of range/],
    ['a truncated dense body', Uint8Array.of(0x48, 1, 1, 0, 0, 0), /truncated/],
    ['a dense register past 53', dense(0b111111_00), /value 63 out of range/],
    ['a dense body with trailing bytes', Uint8Array.of(...dense(0), 0), /trailing/],
    ['random bytes', Uint8Array.from({ length: 64 }, () => Math.floor(garbage() * 256)), /cannot decode/],
  ])('rejects %s', (_name, bytes, message) => {
    expect(() => HyperLogLog.decode(bytes)).toThrow(/^cannot decode HyperLogLog: /);
    expect(() => HyperLogLog.decode(bytes)).toThrow(message);
  });

  it('rejects what is not bytes', () => {
    expect(() => HyperLogLog.decode('48010000' as unknown as Uint8Array)).toThrow(/expected a Uint8Array/);
  });
});
