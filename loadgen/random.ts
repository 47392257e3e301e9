/** Seeded randomness: same seed, same sequence, on every machine and Node version. */
export type Random = () => number;

/** mulberry32: small, fast, and good enough for synthetic data (not for anything secret). */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function intBelow(random: Random, n: number): number {
  return Math.floor(random() * n);
}

/** Standard normal by Box-Muller. */
export function normal(random: Random): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function logNormal(random: Random, median: number, sigma: number): number {
  return median * Math.exp(sigma * normal(random));
}

export function round(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}

/**
 * Zipf-distributed ranks 0..n-1 (rank 0 the most frequent), by inverting a precomputed CDF:
 * a few pages, devices or users take most of the traffic, as they do in real streams.
 */
export class Zipf {
  private readonly cdf: Float64Array;
  /** guide[j]: the first rank whose cumulative share reaches j / n, so a sample scans about two entries. */
  private readonly guide: Uint32Array;

  constructor(
    readonly n: number,
    exponent = 1.1,
  ) {
    this.cdf = new Float64Array(n);
    let total = 0;
    for (let k = 1; k <= n; k++) total += 1 / k ** exponent;
    let running = 0;
    for (let k = 1; k <= n; k++) {
      running += 1 / k ** exponent / total;
      this.cdf[k - 1] = running;
    }
    this.guide = new Uint32Array(n);
    let rank = 0;
    for (let j = 0; j < n; j++) {
      while (rank < n - 1 && this.cdf[rank] < j / n) rank++;
      this.guide[j] = rank;
    }
  }

  /** The first rank whose cumulative share reaches a uniform draw (the last rank if none does). */
  sample(random: Random): number {
    const u = random();
    // Same answer as a binary search over the CDF: start from the guide, then scan forward.
    let rank = this.guide[Math.floor(u * this.n)];
    const last = this.n - 1;
    while (rank < last && this.cdf[rank] < u) rank++;
    return rank;
  }
}
