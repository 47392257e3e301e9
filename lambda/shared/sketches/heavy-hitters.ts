import { ByteReader, ByteWriter } from './bytes';

const MAGIC = 0x4d; // 'M' for Misra–Gries
const VERSION = 1;
/** Values are cut to this many UTF-16 code units, the longest key the event schema accepts. */
export const MAX_VALUE_LENGTH = 256;
// Bounds what a decoded item can make us allocate.
const MAX_CAPACITY = 100_000;

const utf8 = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF that is part of the value.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
let counterScratch = new Float64Array(256);
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Cuts to MAX_VALUE_LENGTH without splitting a surrogate pair, and replaces lone surrogates
 * as UTF-8 encoding would, so a value is the same string before and after a round trip.
 */
function normalize(value: string): string {
  if (value.length > MAX_VALUE_LENGTH) {
    const last = value.charCodeAt(MAX_VALUE_LENGTH - 1);
    value = value.slice(0, last >= 0xd800 && last <= 0xdbff ? MAX_VALUE_LENGTH - 1 : MAX_VALUE_LENGTH);
  }
  return hasSurrogate(value) ? value.replace(LONE_SURROGATE, '\uFFFD') : value;
}

/** Whether the text holds a UTF-16 surrogate, paired or not: a loop, cheaper on every add than a pattern. */
function hasSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return true;
  }
  return false;
}

/**
 * The value of ascending rank `rank` among the first `n` of `values`, which it reorders: Hoare's
 * selection, in place, with no allocation; reduce runs once per `capacity` new values at most.
 */
function select(values: Float64Array, n: number, rank: number): number {
  let low = 0;
  let high = n - 1;
  while (low < high) {
    const pivot = values[(low + high) >>> 1];
    let i = low;
    let j = high;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const t = values[i];
        values[i++] = values[j];
        values[j--] = t;
      }
    }
    if (rank <= j) high = j;
    else if (rank >= i) low = i;
    else return values[rank];
  }
  return values[rank];
}

