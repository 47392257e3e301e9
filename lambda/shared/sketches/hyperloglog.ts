import { ByteReader, ByteWriter } from './bytes';

const P = 12;
const M = 1 << P;
const MAX_RANK = 64 - P + 1;
const ALPHA_INFINITY = 1 / (2 * Math.LN2);

const MAGIC = 0x48; // 'H'
const VERSION = 1;
const FORM_SPARSE = 0;
const FORM_DENSE = 1;
const SPARSE_ENTRY_BYTES = 3;
const DENSE_BYTES = (M * 6) / 8;
// Below this many non-zero registers the sparse list is shorter than the packed array.
const SPARSE_LIMIT = DENSE_BYTES / SPARSE_ENTRY_BYTES;
// In memory, a sketch keeps up to this many non-zero registers as a sorted list, then all 4096.
// An insertion moves half the list on average: at 256 the moves were a fifth of a page group's
// fold, and 4 KB of registers cost less than them past about 64 (same registers and bytes). The
// price: a sketch of 65 to 256 registers holds 4 KB, and encode and estimate read all 4096.
const SPARSE_MAX = 64;
const RANK_BITS = 8;
const RANK_MASK = (1 << RANK_BITS) - 1;

// The hash returns through these two slots so the hot path allocates nothing per value.
let hashHigh = 0;
let hashLow = 0;

/**
 * 64-bit hash of the UTF-8 bytes of `value`: two MurmurHash3-style lanes with different
 * block constants, cross-mixed at the end as in MurmurHash3_x86_128, so a collision in one
 * lane is not automatically a collision in the other. Pure JS and stable on every runtime,
 * because register contents are persisted and merged across invocations.
 */
function hash64(value: string): void {
  // ASCII is its own UTF-8: its blocks are read from the string itself. Anything else is hashed from
  // its UTF-8 bytes, each as one character of a Latin-1 string.
  if (!hashCodes(value, true)) hashCodes(Buffer.from(value, 'utf8').toString('latin1'), false);
}

/**
 * The hash of `text`'s character codes, each taken as a byte, in hashHigh and hashLow; with
 * `ascii`, false and nothing set when a code is above 0x7f.
 */
function hashCodes(text: string, ascii: boolean): boolean {
  const length = text.length;
  const blocks = length & ~3;
  let h1 = 0x9747b28c;
  let h2 = 0x2d358dcc;
  let seen = 0;
  let i = 0;
  for (; i < blocks; i += 4) {
    const c0 = text.charCodeAt(i);
    const c1 = text.charCodeAt(i + 1);
    const c2 = text.charCodeAt(i + 2);
    const c3 = text.charCodeAt(i + 3);
    seen |= c0 | c1 | c2 | c3;
    const k = c0 | (c1 << 8) | (c2 << 16) | (c3 << 24);
    let k1 = Math.imul(k, 0xcc9e2d51);
    k1 = Math.imul((k1 << 15) | (k1 >>> 17), 0x1b873593);
    h1 ^= k1;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    let k2 = Math.imul(k, 0x38b34ae5);
    k2 = Math.imul((k2 << 16) | (k2 >>> 16), 0xa1e38b93);
    h2 ^= k2;
    h2 = (h2 << 17) | (h2 >>> 15);
    h2 = (Math.imul(h2, 5) + 0x0bcaa747) | 0;
  }
  let tail = 0;
  for (let shift = 0; i < length; i++, shift += 8) {
    const c = text.charCodeAt(i);
    seen |= c;
    tail |= c << shift;
  }
  if (ascii && seen > 0x7f) return false;
  if ((length & 3) !== 0) {
    let k1 = Math.imul(tail, 0xcc9e2d51);
    k1 = Math.imul((k1 << 15) | (k1 >>> 17), 0x1b873593);
    h1 ^= k1;
    let k2 = Math.imul(tail, 0x38b34ae5);
    k2 = Math.imul((k2 << 16) | (k2 >>> 16), 0xa1e38b93);
    h2 ^= k2;
  }
  h1 ^= length;
  h2 ^= length;
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  h1 = fmix32(h1);
  h2 = fmix32(h2);
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  hashHigh = h1 >>> 0;
  hashLow = h2 >>> 0;
  return true;
}

/** Ertl's σ(x) = x + Σ_{k≥1} x^(2^k)·2^(k−1), the correction for empty registers. */
function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  for (;;) {
    x *= x;
    const previous = z;
    z += x * y;
    y += y;
    if (z === previous) return z;
  }
}

