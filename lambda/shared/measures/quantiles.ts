import { DEFAULT_RELATIVE_ACCURACY } from '../declarations';
import { QuantileSketch } from '../sketches/quantile-sketch';
import { sketchKind } from './sketch-kind';

export const DEFAULT_QUANTILES = [0.5, 0.9, 0.95, 0.99];

/** `0.5` → `p50`, `0.999` → `p99.9`. */
export function quantileLabel(q: number): string {
  return `p${Number((q * 100).toFixed(6))}`;
}

export const quantiles = sketchKind<QuantileSketch, number>({
  op: 'quantiles',
  input: 'number',
  create: (d) => new QuantileSketch(d.relativeAccuracy ?? DEFAULT_RELATIVE_ACCURACY),
  decode: (bytes) => QuantileSketch.decode(bytes),
  answer: (s, options = {}) => {
    const out: Record<string, number | null> = {};
    for (const q of options.quantiles ?? DEFAULT_QUANTILES) {
      out[quantileLabel(q)] = s === undefined || s.count === 0 ? null : s.quantile(q);
    }
    return out;
  },
});
