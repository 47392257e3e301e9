import type { AggregateDeclaration, Declarations, MeasureDeclaration } from './declarations';
import { hasSketches } from './declarations';
import { type EventFields, groupReader, numberReader, stringReader } from './fields';
import { MEASURES, type MeasureKind } from './measures';

export interface PlannedMeasure {
  readonly name: string;
  readonly declaration: MeasureDeclaration;
  readonly kind: MeasureKind<unknown>;
  /** The event's input for this measure; undefined when the event does not count for it. `count` gets 0. */
  readonly input: (e: EventFields) => number | string | undefined;
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
  /** Items keep sketches, so they are read and rewritten whole rather than added to. */
  readonly sketches: boolean;
}

export interface AggregatePlan {
  readonly declarations: Declarations;
  readonly aggregates: readonly PlannedAggregate[];
}

/** Declarations made ready for the one pass: readers built once, not per event. */
export function planAggregates(declarations: Declarations, defaultLatenessSeconds: number): AggregatePlan {
  return {
    declarations,
    aggregates: declarations.aggregates.map((d) => {
      const all = d.types.includes('*');
      const types = new Set(d.types);
      const readers = d.groupBy.map(groupReader);
      return {
        declaration: d,
        name: d.name,
        matches: all ? () => true : (type: string) => types.has(type),
        windowsMs: d.windowSeconds.map((s) => s * 1000),
        latenessMs: (d.allowedLatenessSeconds ?? defaultLatenessSeconds) * 1000,
        groupBy: d.groupBy,
        groupOf: (e: EventFields) => readers.map((r) => r(e)),
        groupReaders: readers,
        measures: Object.entries(d.measures).map(([name, m]) => {
          const kind = MEASURES[m.op];
          const input: (e: EventFields) => number | string | undefined =
            kind.input === 'none' ? () => 0 : kind.input === 'number' ? numberReader(m.of!) : stringReader(m.of!);
          return { name, declaration: m, kind, input };
        }),
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

/** Folds events, in the given order, into the measures' states: `into`'s where it has one, else fresh ones. */
export function measureStates(
  aggregate: PlannedAggregate,
  events: readonly EventFields[],
  indices: readonly number[],
  into?: ReadonlyMap<string, unknown>,
): Map<string, unknown> {
  const states = new Map<string, unknown>();
  for (const m of aggregate.measures) {
    let state = into?.get(m.name) ?? m.kind.create(m.declaration);
    for (const i of indices) {
      const input = m.input(events[i]);
      if (input !== undefined) state = m.kind.add(state, m.kind.input === 'none' ? undefined : input);
    }
    states.set(m.name, state);
  }
  return states;
}
