import { writeFileSync } from 'node:fs';
import type { AggregateRow } from '../lambda/shared/aggregate-item';
import type { PipelineEvent } from '../lambda/shared/event-schema';
import { type ValidEvent, validateEvent, windowStartMs } from '../lambda/shared/event-schema';

export interface ExpectedItem extends AggregateRow {
  readonly type: string;
}

export interface ExpectFile {
  readonly windowSeconds: number;
  readonly events: number;
  readonly items: ExpectedItem[];
}

interface Running {
  type: string;
  key: string;
  windowStartMs: number;
  count: number;
  /** Millionths, exactly: generated values have at most 3 decimals. */
  micros: bigint;
  min: number;
  max: number;
}

/** The exact aggregates of the events the stream accepted, for checking a run end to end. */
export class ExpectedAggregates {
  private readonly items = new Map<string, Running>();
  private events = 0;

  constructor(readonly windowSeconds: number) {}

  /** Adds an event, checked against the contract. */
  add(event: PipelineEvent): void {
    const valid = validateEvent(event);
    if (!valid.ok) throw new Error(`not a valid event: ${valid.reason}`);
    this.addValid(valid.event);
  }

  /** Adds what the contract keeps of a valid event. */
  addValid({ type, key, value, eventTimeMs }: ValidEvent): void {
    const start = windowStartMs(eventTimeMs, this.windowSeconds);
    const id = `${type}\u0000${key}\u0000${start}`;
    const micros = BigInt(Math.round(value * 1e6));
    this.events++;
    const item = this.items.get(id);
    if (item === undefined) {
      this.items.set(id, { type, key, windowStartMs: start, count: 1, micros, min: value, max: value });
      return;
    }
    item.count++;
    item.micros += micros;
    if (value < item.min) item.min = value;
    if (value > item.max) item.max = value;
  }

  /** Items sorted by window start, then type, then key: the order the dashboard API uses. */
  toJSON(): ExpectFile {
    const items = [...this.items.values()]
      .sort(
        (a, b) =>
          a.windowStartMs - b.windowStartMs ||
          (a.type < b.type ? -1 : a.type > b.type ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
      )
      .map((i) => ({
        type: i.type,
        key: i.key,
        windowStart: new Date(i.windowStartMs).toISOString(),
        count: i.count,
        sum: Number(i.micros) / 1e6,
        min: i.min,
        max: i.max,
      }));
    return { windowSeconds: this.windowSeconds, events: this.events, items };
  }

  write(path: string): void {
    writeFileSync(path, `${JSON.stringify(this.toJSON(), null, 1)}\n`);
  }
}