/** Ertl's τ(x), the correction for registers at the maximum rank. */
function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  for (;;) {
    x = Math.sqrt(x);
    const previous = z;
    y *= 0.5;
    z -= (1 - x) ** 2 * y;
    if (z === previous) return z / 3;
  }
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * HyperLogLog distinct counter (Flajolet, Fusy, Gandouet, Meunier, "HyperLogLog: the analysis
 * of a near-optimal cardinality estimation algorithm", AofA 2007) with precision 12: 4096
 * registers, relative standard error 1.04/√4096 ≈ 1.6 %.
 *
 * The estimate is Ertl's improved raw estimator (O. Ertl, "New cardinality estimation
 * algorithms for HyperLogLog sketches", arXiv:1702.01284, 2017), which behaves like linear
 * counting while registers are empty and needs no bias tables. The 2007 paper's switch from
 * linear counting to the raw estimate at 2.5·m measured 3.2 % RMS error around 10,000
 * values, over the 2 % contract; this estimator stays near 1.6 % across the whole range.
 *
 * Registers depend only on the set of values added, so any order of adds and any merge tree
 * give identical registers, and the encoding is a function of the registers alone.
 *
 * While few registers are set (the sketch of a small group in a short window) they are kept as
 * a sorted list of (index, rank), not as 4096 bytes: the same registers, cheaper to make, to
 * fill and to encode. Past SPARSE_MAX the list becomes the full array, which it never leaves.
 */
export class HyperLogLog {
  static readonly PRECISION: number = P;

  /** The non-zero registers, `index << RANK_BITS | rank`, ascending by index; undefined once dense. */
  private sparse: number[] | undefined = [];
  private registers: Uint8Array | undefined;

  add(value: string): void {
    hash64(value);
    const index = hashHigh >>> (32 - P);
    const rest = hashHigh & ((1 << (32 - P)) - 1);
    const rank = rest !== 0 ? Math.clz32(rest) - P + 1 : 32 - P + Math.clz32(hashLow) + 1;
    this.raise(index, rank);
  }

  /**
   * Adds the values at `indices`, in that order, skipping undefined ones: a measure's fold. The loop
   * is this class's own, so that its call of add sees one class and is inlined.
   */
  addAt(values: ArrayLike<string | undefined>, indices: readonly number[]): void {
    for (let k = 0; k < indices.length; k++) {
      const value = values[indices[k]];
      if (value !== undefined) this.add(value);
    }
  }

  merge(other: HyperLogLog): void {
    const theirs = other.registers;
    if (theirs === undefined) {
      // A copy first: merging a sketch into itself must not read the list it is changing.
      for (const entry of [...other.sparse!]) this.raise(entry >>> RANK_BITS, entry & RANK_MASK);
      return;
    }
    const mine = this.dense();
    for (let i = 0; i < M; i++) if (theirs[i] > mine[i]) mine[i] = theirs[i];
  }

  estimate(): number {
    const histogram = new Array<number>(MAX_RANK + 1).fill(0);
    if (this.sparse !== undefined) {
      histogram[0] = M - this.sparse.length;
      for (const entry of this.sparse) histogram[entry & RANK_MASK]++;
    } else {
      for (let i = 0; i < M; i++) histogram[this.registers![i]]++;
    }
    if (histogram[0] === M) return 0;
    let z = M * tau(1 - histogram[MAX_RANK] / M);
    for (let rank = MAX_RANK - 1; rank >= 1; rank--) z = 0.5 * (z + histogram[rank]);
    z += M * sigma(histogram[0] / M);
    return Math.round((ALPHA_INFINITY * M * M) / z);
  }

  /**
   * Layout: 'H', version, form, then either sorted (index u16 BE, rank u8) triples for the
   * non-zero registers (sparse) or all registers packed 6 bits each, big-endian (dense).
   * The form is chosen by the register count, so equal registers always give equal bytes.
   */
  encode(): Uint8Array {
    const writer = new ByteWriter();
    writer.byte(MAGIC);
    writer.byte(VERSION);
    const sparse = this.sparse;
    const registers = this.registers;
    if (sparse !== undefined) {
      // SPARSE_MAX is below SPARSE_LIMIT: a sparse list always encodes sparse.
      writer.byte(FORM_SPARSE);
      const body = new Uint8Array(sparse.length * SPARSE_ENTRY_BYTES);
      let at = 0;
      for (const entry of sparse) {
        const i = entry >>> RANK_BITS;
        body[at++] = i >>> 8;
        body[at++] = i & 0xff;
        body[at++] = entry & RANK_MASK;
      }
      writer.bytes(body);
      return writer.finish();
    }
    let nonZero = 0;
    for (let i = 0; i < M; i++) if (registers![i] !== 0) nonZero++;
    if (nonZero < SPARSE_LIMIT) {
      writer.byte(FORM_SPARSE);
      const body = new Uint8Array(nonZero * SPARSE_ENTRY_BYTES);
      let at = 0;
      for (let i = 0; i < M; i++) {
        const rank = registers![i];
        if (rank === 0) continue;
        body[at++] = i >>> 8;
        body[at++] = i & 0xff;
        body[at++] = rank;
      }
      writer.bytes(body);
    } else {
      writer.byte(FORM_DENSE);
      const body = new Uint8Array(DENSE_BYTES);
      for (let i = 0, at = 0; i < M; i += 4) {
        const r = registers!;
        const packed = (r[i] << 18) | (r[i + 1] << 12) | (r[i + 2] << 6) | r[i + 3];
        body[at++] = packed >>> 16;
        body[at++] = (packed >>> 8) & 0xff;
        body[at++] = packed & 0xff;
      }
      writer.bytes(body);
    }
    return writer.finish();
  }

  static decode(bytes: Uint8Array): HyperLogLog {
    const reader = new ByteReader(bytes, 'HyperLogLog');
    if (reader.byte() !== MAGIC) reader.fail('not a HyperLogLog encoding');
    const version = reader.byte();
    if (version !== VERSION) reader.fail(`unsupported version ${version}`);
    const form = reader.byte();
    const sketch = new HyperLogLog();
    if (form === FORM_SPARSE) {
      if (reader.remaining % SPARSE_ENTRY_BYTES !== 0) reader.fail('sparse body length is not a multiple of 3');
      const entries: number[] = [];
      let previous = -1;
      while (reader.remaining > 0) {
        const index = (reader.byte() << 8) | reader.byte();
        const rank = reader.byte();
        if (index >= M) reader.fail(`register index ${index} out of range`);
        if (index <= previous) reader.fail('register indexes are not strictly ascending');
        if (rank < 1 || rank > MAX_RANK) reader.fail(`register value ${rank} out of range`);
        entries.push((index << RANK_BITS) | rank);
        previous = index;
      }
      sketch.sparse = entries;
      if (entries.length > SPARSE_MAX) sketch.dense();
    } else if (form === FORM_DENSE) {
      const registers = sketch.dense();
      const body = reader.bytes(DENSE_BYTES);
      reader.end();
      for (let i = 0, at = 0; i < M; i += 4, at += 3) {
        const packed = (body[at] << 16) | (body[at + 1] << 8) | body[at + 2];
        registers[i] = packed >>> 18;
        registers[i + 1] = (packed >>> 12) & 0x3f;
        registers[i + 2] = (packed >>> 6) & 0x3f;
        registers[i + 3] = packed & 0x3f;
      }
      for (let i = 0; i < M; i++)
        if (registers[i] > MAX_RANK) reader.fail(`register value ${registers[i]} out of range`);
    } else {
      reader.fail(`unknown form ${form}`);
    }
    return sketch;
  }

  /** Sets register `index` to `rank` unless it holds more already. */
  private raise(index: number, rank: number): void {
    const registers = this.registers;
    if (registers !== undefined) {
      if (rank > registers[index]) registers[index] = rank;
      return;
    }
    const sparse = this.sparse!;
    let low = 0;
    let high = sparse.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (sparse[middle] >>> RANK_BITS < index) low = middle + 1;
      else high = middle;
    }
    if (low < sparse.length && sparse[low] >>> RANK_BITS === index) {
      if (rank > (sparse[low] & RANK_MASK)) sparse[low] = (index << RANK_BITS) | rank;
      return;
    }
    // Shifted by hand: splice is a call into the runtime, dearer than moving a short list.
    sparse.push(0);
    for (let j = sparse.length - 1; j > low; j--) sparse[j] = sparse[j - 1];
    sparse[low] = (index << RANK_BITS) | rank;
    if (sparse.length > SPARSE_MAX) this.dense();
  }

  /** The full registers, made from the sparse list the first time. */
  private dense(): Uint8Array {
    if (this.registers !== undefined) return this.registers;
    const registers = new Uint8Array(M);
    for (const entry of this.sparse!) registers[entry >>> RANK_BITS] = entry & RANK_MASK;
    this.registers = registers;
    this.sparse = undefined;
    return registers;
  }
}