function byValue(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkCount(count: number, what: string): void {
  if (!Number.isSafeInteger(count) || count < 1)
    throw new RangeError(`${what} must be a positive integer, got ${count}`);
}

/**
 * Mergeable heavy-hitters summary: Misra–Gries counters with the merge of Agarwal, Cormode,
 * Huang, Phillips, Wei, Yi, "Mergeable Summaries" (PODS 2012, TODS 2013): add the counters,
 * and when more than `capacity` remain subtract the (capacity+1)-th largest from all and
 * drop the non-positive ones. Each such step lowers the counter sum by at least
 * (capacity+1) times what any one value loses, so with n = total and n̂ = Σcounters every
 * value's true count lies in [counter, counter + (n − n̂)/(capacity+1)], whatever the merge
 * tree. `top` reports the upper end, rounded down since counts are integers.
 *
 * With capacity ≥ k this meets the top-k contract: a value with true count > n/k cannot be
 * missing (an absent value has true count ≤ n/(capacity+1)), nor be pushed out of the first
 * k, and no count is more than n/k too high. The default capacity of 3k cuts that error to
 * a third of what the contract allows, so the listed k are mostly the real top k and not
 * just a superset of the heavy ones, at the cost of a few hundred small counters.
 *
 * `add` lets the counters grow to 2·capacity before applying the same reduction, so the
 * sorting is amortised over capacity adds; that is a merge with the exact counts of the
 * recent values and keeps the same bound. While at most `capacity` distinct values have been
 * seen nothing is ever subtracted: the summary is exact and independent of order.
 */
export class HeavyHitters {
  readonly k: number;
  readonly capacity: number;
  private counters = new Map<string, number>();
  private added = 0;

  constructor(k: number, capacity: number = 3 * k) {
    if (!Number.isSafeInteger(k) || k < 1 || k > MAX_CAPACITY)
      throw new RangeError(`k must be 1..${MAX_CAPACITY}, got ${k}`);
    if (!Number.isSafeInteger(capacity) || capacity < k || capacity > MAX_CAPACITY) {
      throw new RangeError(`capacity must be ${k}..${MAX_CAPACITY}, got ${capacity}`);
    }
    this.k = k;
    this.capacity = capacity;
  }

  add(value: string, count = 1): void {
    checkCount(count, 'count');
    if (!Number.isSafeInteger(this.added + count)) throw new RangeError('total count too large');
    this.added += count;
    this.count(value, count);
    this.reduce(2 * this.capacity);
  }

  /**
   * Adds one of each value at `indices`, skipping undefined ones: a measure's fold, in a loop of this
   * class's own (HyperLogLog.addAt says why). The counters may grow past 2·capacity until the last
   * value, then are reduced once: that is a merge with the exact counts of these values, as `add`'s
   * own growth is, with the same bound, and one reduction per fold where `add` reduces each time the
   * counters pass 2·capacity. While the distinct values counted, held before and new, stay within
   * 2·capacity, the result is add's, value for value.
   */
  addAt(values: ArrayLike<string | undefined>, indices: readonly number[]): void {
    if (!Number.isSafeInteger(this.added + indices.length)) throw new RangeError('total count too large');
    this.countAt(values, indices);
    this.reduce(2 * this.capacity);
  }

  /**
   * addAt's loop, in a method with nothing after the loop: a long fold (by type's top keys) is
   * compiled on stack, and on Node 24 code after the loop in the same function, compiled before it
   * had run, was left through an exit for want of type feedback on every later batch.
   */
  private countAt(values: ArrayLike<string | undefined>, indices: readonly number[]): void {
    for (let k = 0; k < indices.length; k++) {
      const value = values[indices[k]];
      if (value === undefined) continue;
      this.added++;
      this.count(value, 1);
    }
  }

  /** Counts a value `count` more times, with no reduction. */
  private count(value: string, count: number): void {
    // A value counted already is its own normalized form (normalize keeps what it made): most adds
    // stop here, and the count of values stays as it was.
    const known = this.counters.get(value);
    if (known !== undefined) {
      this.counters.set(value, known + count);
      return;
    }
    const normalized = normalize(value);
    // Unchanged, it was just looked up; changed, it may be counted under its normal form.
    this.counters.set(normalized, (normalized === value ? 0 : (this.counters.get(normalized) ?? 0)) + count);
  }

  merge(other: HeavyHitters): void {
    if (other.capacity !== this.capacity) {
      throw new Error(`cannot merge HeavyHitters with capacity ${this.capacity} and ${other.capacity}`);
    }
    if (!Number.isSafeInteger(this.added + other.added)) throw new RangeError('total count too large');
    // Snapshot first: merging a summary into itself must see the counts from before.
    const incoming = [...other.counters];
    this.added += other.added;
    for (const [value, count] of incoming) this.counters.set(value, (this.counters.get(value) ?? 0) + count);
    this.reduce();
  }

  get total(): number {
    return this.added;
  }

  top(limit: number = this.k): { value: string; count: number }[] {
    if (!Number.isSafeInteger(limit) || limit < 0)
      throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
    this.reduce();
    let sum = 0;
    for (const count of this.counters.values()) sum += count;
    const slack = Math.floor((this.added - sum) / (this.capacity + 1));
    return [...this.counters]
      .sort(([valueA, countA], [valueB, countB]) => countB - countA || byValue(valueA, valueB))
      .slice(0, limit)
      .map(([value, count]) => ({ value, count: count + slack }));
  }

  /**
   * Layout: 'M', version, then varints k, capacity, total, entry count, and per entry in
   * ascending value order the UTF-8 byte length, the bytes and the counter.
   */
  encode(): Uint8Array {
    this.reduce();
    const writer = new ByteWriter();
    writer.byte(MAGIC);
    writer.byte(VERSION);
    writer.varint(this.k);
    writer.varint(this.capacity);
    writer.varint(this.added);
    writer.varint(this.counters.size);
    for (const [value, count] of [...this.counters].sort(([a], [b]) => byValue(a, b))) {
      const bytes = utf8.encode(value);
      writer.varint(bytes.length);
      writer.bytes(bytes);
      writer.varint(count);
    }
    return writer.finish();
  }

  static decode(bytes: Uint8Array): HeavyHitters {
    const reader = new ByteReader(bytes, 'HeavyHitters');
    if (reader.byte() !== MAGIC) reader.fail('not a HeavyHitters encoding');
    const version = reader.byte();
    if (version !== VERSION) reader.fail(`unsupported version ${version}`);
    const k = reader.varint();
    const capacity = reader.varint();
    if (k < 1 || capacity < k || capacity > MAX_CAPACITY) reader.fail(`bad k ${k} or capacity ${capacity}`);
    const summary = new HeavyHitters(k, capacity);
    summary.added = reader.varint();
    const entries = reader.varint();
    if (entries > capacity) reader.fail(`${entries} entries exceed capacity ${capacity}`);
    let previous: string | undefined;
    let sum = 0;
    for (let i = 0; i < entries; i++) {
      const length = reader.varint();
      if (length > MAX_VALUE_LENGTH * 3) reader.fail('value too long');
      const raw = reader.bytes(length);
      let value: string;
      try {
        value = strictUtf8.decode(raw);
      } catch {
        return reader.fail('value is not valid UTF-8');
      }
      if (value.length > MAX_VALUE_LENGTH) reader.fail('value too long');
      if (previous !== undefined && byValue(previous, value) >= 0) reader.fail('values are not strictly ascending');
      const count = reader.varint();
      if (count < 1) reader.fail('zero counter');
      sum += count;
      summary.counters.set(value, count);
      previous = value;
    }
    reader.end();
    if (sum > summary.added) reader.fail(`counters sum to ${sum}, more than the total ${summary.added}`);
    return summary;
  }

  /** Reduces to `capacity` counters when more than `over` remain. */
  private reduce(over = this.capacity): void {
    if (this.counters.size <= over) return;
    if (counterScratch.length < this.counters.size) counterScratch = new Float64Array(2 * this.counters.size);
    let n = 0;
    for (const count of this.counters.values()) counterScratch[n++] = count;
    const cut = select(counterScratch, n, n - 1 - this.capacity);
    // A new map of the kept values: cheaper than deleting most entries of this one.
    const kept = new Map<string, number>();
    for (const [value, count] of this.counters) if (count > cut) kept.set(value, count - cut);
    this.counters = kept;
  }
}
