/** Seeded PRNG (mulberry32) so every sketch test sees the same stream on every run. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/** Cuts `items` into `parts` non-empty slices of random sizes, keeping the order. */
export function splitRandomly<T>(items: readonly T[], parts: number, random: () => number): T[][] {
  const cuts = new Set<number>();
  while (cuts.size < parts - 1) cuts.add(1 + Math.floor(random() * (items.length - 1)));
  const bounds = [0, ...[...cuts].sort((a, b) => a - b), items.length];
  return bounds.slice(1).map((end, i) => items.slice(bounds[i], end));
}

/** Merges random pairs until one is left, so the merge tree has a random shape. */
export function mergeRandomly<T>(sketches: T[], random: () => number, merge: (into: T, from: T) => void): T {
  const pool = [...sketches];
  while (pool.length > 1) {
    const [a] = pool.splice(Math.floor(random() * pool.length), 1);
    const [b] = pool.splice(Math.floor(random() * pool.length), 1);
    merge(a, b);
    pool.push(a);
  }
  return pool[0];
}

/** Standard normal deviate by Box–Muller. */
export function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
