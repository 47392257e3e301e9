import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { EXACT_OPS, MEASURE_OPS, type MeasureDeclaration, type MeasureOp } from '../../../lambda/shared/declarations';
import { type ExactUpdate, MEASURES } from '../../../lambda/shared/measures';
import { quantileLabel } from '../../../lambda/shared/measures/quantiles';

/** A declaration of each op as parseDeclarations returns it, defaults filled in. */
const DECLARATIONS: Record<MeasureOp, MeasureDeclaration> = {
  count: { op: 'count' },
  sum: { op: 'sum', of: 'value' },
  min: { op: 'min', of: 'value' },
  max: { op: 'max', of: 'value' },
  avg: { op: 'avg', of: 'value' },
  distinct: { op: 'distinct', of: 'key' },
  quantiles: { op: 'quantiles', of: 'value', relativeAccuracy: 0.01 },
  topK: { op: 'topK', of: 'key', k: 3 },
};

const NUMBERS = [0.1, 0.2, -4, 2.5, 7, 0.1, 1e-3, 12.25, 0.3, 1];
const STRINGS = ['a', 'b', 'a', 'c', 'a', 'b', 'd', 'é', 'a', 'b'];

/** What each op is fed: count gets nothing, the others a number or a string. */
function inputs(op: MeasureOp): (number | string | undefined)[] {
  const kind = MEASURES[op];
  return kind.input === 'none' ? NUMBERS.map(() => undefined) : kind.input === 'number' ? NUMBERS : STRINGS;
}

function fold(op: MeasureOp, values: readonly (number | string | undefined)[]): unknown {
  const kind = MEASURES[op];
  let state = kind.create(DECLARATIONS[op]);
  for (const v of values) state = kind.add(state, v);
  return state;
}

function roundTrip(op: MeasureOp, state: unknown): unknown {
  return MEASURES[op].load('m', MEASURES[op].store('m', state), DECLARATIONS[op]);
}

