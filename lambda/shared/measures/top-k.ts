import { DEFAULT_TOP_K } from '../declarations';
import { HeavyHitters } from '../sketches/heavy-hitters';
import { type MeasureKind, storedBytes } from './measure-kind';

export const topK: MeasureKind<HeavyHitters> = {
  op: 'topK',
  exact: false,
  input: 'string',
  create: (d) => new HeavyHitters(d.k ?? DEFAULT_TOP_K),
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
    return bytes === undefined ? undefined : HeavyHitters.decode(bytes);
  },
  answer: (s) => (s === undefined ? [] : s.top()),
};
