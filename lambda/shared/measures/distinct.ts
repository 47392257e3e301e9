import { HyperLogLog } from '../sketches/hyperloglog';
import { type MeasureKind, storedBytes } from './measure-kind';

export const distinct: MeasureKind<HyperLogLog> = {
  op: 'distinct',
  exact: false,
  input: 'string',
  create: () => new HyperLogLog(),
  add: (s, v) => {
    s.add(v as string);
    return s;
  },
  merge: (a, b) => {
    a.merge(b);
    return a;
  },
  store: (name, s) => ({ [name]: { B: s.encode() } }),
  load: (name, item) => {
    const bytes = storedBytes(item, name);
    return bytes === undefined ? undefined : HyperLogLog.decode(bytes);
  },
  answer: (s) => (s === undefined ? 0 : s.estimate()),
};
