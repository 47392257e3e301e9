import { DDSketch } from '@datadog/sketches-js';
import { ByteReader, ByteWriter } from './bytes';

type Store = DDSketch['store'];

const MAGIC = 0x51; // 'Q'
const VERSION = 1;
const DEFAULT_RELATIVE_ACCURACY = 0.01;

/**
 * The contract's nearest rank: ceil(q·n) clamped to 1..n (1-based). The product is nudged
 * down by two ulps first because q·n can land just above an integer (0.07·100 is
 * 7.000000000000001), which would otherwise skip a rank.
 */
export function nearestRank(q: number, n: number): number {
  const product = q * n;
  const rank = Math.ceil(product - product * 2 * Number.EPSILON);
  return Math.min(n, Math.max(1, rank));
}

/**
 * Mergeable quantile sketch with relative-error guarantees: DDSketch (Masson, Rim, Lee,
 * "DDSketch: a fast and fully-mergeable quantile sketch with relative-error guarantees",
 * VLDB 2019), using the logarithmic mapping and unbounded dense stores of
 * @datadog/sketches-js. Every answer is within `relativeAccuracy` of the value at the
 * nearest rank; values with |v| below about 1.1e-308 count as zeros.
 *
 * The library is used for its mapping, stores and insertion only, because in 2.1.1:
 * - `getValueAtQuantile` reads the 0-based rank floor(q·(n−1)) (the "lower" rank), which
 *   is one rank below the nearest rank ceil(q·n) whenever frac(q·n) < q, so the rank is
 *   computed here;
 * - `merge` drops the other sketch's negative values (it merges only the positive store);
 * - `toProto` writes the dense bin array including its zero padding and an offset that
 *   depends on insertion order, so equal multisets give different bytes, and about 1 KB
 *   even for a single value (it also needs protobufjs, which the package does not declare).
 * The exact min and max are kept: they answer ranks 1 and n, and clamping the other answers
 * to them can only move an answer closer to the true value.
 */
export class QuantileSketch {
  readonly relativeAccuracy: number;
  private readonly sketch: DDSketch;

