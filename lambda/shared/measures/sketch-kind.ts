import type { MeasureDeclaration, MeasureOp } from '../declarations';
import { type AnswerOptions, type MeasureKind, storedBytes } from './measure-kind';

/** What the three sketches share: fold a value in, merge another, encode compactly. */
interface Sketch<V> {
  add(value: V): void;
  /** Adds the values at `indices` that count: undefined (an absent string) and NaN (an absent number) do not. */
  addAt(values: ArrayLike<V | undefined>, indices: readonly number[]): void;
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
      // Each sketch's own loop: one shared here would call add on all three classes and inline none.
      s.addAt(column as ArrayLike<V | undefined>, indices);
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
