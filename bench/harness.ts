import type { CostInputs, MeasuredOn } from '../cost/measured-inputs';

export interface Machine extends MeasuredOn {
  readonly cores: number;
  readonly node: string;
  readonly os: string;
  /** 1-minute load average when the run started and ended: how busy the shared machine was. */
  readonly loadAverage: { readonly start: number; readonly end: number };
}

/** A result as bench/results.json keeps it: with its stable id and the file that measured it. */
export type StoredResult = BenchResult & { readonly id: string; readonly file: string };

/** The shape of bench/results.json, written by bench/run.ts; `costInputs` is what cost/ reads. */
export interface BenchmarkResults {
  readonly schema: 2;
  readonly machine: Machine;
  readonly results: StoredResult[];
  readonly costInputs: CostInputs;
}

export interface BenchResult {
  /** Stable name in bench/results.json; bench/run.ts makes one from the name when absent. */
  readonly id?: string;
  readonly name: string;
  /** Work items per second (median of the rounds), or the measured value for counts. */
  readonly value: number;
  readonly unit: string;
  readonly ratio?: number;
  readonly target?: string;
  readonly pass?: boolean;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function rate(items: number, fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return items / (Number(process.hrtime.bigint() - start) / 1e9);
}

/**
 * Times a candidate against its baseline over the same items, alternating their rounds after a
 * warm-up so that both see the same machine: on a shared, noisy host only the ratio of medians
 * measured side by side means anything.
 */
export function compare(
  items: number,
  baseline: () => void,
  candidate: () => void,
  rounds = 21,
  warmup = 5,
): { baseline: number; candidate: number; ratio: number } {
  for (let i = 0; i < warmup; i++) {
    baseline();
    candidate();
  }
  const b: number[] = [];
  const c: number[] = [];
  for (let i = 0; i < rounds; i++) {
    b.push(rate(items, baseline));
    c.push(rate(items, candidate));
  }
  const result = { baseline: median(b), candidate: median(c) };
  return { ...result, ratio: result.candidate / result.baseline };
}