  constructor(relativeAccuracy: number = DEFAULT_RELATIVE_ACCURACY) {
    if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) {
      throw new RangeError(`relativeAccuracy must be in (0, 1), got ${relativeAccuracy}`);
    }
    this.relativeAccuracy = relativeAccuracy;
    this.sketch = new DDSketch({ relativeAccuracy });
  }

  add(value: number): void {
    if (!Number.isFinite(value)) throw new RangeError(`QuantileSketch accepts finite numbers only, got ${value}`);
    // -0 and 0 must not leave different minimums behind, or encodings would differ.
    this.sketch.accept(value === 0 ? 0 : value);
  }

  merge(other: QuantileSketch): void {
    if (other.relativeAccuracy !== this.relativeAccuracy) {
      throw new Error(
        `cannot merge QuantileSketches with relativeAccuracy ${this.relativeAccuracy} and ${other.relativeAccuracy}`,
      );
    }
    const mine = this.sketch;
    const theirs = other.sketch;
    mine.store.merge(theirs.store);
    mine.negativeStore.merge(theirs.negativeStore);
    mine.zeroCount += theirs.zeroCount;
    mine.count += theirs.count;
    mine.sum += theirs.sum;
    mine.min = Math.min(mine.min, theirs.min);
    mine.max = Math.max(mine.max, theirs.max);
  }

  get count(): number {
    return this.sketch.count;
  }

  quantile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
    const { count, negativeStore, zeroCount, store, mapping, min, max } = this.sketch;
    if (count === 0) return NaN;
    const rank = nearestRank(q, count);
    if (rank === 1) return min;
    if (rank === count) return max;
    let value: number;
    if (rank <= negativeStore.count) {
      // The negative store is keyed by |v|, so ascending value order is descending key order.
      value = -mapping.value(negativeStore.keyAtRank(negativeStore.count - rank));
    } else if (rank <= negativeStore.count + zeroCount) {
      value = 0;
    } else {
      value = mapping.value(store.keyAtRank(rank - negativeStore.count - zeroCount - 1));
    }
    return Math.min(max, Math.max(min, value));
  }

  /**
   * Layout: 'Q', version, relativeAccuracy, zero count (varint), min, max (floats are
   * float64 LE; an empty sketch has min +∞ and max −∞), the negative and the positive store.
   * A store is its maximal runs of non-empty bins: run count, then per run the start key
   * (zigzag for the first, else the gap after the previous run minus one), the length and
   * the counts. It depends only on the bin counts, hence only on the multiset of values.
   */
  encode(): Uint8Array {
    const { zeroCount, count, min, max, negativeStore, store } = this.sketch;
    const writer = new ByteWriter();
    writer.byte(MAGIC);
    writer.byte(VERSION);
    writer.float64(this.relativeAccuracy);
    writer.varint(zeroCount);
    writer.float64(count > 0 ? min : Infinity);
    writer.float64(count > 0 ? max : -Infinity);
    writeStore(writer, negativeStore);
    writeStore(writer, store);
    return writer.finish();
  }

  static decode(bytes: Uint8Array): QuantileSketch {
    const reader = new ByteReader(bytes, 'QuantileSketch');
    if (reader.byte() !== MAGIC) reader.fail('not a QuantileSketch encoding');
    const version = reader.byte();
    if (version !== VERSION) reader.fail(`unsupported version ${version}`);
    const relativeAccuracy = reader.float64();
    if (!(relativeAccuracy > 0 && relativeAccuracy < 1))
      reader.fail(`relativeAccuracy ${relativeAccuracy} out of range`);
    const result = new QuantileSketch(relativeAccuracy);
    const sketch = result.sketch;
    sketch.zeroCount = reader.varint();
    const min = reader.float64();
    const max = reader.float64();
    // Keys beyond what a finite double maps to would make the dense store allocate wildly.
    const keyLimit = sketch.mapping.key(Number.MAX_VALUE) + 1;
    readStore(reader, sketch.negativeStore, keyLimit);
    readStore(reader, sketch.store, keyLimit);
    reader.end();
    sketch.count = sketch.negativeStore.count + sketch.zeroCount + sketch.store.count;
    if (!Number.isSafeInteger(sketch.count)) reader.fail('total count too large');
    const valid =
      sketch.count > 0
        ? min <= max && Number.isFinite(min) && Number.isFinite(max)
        : min === Infinity && max === -Infinity;
    if (!valid) reader.fail(`min ${min} and max ${max} do not fit the counts`);
    sketch.min = min;
    sketch.max = max;
    return result;
  }
}

function writeStore(writer: ByteWriter, store: Store): void {
  const runs: { start: number; counts: number[] }[] = [];
  let current: number[] | undefined;
  const { bins, offset } = store;
  for (let i = 0; i < bins.length; i++) {
    const binCount = bins[i];
    if (binCount === 0) {
      current = undefined;
    } else if (current) {
      current.push(binCount);
    } else {
      current = [binCount];
      runs.push({ start: i + offset, counts: current });
    }
  }
  writer.varint(runs.length);
  let previousEnd = 0;
  runs.forEach((run, index) => {
    if (index === 0) writer.signedVarint(run.start);
    else writer.varint(run.start - previousEnd - 1);
    writer.varint(run.counts.length);
    for (const binCount of run.counts) writer.varint(binCount);
    previousEnd = run.start + run.counts.length;
  });
}

function readStore(reader: ByteReader, store: Store, keyLimit: number): void {
  const runCount = reader.varint();
  const keys: number[] = [];
  const counts: number[] = [];
  let next = 0;
  for (let run = 0; run < runCount; run++) {
    const start = run === 0 ? reader.signedVarint() : next + reader.varint() + 1;
    const length = reader.varint();
    if (length === 0) reader.fail('empty run');
    if (start < -keyLimit || start + length > keyLimit) reader.fail(`bin key ${start} out of range`);
    for (let i = 0; i < length; i++) {
      const binCount = reader.varint();
      if (binCount === 0) reader.fail('empty bin inside a run');
      keys.push(start + i);
      counts.push(binCount);
    }
    next = start + length;
  }
  if (keys.length === 0) return;
  // Sizing the dense store to the full range first avoids regrowing it bin by bin.
  const last = keys.length - 1;
  store.add(keys[0], counts[0]);
  if (last > 0) store.add(keys[last], counts[last]);
  for (let i = 1; i < last; i++) store.add(keys[i], counts[i]);
}