describe('MEASURES', () => {
  it('has exactly the declared ops, each under its own name', () => {
    expect(Object.keys(MEASURES).sort()).toEqual([...MEASURE_OPS].sort());
    for (const op of MEASURE_OPS) expect(MEASURES[op].op).toBe(op);
  });

  it('marks the exact ops exact, and only they have additive updates', () => {
    for (const op of MEASURE_OPS) {
      expect(MEASURES[op].exact, op).toBe(EXACT_OPS.includes(op));
      expect(MEASURES[op].update !== undefined, op).toBe(MEASURES[op].exact);
    }
  });

  it.each(MEASURE_OPS)('%s: store then load gives the same answer and the same stored attributes', (op) => {
    const kind = MEASURES[op];
    const state = fold(op, inputs(op));
    const stored = kind.store('m', state);
    for (const name of Object.keys(stored)) expect(name.startsWith('m')).toBe(true);
    const loaded = roundTrip(op, state);
    expect(loaded).toBeDefined();
    expect(kind.answer(loaded)).toEqual(kind.answer(state));
    expect(kind.store('m', loaded)).toEqual(stored);
  });

  it.each(MEASURE_OPS)('%s: loads nothing from an item without it', (op) => {
    expect(MEASURES[op].load('m', { other: { N: '1' } }, DECLARATIONS[op])).toBeUndefined();
  });

  it.each(MEASURE_OPS)('%s: merging two states equals folding every value into one', (op) => {
    const kind = MEASURES[op];
    const all = inputs(op);
    for (const cut of [0, 3, all.length]) {
      const merged = kind.merge(fold(op, all.slice(0, cut)), fold(op, all.slice(cut)));
      expect(kind.answer(merged), `cut at ${cut}`).toEqual(kind.answer(fold(op, all)));
      expect(kind.store('m', merged), `cut at ${cut}`).toEqual(kind.store('m', fold(op, all)));
    }
  });

  it.each(MEASURE_OPS)('%s: merging a loaded state with a new one equals folding both', (op) => {
    const kind = MEASURES[op];
    const all = inputs(op);
    const merged = kind.merge(roundTrip(op, fold(op, all.slice(0, 4))), fold(op, all.slice(4)));
    expect(kind.answer(merged)).toEqual(kind.answer(fold(op, all)));
  });

  it.each<[MeasureOp, unknown]>([
    ['count', { m: { N: '10' } }],
    ['sum', { m: { N: '19.451' } }],
    ['min', { m: { N: '-4' } }],
    ['max', { m: { N: '12.25' } }],
    ['avg', { 'm#sum': { N: '19.451' }, 'm#n': { N: '10' } }],
  ])('%s is stored as plain DynamoDB numbers', (op, expected) => {
    expect(MEASURES[op].store('m', fold(op, inputs(op)))).toEqual(expected);
  });

  it.each(['distinct', 'quantiles', 'topK'] as const)('%s is stored as one binary attribute', (op) => {
    const stored: Record<string, AttributeValue> = MEASURES[op].store('m', fold(op, inputs(op)));
    expect(Object.keys(stored)).toEqual(['m']);
    expect(stored.m.B).toBeInstanceOf(Uint8Array);
  });

  it.each<[MeasureOp, readonly number[], ExactUpdate]>([
    ['count', [1, 2, 3], { add: [['m', 3]] }],
    ['sum', [0.1, 0.2], { add: [['m', 0.3]] }],
    [
      'avg',
      [0.1, 0.2],
      {
        add: [
          ['m#sum', 0.3],
          ['m#n', 2],
        ],
      },
    ],
    ['min', [3, -4, 2], { extreme: { attribute: 'm', value: -4, keep: 'lower' } }],
    ['max', [3, -4, 2], { extreme: { attribute: 'm', value: 3, keep: 'higher' } }],
    // No event had a number: nothing to write, not a 0 that would win every later comparison.
    ['min', [], {}],
    ['max', [], {}],
  ])('%s of %j updates with %j', (op, values, expected) => {
    const state = fold(op, op === 'count' ? values.map(() => undefined) : values);
    expect(MEASURES[op].update!('m', state)).toEqual(expected);
  });

  it('stores no min or max attribute while nothing counted', () => {
    expect(MEASURES.min.store('m', fold('min', []))).toEqual({});
    expect(MEASURES.max.store('m', fold('max', []))).toEqual({});
  });

  it.each<[MeasureOp, unknown]>([
    ['count', 0],
    ['sum', 0],
    ['distinct', 0],
    ['min', null],
    ['max', null],
    ['avg', null],
    ['quantiles', { p50: null, p90: null, p95: null, p99: null }],
    ['topK', []],
  ])('%s answers %j for an absent state and for an empty one', (op, expected) => {
    expect(MEASURES[op].answer(undefined)).toEqual(expected);
    expect(MEASURES[op].answer(MEASURES[op].create(DECLARATIONS[op]))).toEqual(expected);
  });

  it('answers the quantiles asked for, labelled as the API names them', () => {
    const state = fold('quantiles', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const answer = MEASURES.quantiles.answer(state, { quantiles: [0.5, 0.999] });
    expect(answer).toEqual({ p50: expect.closeTo(5, 1), 'p99.9': 10 });
    expect(MEASURES.quantiles.answer(undefined, { quantiles: [0.5, 0.999] })).toEqual({ p50: null, 'p99.9': null });
  });

  it.each<[number, string]>([
    [0, 'p0'],
    [0.001, 'p0.1'],
    [0.07, 'p7'],
    [0.25, 'p25'],
    [0.5, 'p50'],
    [0.9, 'p90'],
    [0.95, 'p95'],
    [0.99, 'p99'],
    [0.999, 'p99.9'],
    [0.9999, 'p99.99'],
    [1, 'p100'],
  ])('labels quantile %d as %s', (q, label) => {
    expect(quantileLabel(q)).toBe(label);
  });

  it('builds sketches from the declaration: relative accuracy and k', () => {
    const coarse = MEASURES.quantiles.create({ op: 'quantiles', of: 'value', relativeAccuracy: 0.05 });
    expect((coarse as { relativeAccuracy: number }).relativeAccuracy).toBe(0.05);
    const top = fold('topK', STRINGS);
    expect(MEASURES.topK.answer(top)).toEqual([
      { value: 'a', count: 4 },
      { value: 'b', count: 3 },
      { value: 'c', count: 1 },
    ]);
  });

  it('averages with the stored sum and count, as readers divide', () => {
    expect(MEASURES.avg.answer(fold('avg', [0.1, 0.2]))).toBe(0.15);
    expect(
      MEASURES.avg.answer(MEASURES.avg.load('m', { 'm#sum': { N: '7' }, 'm#n': { N: '2' } }, DECLARATIONS.avg)),
    ).toBe(3.5);
    // Half an item is no average.
    expect(MEASURES.avg.load('m', { 'm#sum': { N: '7' } }, DECLARATIONS.avg)).toBeUndefined();
  });
});

describe('a declaration changed while its items live', () => {
  // The store loads the item's state and folds the batch's events into it (aggregates-store.ts), so
  // a user who edits relativeAccuracy or k in aggregates.json never makes a write to a current window
  // throw: the stored sketch keeps its parameters, new items take the new ones.
  it.each<[string, MeasureOp, MeasureDeclaration, MeasureDeclaration, readonly (number | string)[]]>([
    [
      'quantiles relativeAccuracy 0.01 → 0.02',
      'quantiles',
      { op: 'quantiles', of: 'value', relativeAccuracy: 0.01 },
      { op: 'quantiles', of: 'value', relativeAccuracy: 0.02 },
      [1, 2, 3],
    ],
    ['topK k 3 → 5', 'topK', { op: 'topK', of: 'key', k: 3 }, { op: 'topK', of: 'key', k: 5 }, ['a', 'b', 'a']],
  ])('%s: the stored state keeps its parameters and takes the new values', (_name, op, before, after, values) => {
    const kind = MEASURES[op];
    let old = kind.create(before);
    for (const v of values) old = kind.add(old, v);
    const item = kind.store('m', old);
    let twice = kind.create(before);
    for (const v of [...values, ...values]) twice = kind.add(twice, v);
    const fold = (): unknown => {
      let stored = kind.load('m', item, after) ?? kind.create(after);
      for (const v of values) stored = kind.add(stored, v);
      return stored;
    };
    expect(fold).not.toThrow();
    expect(kind.answer(fold())).toEqual(kind.answer(twice));
  });
});
