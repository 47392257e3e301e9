import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { MeasureDeclaration, MeasureOp } from '../declarations';

/** What a measure takes from each event: a number, a string, or nothing (`count`). */
export type MeasureInput = 'number' | 'string' | 'none';

/**
 * A batch's inputs of one field, by event index: numbers with NaN where an event does not count,
 * or strings with undefined there (aggregate-plan.ts `BatchInputs`).
 */
export type InputColumn = Float64Array | readonly (string | undefined)[];

/** An additive change an exact measure makes with UpdateItem, so no read is needed. */
export interface ExactUpdate {
  /** Attributes to ADD to. */
  readonly add?: readonly (readonly [attribute: string, amount: number])[];
  /** An extreme to keep: SET only when lower (`min`) or higher (`max`) than the stored one. */
  readonly extreme?: { readonly attribute: string; readonly value: number; readonly keep: 'lower' | 'higher' };
}

/** Options a reader passes when it turns a state into an answer. */
export interface AnswerOptions {
  /** `quantiles`: the quantiles asked for, 0..1. */
  readonly quantiles?: readonly number[];
}

/**
 * One measure op, with the same small face for all: add a value, merge two states, store and load
 * them. A new op is one module like this and one line in the registry (index.ts). The aggregator's
 * store and the dashboard's reader know items and keys; only these modules know measures.
 */
export interface MeasureKind<S> {
  readonly op: MeasureOp;
  /** Exact measures are stored as plain numbers with additive updates; sketches are rewritten whole. */
  readonly exact: boolean;
  readonly input: MeasureInput;
  create(declaration: MeasureDeclaration): S;
  /** Folds one event's input in; `count` gets undefined. */
  add(state: S, input: number | string | undefined): S;
  /**
   * Folds the inputs at `indices`, in that order, as `add` would one by one, skipping those that
   * do not count; `count` gets no column. One call per item rather than one per event. Exactly as
   * `add` would, but for `topK` past 2·capacity distinct values: it reduces once, at the end, with
   * the same bound (heavy-hitters.ts).
   */
  fold(state: S, column: InputColumn | undefined, indices: readonly number[]): S;
  /** Merges `other` into `state` and returns the result. */
  merge(state: S, other: S): S;
  /** The stored attributes of a state; every attribute name starts with the measure's name. */
  store(name: string, state: S): Record<string, AttributeValue>;
  /** The state held by an item, or undefined when the item holds none yet. */
  load(name: string, item: Readonly<Record<string, AttributeValue>>, declaration: MeasureDeclaration): S | undefined;
  /** Exact measures only: the change as UpdateItem parts. */
  update?(name: string, state: S): ExactUpdate;
  /** The answer readers see: a number, `null` when nothing counted, or the op's own shape. */
  answer(state: S | undefined, options?: AnswerOptions): unknown;
}

export function storedNumber(item: Readonly<Record<string, AttributeValue>>, attribute: string): number | undefined {
  const n = item[attribute]?.N;
  return n === undefined ? undefined : Number(n);
}

export function storedBytes(item: Readonly<Record<string, AttributeValue>>, attribute: string): Uint8Array | undefined {
  return item[attribute]?.B;
}
