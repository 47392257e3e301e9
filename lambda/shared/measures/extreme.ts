import type { MeasureKind } from './measure-kind';
import { storedNumber } from './measure-kind';

/** `min` and `max`: a number, or undefined while no event of the group had one. */
function extreme(op: 'min' | 'max'): MeasureKind<number | undefined> {
  const better = op === 'min' ? (a: number, b: number) => a < b : (a: number, b: number) => a > b;
  const pick = (a: number | undefined, b: number | undefined) =>
    a === undefined ? b : b === undefined ? a : better(b, a) ? b : a;
  return {
    op,
    exact: true,
    input: 'number',
    create: () => undefined,
    add: (s, v) => pick(s, v as number),
    fold: (s, column, indices) => {
      const values = column as Float64Array;
      for (let k = 0; k < indices.length; k++) {
        const v = values[indices[k]];
        if (v === v) s = pick(s, v);
      }
      return s;
    },
    merge: pick,
    store: (name, s) => (s === undefined ? {} : { [name]: { N: String(s) } }),
    load: (name, item) => storedNumber(item, name),
    update: (name, s) =>
      s === undefined ? {} : { extreme: { attribute: name, value: s, keep: op === 'min' ? 'lower' : 'higher' } },
    answer: (s) => s ?? null,
  };
}

export const min = extreme('min');
export const max = extreme('max');
