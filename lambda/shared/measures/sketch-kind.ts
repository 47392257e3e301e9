import type { MeasureDeclaration, MeasureOp } from '../declarations';
import { type AnswerOptions, type MeasureKind, storedBytes } from './measure-kind';

/** What the three sketches share: fold a value in, merge another, encode compactly. */
interface Sketch<V> {
  add(value: V): void;
  merge(other: this): void;
  encode(): Uint8Array;
}

/** A sketch measure: stored as one binary attribute under the measure's name, rewritten whole. */
export function sketchKind<S extends Sketch<V>, V extends number | string>(spec: {
  readonly op: MeasureOp;
  readonly input: V extends number ? 'number' : 'string';
  readonly create: (declaration: MeasureDeclaration) => S;
  readonly decode: (bytes: Uint8Array) => S;
  readonly answer: (state: S | undefined, options?: AnswerOptions) => unknown;
}): MeasureKind<S> {
  return {
    op: spec.op,
    exact: false,
    input: spec.input,
    create: spec.create,
    add: (s, v) => {
      s.add(v as V);
      return s;
    },
    fold: (s, column, indices) => {
      const values = column as ArrayLike<V | undefined>;
      for (let k = 0; k < indices.length; k++) {
        const v = values[indices[k]];
        // Neither undefined (a string that is absent) nor NaN (a number that is) counts.
        if (v !== undefined && v === v) s.add(v);
      }
      return s;
    },
    merge: (a, b) => {
      a.merge(b);
      return a;
    },
    store: (name, s) => ({ [name]: { B: s.encode() } }),
    load: (name, item) => {
      const bytes = storedBytes(item, name);
      return bytes === undefined ? undefined : spec.decode(bytes);
    },
    answer: spec.answer,
  };
}
