import { SUM_DECIMALS } from '../event-schema';
import { type MeasureKind, storedNumber } from './measure-kind';

const SCALE = 10 ** SUM_DECIMALS;

/**
 * Neumaier-compensated, so a batch of decimal values keeps its exact total before it is rounded to
 * SUM_DECIMALS places for DynamoDB (whose numbers carry 38 digits).
 */
export interface SumState {
  sum: number;
  compensation: number;
}

export function addCompensated(s: SumState, v: number): void {
  const t = s.sum + v;
  s.compensation += Math.abs(s.sum) >= Math.abs(v) ? s.sum - t + v : v - t + s.sum;
  s.sum = t;
}

export function roundedSum(s: SumState): number {
  return Math.round((s.sum + s.compensation) * SCALE) / SCALE || 0;
}

export const sum: MeasureKind<SumState> = {
  op: 'sum',
  exact: true,
  input: 'number',
  create: () => ({ sum: 0, compensation: 0 }),
  add: (s, v) => {
    addCompensated(s, v as number);
    return s;
  },
  fold: (s, column, indices) => {
    const values = column as Float64Array;
    for (let k = 0; k < indices.length; k++) {
      const v = values[indices[k]];
      if (v === v) addCompensated(s, v);
    }
    return s;
  },
  merge: (a, b) => {
    addCompensated(a, b.sum);
    addCompensated(a, b.compensation);
    return a;
  },
  store: (name, s) => ({ [name]: { N: String(roundedSum(s)) } }),
  load: (name, item) => {
    const n = storedNumber(item, name);
    return n === undefined ? undefined : { sum: n, compensation: 0 };
  },
  update: (name, s) => ({ add: [[name, roundedSum(s)]] }),
  answer: (s) => (s === undefined ? 0 : roundedSum(s)),
};
