import type { MeasureKind } from './measure-kind';
import { storedNumber } from './measure-kind';
import { type SumState, addCompensated as addToSum, roundedSum, sum } from './sum';

// Local: avg folds per event, and an imported name is a getter call under a CommonJS transform (core.ts).
const addCompensated = addToSum;

export interface AvgState extends SumState {
  n: number;
}

/**
 * Kept as a sum and a count, `<name>#sum` and `<name>#n`, because UpdateItem can add but not divide;
 * readers divide. (`#` cannot appear in a measure name, so the two never collide with another.)
 */
export const avg: MeasureKind<AvgState> = {
  op: 'avg',
  exact: true,
  input: 'number',
  create: () => ({ sum: 0, compensation: 0, n: 0 }),
  add: (s, v) => {
    addCompensated(s, v as number);
    s.n++;
    return s;
  },
  fold: (s, column, indices) => {
    const values = column as Float64Array;
    for (let k = 0; k < indices.length; k++) {
      const v = values[indices[k]];
      if (v === v) {
        addCompensated(s, v);
        s.n++;
      }
    }
    return s;
  },
  merge: (a, b) => {
    sum.merge(a, b);
    a.n += b.n;
    return a;
  },
  store: (name, s) => ({ [`${name}#sum`]: { N: String(roundedSum(s)) }, [`${name}#n`]: { N: String(s.n) } }),
  load: (name, item) => {
    const total = storedNumber(item, `${name}#sum`);
    const n = storedNumber(item, `${name}#n`);
    return total === undefined || n === undefined ? undefined : { sum: total, compensation: 0, n };
  },
  update: (name, s) => ({
    add: [
      [`${name}#sum`, roundedSum(s)],
      [`${name}#n`, s.n],
    ],
  }),
  answer: (s) => (s === undefined || s.n === 0 ? null : roundedSum(s) / s.n),
};
