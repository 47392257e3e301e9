import { ByteReader, ByteWriter } from './bytes';
import { LogarithmicMapping } from './logarithmic-mapping';

const MAGIC = 0x51; // 'Q'
const VERSION = 1;
const DEFAULT_RELATIVE_ACCURACY = 0.01;
// Declarations use a handful of accuracies; decoded items could bring any, so the cache is bounded.
const MAPPINGS_KEPT = 64;
const FIRST_BINS = 32;
const NO_COUNTS: number[] = [];

const mappings = new Map<number, LogarithmicMapping>();

/** The logarithmic mapping of an accuracy, made once: it holds no state of a sketch. */
function mappingOf(relativeAccuracy: number): LogarithmicMapping {
  let mapping = mappings.get(relativeAccuracy);
  if (mapping === undefined) {
    mapping = new LogarithmicMapping(relativeAccuracy);
    if (mappings.size < MAPPINGS_KEPT) mappings.set(relativeAccuracy, mapping);
  }
  return mapping;
}

/**
 * Counts by bin key, held densely from the lowest key to the highest, with room on both sides.
 * It stands in for the DenseStore of @datadog/sketches-js, which grows by copying plain arrays
 * and centring them again, several times over for every new sketch: a group's sketch in one
 * batch holds a few dozen values, so that growth was most of the cost of adding them.
 */
class Bins {
  counts = NO_COUNTS;
  /** The key of `counts[0]`. */
  offset = 0;
  total = 0;
  minKey = Infinity;
  maxKey = -Infinity;

  add(key: number, n: number): void {
    let i = key - this.offset;
    if (i < 0 || i >= this.counts.length) {
      this.hold(key, key);
      i = key - this.offset;
    }
    this.counts[i] += n;
    this.total += n;
    if (key < this.minKey) this.minKey = key;
    if (key > this.maxKey) this.maxKey = key;
  }

  /** Room for the keys of the values `low` to `high`, none when `high` is 0. */
  holdValues(mapping: LogarithmicMapping, low: number, high: number): void {
    if (high > 0) this.hold(mapping.key(low), mapping.key(high));
  }

  /** Room for the keys `low` to `high` besides those it holds. */
  hold(low: number, high: number): void {
    this.reserve(Math.min(low, this.minKey), Math.max(high, this.maxKey));
  }

  /** Room for the keys `low` to `high`: twice the span, so a run of new keys copies rarely. */
  private reserve(low: number, high: number): void {
    if (low >= this.offset && high < this.offset + this.counts.length) return;
    const span = high - low + 1;
    const length = Math.max(FIRST_BINS, 2 * span);
    const offset = low - ((length - span) >> 1);
    const counts = new Array<number>(length).fill(0);
    for (let key = this.minKey; key <= this.maxKey; key++) counts[key - offset] = this.counts[key - this.offset];
    this.counts = counts;
    this.offset = offset;
  }

  /** The key of the 0-based `rank` in ascending key order, as DenseStore.keyAtRank reads it. */
  keyAtRank(rank: number): number {
    let running = 0;
    for (let key = this.minKey; key <= this.maxKey; key++) {
      running += this.counts[key - this.offset];
      if (running > rank) return key;
    }
    return this.maxKey;
  }

  merge(other: Bins): void {
    if (other.total === 0) return;
    const low = other.minKey;
    const high = other.maxKey;
    this.hold(low, high);
    // Key by key, so that merging bins into themselves reads each count before it doubles.
    for (let key = low; key <= high; key++) this.counts[key - this.offset] += other.counts[key - other.offset];
    this.total += other.total;
    if (low < this.minKey) this.minKey = low;
    if (high > this.maxKey) this.maxKey = high;
  }
}

/** What extremesOf found: the lowest and highest positive values, then of the negative ones' magnitudes. */
const extremes = new Float64Array(4);

/**
 * The extremes of the values at `indices` with bins of their own, above `min` in magnitude and
 * finite, into `extremes`; a highest of 0 when there are none of a sign. Written as they are found,
 * so that no code follows the loop (HeavyHitters.countAt says why).
 */
