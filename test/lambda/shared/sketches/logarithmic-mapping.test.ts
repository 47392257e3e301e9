import { DDSketch } from '@datadog/sketches-js';
import { describe, expect, it } from 'vitest';
import { LogarithmicMapping } from '../../../../lambda/shared/sketches/logarithmic-mapping';
import { mulberry32 } from './random';

/** @datadog/sketches-js is the oracle: its DDSketch's mapping is what QuantileSketch used before. */
const ACCURACIES = [0.001, 0.005, 0.01, 0.02, 0.05];
const VALUES = 100_000;

/** The next double above (or below) a positive finite `value`. */
function step(value: number, direction: 1 | -1): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  view.setBigUint64(0, view.getBigUint64(0) + BigInt(direction));
  return view.getFloat64(0);
}

/** Log-uniform over 1e-300..1e300, then edges: bin bounds, powers of two and the ends of the range. */
function values(library: DDSketch['mapping']): number[] {
  const random = mulberry32(2019);
  const out = Array.from({ length: VALUES }, () => Math.pow(10, -300 + 600 * random()));
  const edges = [
    Number.MIN_VALUE,
    Math.pow(2, -1023),
    Math.pow(2, -1022),
    library.minPossible,
    library.maxPossible,
    Number.MAX_VALUE,
    1,
    2,
    0.5,
    1e-9,
    1e9,
    Math.PI,
  ];
  for (let e = -1074; e <= 1023; e += 7) edges.push(Math.pow(2, e));
  // Values the library maps to a bin's upper bound, where rounding decides the key.
  for (let i = 0; i < 2_000; i++) edges.push(Math.pow(library.gamma, Math.floor(-700 + 1400 * random())));
  for (const edge of [...edges]) {
    if (edge < Number.MAX_VALUE) edges.push(step(edge, 1));
    if (edge > Number.MIN_VALUE) edges.push(step(edge, -1));
  }
  return [...out, ...edges];
}

describe.each(ACCURACIES)('LogarithmicMapping(%s)', (relativeAccuracy) => {
  const library = new DDSketch({ relativeAccuracy }).mapping;
  const ours = new LogarithmicMapping(relativeAccuracy);

  it('has the library’s gamma and range', () => {
    expect(ours.relativeAccuracy).toBe(library.relativeAccuracy);
    expect(ours.gamma).toBe(library.gamma);
    expect(ours.minPossible).toBe(library.minPossible);
    expect(ours.maxPossible).toBe(library.maxPossible);
  });

  it('gives the library’s key for every value, to the bit', () => {
    const differing = values(library).filter((v) => !Object.is(ours.key(v), library.key(v)));
    expect(differing).toEqual([]);
  });

  it('gives the library’s value for every key a finite double maps to, to the bit', () => {
    const differing: number[] = [];
    const low = library.key(Number.MIN_VALUE) - 2;
    const high = library.key(Number.MAX_VALUE) + 2;
    for (let key = low; key <= high; key++) if (!Object.is(ours.value(key), library.value(key))) differing.push(key);
    expect(differing).toEqual([]);
  });

  it('keeps each value within the relative accuracy', () => {
    let worst = 0;
    for (const v of values(library)) {
      if (v <= ours.minPossible || v >= ours.maxPossible) continue;
      worst = Math.max(worst, Math.abs(ours.value(ours.key(v)) - v) / v);
    }
    expect(worst).toBeLessThanOrEqual(relativeAccuracy * (1 + 1e-12));
  });
});

describe('LogarithmicMapping', () => {
  it.each([0, 1, -0.5, 2, NaN])('refuses a relative accuracy of %s', (relativeAccuracy) => {
    expect(() => new LogarithmicMapping(relativeAccuracy)).toThrow(RangeError);
  });

  it('maps values just below 1 to key 0, not -0, as the library does', () => {
    const ours = new LogarithmicMapping(0.01);
    expect(Object.is(ours.key(0.999), 0)).toBe(true);
    expect(Object.is(new DDSketch({ relativeAccuracy: 0.01 }).mapping.key(0.999), 0)).toBe(true);
  });
});
