import { DEFAULT_RELATIVE_ACCURACY } from '../declarations';
import { QuantileSketch } from '../sketches/quantile-sketch';
import { type AnswerOptions, type MeasureKind, storedBytes } from './measure-kind';

export const DEFAULT_QUANTILES = [0.5, 0.9, 0.95, 0.99];

/** `0.5` → `p50`, `0.999` → `p99.9`. */
export function quantileLabel(q: number): string {
  return `p${Number((q * 100).toFixed(6))}`;
}

export const quantiles: MeasureKind<QuantileSketch> = {
  op: 'quantiles',
  exact: false,
  input: 'number',
  create: (d) => new QuantileSketch(d.relativeAccuracy ?? DEFAULT_RELATIVE_ACCURACY),
  add: (s, v) => {
    s.add(v as number);
    return s;
  },
  merge: (a, b) => {
    a.merge(b);
    return a;
  },
  store: (name, s) => ({ [name]: { B: s.encode() } }),
  load: (name, item) => {
    const bytes = storedBytes(item, name);
    return bytes === undefined ? undefined : QuantileSketch.decode(bytes);
  },
  answer: (s, options: AnswerOptions = {}) => {
    const out: Record<string, number | null> = {};
    for (const q of options.quantiles ?? DEFAULT_QUANTILES) {
      out[quantileLabel(q)] = s === undefined || s.count === 0 ? null : s.quantile(q);
    }
    return out;
  },
};