function extremesOf(values: ArrayLike<number | undefined>, indices: readonly number[], min: number): void {
  extremes[0] = Infinity;
  extremes[1] = 0;
  extremes[2] = Infinity;
  extremes[3] = 0;
  for (let k = 0; k < indices.length; k++) {
    const value = values[indices[k]];
    if (value === undefined) continue;
    if (value > min && value < Infinity) {
      if (value < extremes[0]) extremes[0] = value;
      if (value > extremes[1]) extremes[1] = value;
    } else if (value < -min && value > -Infinity) {
      if (-value < extremes[2]) extremes[2] = -value;
      if (-value > extremes[3]) extremes[3] = -value;
    }
  }
}

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
 * VLDB 2019), with the logarithmic mapping of @datadog/sketches-js (reproduced bit for bit in
 * logarithmic-mapping.ts, so encodings are unchanged) and unbounded dense stores. Every answer
 * is within `relativeAccuracy` of the value at the nearest rank; values with |v| below about
 * 1.1e-308 count as zeros.
 *
 * The library is now only the tests' oracle: the mapping was all we took from it (about 50 KB
 * of the aggregator bundle, with the protobufjs it requires), its dense store regrows several
 * times for each new sketch (see Bins), and in 2.1.1:
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
  private readonly mapping: LogarithmicMapping;
  private readonly positive = new Bins();
  /** Keyed by |v|. */
  private readonly negative = new Bins();
  private zeroCount = 0;
  private total = 0;
  private min = Infinity;
  private max = -Infinity;

  constructor(relativeAccuracy: number = DEFAULT_RELATIVE_ACCURACY) {
    if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) {
      throw new RangeError(`relativeAccuracy must be in (0, 1), got ${relativeAccuracy}`);
    }
    this.relativeAccuracy = relativeAccuracy;
    this.mapping = mappingOf(relativeAccuracy);
  }

  /** What DDSketch.accept does with a weight of 1. */
  add(value: number): void {
    if (!Number.isFinite(value)) throw new RangeError(`QuantileSketch accepts finite numbers only, got ${value}`);
    // -0 and 0 must not leave different minimums behind, or encodings would differ.
    if (value === 0) value = 0;
    const mapping = this.mapping;
    if (value > mapping.minPossible) this.positive.add(mapping.key(value), 1);
    else if (value < -mapping.minPossible) this.negative.add(mapping.key(-value), 1);
    else this.zeroCount++;
    this.total++;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  /**
   * Adds the values at `indices`, in that order, skipping NaN and undefined ones (HyperLogLog.addAt
   * says why). Its loops are functions of their own, with nothing after the loop, and it calls the
   * same methods whatever the values' signs (HeavyHitters.countAt says why).
   */
  addAt(values: ArrayLike<number | undefined>, indices: readonly number[]): void {
    // The extremes first, so that each store grows once to hold all of them: grown value by value,
    // a new sketch's bins were copied several times over as new extremes came (the mapping is
    // monotonic, so the extremes' keys bound every key). Infinities are left for add to refuse.
    extremesOf(values, indices, this.mapping.minPossible);
    this.positive.holdValues(this.mapping, extremes[0], extremes[1]);
    this.negative.holdValues(this.mapping, extremes[2], extremes[3]);
    this.addEach(values, indices);
  }

  private addEach(values: ArrayLike<number | undefined>, indices: readonly number[]): void {
    for (let k = 0; k < indices.length; k++) {
      const value = values[indices[k]];
      if (value !== undefined && value === value) this.add(value);
    }
  }

  merge(other: QuantileSketch): void {
    if (other.relativeAccuracy !== this.relativeAccuracy) {
      throw new Error(
        `cannot merge QuantileSketches with relativeAccuracy ${this.relativeAccuracy} and ${other.relativeAccuracy}`,
      );
    }
    this.positive.merge(other.positive);
    this.negative.merge(other.negative);
    this.zeroCount += other.zeroCount;
    this.total += other.total;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
  }

  get count(): number {
    return this.total;
  }

  quantile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
    const { total: count, negative, zeroCount, positive, mapping, min, max } = this;
    if (count === 0) return NaN;
    const rank = nearestRank(q, count);
    if (rank === 1) return min;
    if (rank === count) return max;
    let value: number;
    if (rank <= negative.total) {
      // The negative store is keyed by |v|, so ascending value order is descending key order.
      value = -mapping.value(negative.keyAtRank(negative.total - rank));
    } else if (rank <= negative.total + zeroCount) {
      value = 0;
    } else {
      value = mapping.value(positive.keyAtRank(rank - negative.total - zeroCount - 1));
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
    const { zeroCount, total: count, min, max, negative, positive } = this;
    const writer = new ByteWriter();
    writer.byte(MAGIC);
    writer.byte(VERSION);
    writer.float64(this.relativeAccuracy);
    writer.varint(zeroCount);
    writer.float64(count > 0 ? min : Infinity);
    writer.float64(count > 0 ? max : -Infinity);
    writeStore(writer, negative);
    writeStore(writer, positive);
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
    const sketch = new QuantileSketch(relativeAccuracy);
    sketch.zeroCount = reader.varint();
    const min = reader.float64();
    const max = reader.float64();
    // Keys beyond what a finite double maps to would make the dense store allocate wildly.
    const keyLimit = sketch.mapping.key(Number.MAX_VALUE) + 1;
    readStore(reader, sketch.negative, keyLimit);
    readStore(reader, sketch.positive, keyLimit);
    reader.end();
    sketch.total = sketch.negative.total + sketch.zeroCount + sketch.positive.total;
    if (!Number.isSafeInteger(sketch.total)) reader.fail('total count too large');
    const valid =
      sketch.total > 0
        ? min <= max && Number.isFinite(min) && Number.isFinite(max)
        : min === Infinity && max === -Infinity;
    if (!valid) reader.fail(`min ${min} and max ${max} do not fit the counts`);
    sketch.min = min;
    sketch.max = max;
    return sketch;
  }
}

function writeStore(writer: ByteWriter, store: Bins): void {
  const runs: { start: number; counts: number[] }[] = [];
  let current: number[] | undefined;
  const { counts, offset, minKey, maxKey } = store;
  for (let key = minKey; key <= maxKey; key++) {
    const binCount = counts[key - offset];
    if (binCount === 0) {
      current = undefined;
    } else if (current) {
      current.push(binCount);
    } else {
      current = [binCount];
      runs.push({ start: key, counts: current });
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

function readStore(reader: ByteReader, store: Bins, keyLimit: number): void {
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
  store.hold(keys[0], keys[keys.length - 1]);
  for (let i = 0; i < keys.length; i++) store.add(keys[i], counts[i]);
}
