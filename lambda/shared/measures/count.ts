import { type MeasureKind, storedNumber } from './measure-kind';

/** Every event of the group, whatever its fields. */
export const count: MeasureKind<number> = {
  op: 'count',
  exact: true,
  input: 'none',
  create: () => 0,
  add: (n) => n + 1,
  fold: (n, _column, indices) => n + indices.length,
  merge: (a, b) => a + b,
  store: (name, n) => ({ [name]: { N: String(n) } }),
  load: (name, item) => storedNumber(item, name),
  update: (name, n) => ({ add: [[name, n]] }),
  answer: (n) => n ?? 0,
};
