import type { AggregateRow } from '../lambda/shared/aggregate-item';
import { SUM_DECIMALS } from '../lambda/shared/event-schema';
import type { ExpectFile, ExpectedItem } from '../loadgen/expect';

export interface Mismatch {
  readonly type: string;
  readonly key: string;
  readonly windowStart: string;
  /** `missing`: no item in the table; `different`: the item disagrees in `fields`. */
  readonly kind: 'missing' | 'different';
  readonly fields: readonly string[];
  readonly expected: ExpectedItem;
  readonly actual?: AggregateRow;
}

export interface Comparison {
  readonly items: number;
  readonly matched: number;
  readonly mismatches: readonly Mismatch[];
}

/** Per-batch sums keep SUM_DECIMALS places, so totals may differ from the exact sum by that much per batch. */
function sumsAgree(expected: number, actual: number, count: number): boolean {
  return Math.abs(expected - actual) <= count * 10 ** -SUM_DECIMALS + Math.abs(expected) * 1e-12;
}

/** Every expected item against the rows read for its type, by key and window. */
export function compareAggregates(
  expect: ExpectFile,
  rowsByType: ReadonlyMap<string, readonly AggregateRow[]>,
): Comparison {
  const index = new Map<string, AggregateRow>();
  for (const [type, rows] of rowsByType)
    for (const r of rows) index.set(`${type}\u0000${r.key}\u0000${r.windowStart}`, r);
  const mismatches: Mismatch[] = [];
  for (const e of expect.items) {
    const actual = index.get(`${e.type}\u0000${e.key}\u0000${e.windowStart}`);
    const at = { type: e.type, key: e.key, windowStart: e.windowStart, expected: e };
    if (actual === undefined) {
      mismatches.push({ ...at, kind: 'missing', fields: [] });
      continue;
    }
    const fields = [
      actual.count !== e.count ? 'count' : '',
      sumsAgree(e.sum, actual.sum, e.count) ? '' : 'sum',
      actual.min !== e.min ? 'min' : '',
      actual.max !== e.max ? 'max' : '',
    ].filter((f) => f !== '');
    if (fields.length > 0) mismatches.push({ ...at, kind: 'different', fields, actual });
  }
  return { items: expect.items.length, matched: expect.items.length - mismatches.length, mismatches };
}

/** The window range to read per type: from its first expected window to the end of its last. */
export function rangesByType(expect: ExpectFile): Map<string, { from: string; to: string }> {
  const ranges = new Map<string, { from: number; to: number }>();
  for (const e of expect.items) {
    const start = Date.parse(e.windowStart);
    const r = ranges.get(e.type) ?? { from: start, to: start };
    ranges.set(e.type, { from: Math.min(r.from, start), to: Math.max(r.to, start) });
  }
  return new Map(
    [...ranges].map(([type, r]) => [
      type,
      { from: new Date(r.from).toISOString(), to: new Date(r.to + expect.windowSeconds * 1000).toISOString() },
    ]),
  );
}

/** Reads an expect file's JSON, naming what is wrong with it. */
export function parseExpectFile(text: string, name: string): ExpectFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`--expect: ${name} is not JSON`);
  }
  const f = parsed as Partial<ExpectFile>;
  if (typeof f.windowSeconds !== 'number' || !Array.isArray(f.items) || typeof f.events !== 'number') {
    throw new Error(`--expect: ${name} is not a load generator expect file (windowSeconds, events, items)`);
  }
  return f as ExpectFile;
}

export function describeMismatch(m: Mismatch): string {
  const where = `${m.type} / ${m.key} / ${m.windowStart}`;
  if (m.kind === 'missing') return `${where}: missing (expected count ${m.expected.count})`;
  const show = (field: string): string =>
    `${field} ${String(m.expected[field as keyof AggregateRow])} expected, ${String(m.actual?.[field as keyof AggregateRow])} found`;
  return `${where}: ${m.fields.map(show).join('; ')}`;
}
