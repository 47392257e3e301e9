import type { AggregateDeclaration, Declarations, MeasureDeclaration } from './declarations';
import { hasSketches } from './declarations';
import { type EventFields, groupReader, numberReader, stringReader } from './fields';
import { MEASURES, type MeasureKind } from './measures';
import type { InputColumn } from './measures/measure-kind';

export interface PlannedMeasure {
  readonly name: string;
  readonly declaration: MeasureDeclaration;
  readonly kind: MeasureKind<unknown>;
  /** The event's input for this measure; undefined when the event does not count for it. `count` gets 0. */
  readonly input: (e: EventFields) => number | string | undefined;
  /** Index of its input in the plan's `inputs` (and a batch's columns); -1 for `count`, which has none. */
  readonly column: number;
}

/** One field a measure reads, as numbers or as strings; measures that read the same share it. */
export interface PlannedInput {
  readonly field: string;
  readonly as: 'number' | 'string';
  readonly read: (e: EventFields) => number | string | undefined;
}

/**
 * The measures' inputs of a batch's events, read once per event rather than once per measure and
 * window size: per plan input, numbers in a Float64Array (NaN where the event does not count) or
 * strings in an array (undefined there). Only the events of the types that use an input are read.
 */
export interface BatchInputs {
  readonly columns: readonly InputColumn[];
}

export interface PlannedAggregate {
  readonly declaration: AggregateDeclaration;
  readonly name: string;
  readonly matches: (type: string) => boolean;
  readonly windowsMs: readonly number[];
  /** An event whose window ended longer than this before it reached the stream does not count. */
  readonly latenessMs: number;
  readonly groupBy: readonly string[];
  readonly groupOf: (e: EventFields) => (string | null)[];
  /** One reader per `groupBy` field, in order: what `groupOf` calls, for a caller that reads values one by one. */
  readonly groupReaders: readonly ((e: EventFields) => string | null)[];
  readonly measures: readonly PlannedMeasure[];
  /** The plan's inputs its measures read, once each. */
  readonly columns: readonly number[];
  /** Items keep sketches, so they are read and rewritten whole rather than added to. */
  readonly sketches: boolean;
}

export interface AggregatePlan {
  readonly declarations: Declarations;
  readonly aggregates: readonly PlannedAggregate[];
  readonly inputs: readonly PlannedInput[];
}

/** Declarations made ready for the one pass: readers built once, not per event. */
export function planAggregates(declarations: Declarations, defaultLatenessSeconds: number): AggregatePlan {
  const inputs: PlannedInput[] = [];
  const columnOf = (field: string, as: 'number' | 'string'): number => {
    const known = inputs.findIndex((i) => i.field === field && i.as === as);
    if (known >= 0) return known;
    inputs.push({ field, as, read: as === 'number' ? numberReader(field) : stringReader(field) });
    return inputs.length - 1;
  };
  return {
    declarations,
    inputs,
    aggregates: declarations.aggregates.map((d) => {
      const all = d.types.includes('*');
      const types = new Set(d.types);
      const readers = d.groupBy.map(groupReader);
      const measures = Object.entries(d.measures).map(([name, m]): PlannedMeasure => {
        const kind = MEASURES[m.op];
        if (kind.input === 'none') return { name, declaration: m, kind, input: () => 0, column: -1 };
        const column = columnOf(m.of!, kind.input);
        return { name, declaration: m, kind, input: inputs[column].read, column };
      });
      return {
        declaration: d,
        name: d.name,
        matches: all ? () => true : (type: string) => types.has(type),
        windowsMs: d.windowSeconds.map((s) => s * 1000),
        latenessMs: (d.allowedLatenessSeconds ?? defaultLatenessSeconds) * 1000,
        groupBy: d.groupBy,
        groupOf: (e: EventFields) => readers.map((r) => r(e)),
        groupReaders: readers,
        measures,
        columns: [...new Set(measures.map((m) => m.column).filter((c) => c >= 0))],
        sketches: hasSketches(d),
      };
    }),
  };
}

/** Start of the UTC-aligned window of the given width holding the time, in epoch milliseconds. */
export function windowStart(timeMs: number, widthMs: number): number {
  return Math.floor(timeMs / widthMs) * widthMs;
}

/** Whether an event that reached the stream at `arrivalMs` is too late for its window. */
export function isLate(windowStartMs: number, widthMs: number, arrivalMs: number, latenessMs: number): boolean {
  return arrivalMs > windowStartMs + widthMs + latenessMs;
}

/** Columns for a batch of `size` events, for readEventInputs to fill. */
export function emptyInputs(plan: AggregatePlan, size: number): BatchInputs {
  return {
    columns: plan.inputs.map((i) => (i.as === 'number' ? new Float64Array(size) : new Array<string | undefined>(size))),
  };
}

/** Reads the given plan inputs of one event into its row of the batch's columns. */
export function readEventInputs(
  plan: AggregatePlan,
  inputs: BatchInputs,
  wanted: readonly number[],
  e: EventFields,
  row: number,
): void {
  for (let k = 0; k < wanted.length; k++) {
    const c = wanted[k];
    const input = plan.inputs[c];
    const value = input.read(e);
    if (input.as === 'number') (inputs.columns[c] as Float64Array)[row] = value === undefined ? NaN : (value as number);
    else (inputs.columns[c] as (string | undefined)[])[row] = value as string | undefined;
  }
}

/**
 * Folds events, in the given order, into the measures' states: `into`'s where it has one, else
 * fresh ones. With the batch's `inputs` (which must hold these events' rows) each measure folds its
 * column; without, it reads each event's field.
 */
export function measureStates(
  aggregate: PlannedAggregate,
  events: readonly EventFields[],
  indices: readonly number[],
  into?: ReadonlyMap<string, unknown>,
  inputs?: BatchInputs,
): Map<string, unknown> {
  const states = new Map<string, unknown>();
  for (const m of aggregate.measures) {
    let state = into?.get(m.name) ?? m.kind.create(m.declaration);
    if (inputs !== undefined) {
      states.set(m.name, m.kind.fold(state, m.column < 0 ? undefined : inputs.columns[m.column], indices));
      continue;
    }
    for (const i of indices) {
      const input = m.input(events[i]);
      if (input !== undefined) state = m.kind.add(state, m.kind.input === 'none' ? undefined : input);
    }
    states.set(m.name, state);
  }
  return states;
}
