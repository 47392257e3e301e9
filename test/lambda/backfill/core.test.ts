import { describe, expect, it } from 'vitest';
import {
  ARCHIVE_EVENTS_PREFIX,
  BackfillRangeError,
  type BackfillSettings,
  WindowFold,
  decodeNdjson,
  hourPrefixes,
  latestClosedTo,
  objectTime,
  parseSlice,
  planRange,
  rowEvent,
  sliceUnitMs,
} from '../../../lambda/backfill/core';
import { planAggregates } from '../../../lambda/shared/aggregate-plan';
import { parseDeclarations } from '../../../lambda/shared/declarations';
import { decodeEvent } from '../../../lambda/shared/event-schema';
import { ARCHIVE_PREFIX } from '../../../lib/constructs/archive-delivery';
import { archiveKey } from '../../../local/archive-writer';

const SETTINGS: BackfillSettings = { defaultLatenessSeconds: 86_400, bufferSeconds: 60, maxRecordAgeSeconds: 3_600 };
const plan = planAggregates(
  parseDeclarations({
    version: 2,
    aggregates: [
      {
        name: 'pages',
        types: ['page_view'],
        groupBy: ['attributes.page'],
        windows: ['1m', '1h'],
        allowedLateness: '10m',
        measures: { n: { op: 'count' } },
      },
    ],
  }),
  SETTINGS.defaultLatenessSeconds,
);
const pages = plan.aggregates[0];
const MIN = 60_000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 1);
const LONG_AFTER = T0 + 30 * 86_400_000;

describe('planRange', () => {
  it('recomputes the windows whose start is in [from, to), reading objects from one buffer interval before to lateness and one after', () => {
    const range = planRange(pages, T0, T0 + 2 * HOUR, LONG_AFTER, SETTINGS);
    expect(range.spans).toEqual([
      { window: 0, widthMs: MIN, first: T0, last: T0 + 2 * HOUR - MIN },
      { window: 1, widthMs: HOUR, first: T0, last: T0 + HOUR },
    ]);
    expect(range.objectsFromMs).toBe(T0 - 60_000);
    expect(range.objectsToMs).toBe(T0 + 2 * HOUR + 10 * MIN + 60_000);
    expect(hourPrefixes(range, 'events/')).toEqual([
      'events/year=2026/month=10/day=31/hour=23/',
      'events/year=2026/month=11/day=01/hour=00/',
      'events/year=2026/month=11/day=01/hour=01/',
      'events/year=2026/month=11/day=01/hour=02/',
    ]);
  });

  it('refuses a range reaching a window still open to live writes, and names the latest --to', () => {
    // The 1h window [T0, T0+1h) takes writes until +10m lateness, +1h record age, +60 s buffer.
    const now = T0 + HOUR + 10 * MIN + HOUR + 60_000;
    expect(latestClosedTo(pages, now, SETTINGS)).toBe(T0 + HOUR);
    expect(planRange(pages, T0, T0 + HOUR, now, SETTINGS).spans).toHaveLength(2);
    expect(() => planRange(pages, T0, T0 + HOUR + MIN, now, SETTINGS)).toThrow(BackfillRangeError);
    expect(() => planRange(pages, T0, T0 + HOUR + MIN, now, SETTINGS)).toThrow(
      /^--to: windows of "pages" before 2026-11-01T01:01:00.000Z are not all closed yet.*The latest --to now is 2026-11-01T01:00:00.000Z$/,
    );
    expect(() => planRange(pages, T0, T0, LONG_AFTER, SETTINGS)).toThrow(/^--to: must be later than --from/);
  });

  it('splits a range into contiguous slices on whole units of every window size: each window in exactly one', () => {
    expect(sliceUnitMs(pages)).toBe(HOUR);
    const from = T0 + 30 * MIN;
    const to = T0 + 10 * HOUR + 15 * MIN;
    const seen = new Map<string, number>();
    for (let index = 1; index <= 4; index++) {
      const range = planRange(pages, from, to, LONG_AFTER, SETTINGS, { index, count: 4 });
      for (const s of range.spans)
        for (let start = s.first; start <= s.last; start += s.widthMs) {
          const id = `${s.window}@${start}`;
          seen.set(id, (seen.get(id) ?? 0) + 1);
        }
    }
    const whole = planRange(pages, from, to, LONG_AFTER, SETTINGS);
    const expected = whole.spans.reduce((n, s) => n + (s.last - s.first) / s.widthMs + 1, 0);
    expect(seen.size).toBe(expected);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
  });
});

describe('parseSlice', () => {
  it('takes i/N with 1 <= i <= N only', () => {
    expect(parseSlice('2/8')).toEqual({ index: 2, count: 8 });
    for (const bad of ['0/4', '5/4', '1', '1/0', 'a/b', '-1/2', '1/2/3']) expect(parseSlice(bad)).toBeUndefined();
  });
});

describe('objectTime', () => {
  it("reads the object name's time within its time prefix's hour, else the hour", () => {
    const arrival = new Date(Date.UTC(2026, 10, 1, 9, 44, 17));
    expect(objectTime(archiveKey('events/', 'events-archive', arrival))).toBe(arrival.getTime());
    expect(objectTime('events/year=2026/month=11/day=01/hour=09/stream-1-2026-11-01-11-00-00-abc.gz')).toBe(
      Date.UTC(2026, 10, 1, 9),
    );
    expect(objectTime('events/year=2026/month=11/day=01/hour=09/other-name')).toBe(Date.UTC(2026, 10, 1, 9));
    expect(objectTime('events/stray-object.gz')).toBeUndefined();
  });

  it("uses the archive delivery's prefix", () => {
    expect(ARCHIVE_EVENTS_PREFIX).toBe(ARCHIVE_PREFIX);
  });
});

describe('decoding archived records', () => {
  it('checks each NDJSON line by the event contract, as the live path checks a record', () => {
    const events: unknown[] = [];
    const poison: string[] = [];
    decodeNdjson(
      Buffer.from(
        '{"eventId":"a","eventTime":1,"type":"t","key":"k"}\r\n\nnot json\n{"eventId":"b","eventTime":"x","type":"t","key":"k"}\n',
      ),
      { event: (e) => events.push(e), poison: (r) => poison.push(r) },
    );
    expect(events).toEqual([{ type: 't', key: 'k', value: 1, eventTimeMs: 1 }]);
    expect(poison).toEqual(['record: not JSON', expect.stringMatching(/^eventTime:/)]);
  });

  it('decodes an object of thousands of lines in their order, each line as decodeEvent decodes it alone', () => {
    const lines = Array.from({ length: 2_503 }, (_, i) => {
      if (i % 97 === 0) return 'not json';
      if (i % 89 === 0) return JSON.stringify({ eventId: `e${i}`, eventTime: 'x', type: 't', key: 'k' });
      if (i % 83 === 0)
        return JSON.stringify({ eventId: `e${i}`, eventTime: i, type: 't', key: 'k', pad: 'x'.repeat(300_000) });
      return JSON.stringify({ eventId: `e${i}`, eventTime: i, type: 't', key: `k${i}`, value: i / 4 });
    });
    const out: unknown[] = [];
    decodeNdjson(Buffer.from(lines.map((l, i) => (i % 7 === 0 ? `${l}\r\n\n` : `${l}\n`)).join('')), {
      event: (e) => out.push(e),
      poison: (r) => out.push(r),
    });
    expect(out).toEqual(
      lines.map((l) => {
        const decoded = decodeEvent(Buffer.from(l));
        return decoded.ok ? decoded.event : decoded.reason;
      }),
    );
    expect(out.filter((o) => typeof o === 'string').length).toBeGreaterThan(50);
  });

  it.each([999, 1_000, 1_001, 2_000])('takes %i lines, the last without a newline, each once and in order', (count) => {
    const lines = Array.from({ length: count }, (_, i) =>
      JSON.stringify({ eventId: `e${i}`, eventTime: i, type: 't', key: `k${i}` }),
    );
    const keys: string[] = [];
    decodeNdjson(Buffer.from(lines.join('\n')), { event: (e) => keys.push(e.key), poison: (r) => keys.push(r) });
    expect(keys).toEqual(lines.map((_, i) => `k${i}`));
  });

  it('ends a run at a million characters, and decodes a long valid line that may be over the limit by its bytes', () => {
    // 100,000 characters: over a third of the 256 KB limit, so decodeEvent reads it from its bytes.
    const long = JSON.stringify({ eventId: 'long', eventTime: 1, type: 't', key: 'k', pad: 'x'.repeat(100_000) });
    const lines = Array.from({ length: 25 }, (_, i) =>
      i % 5 === 0 ? long : JSON.stringify({ eventId: `e${i}`, eventTime: i, type: 't', key: `k${i}` }),
    );
    const out: unknown[] = [];
    decodeNdjson(Buffer.from(lines.join('\n')), { event: (e) => out.push(e.key), poison: (r) => out.push(r) });
    expect(out).toEqual(lines.map((_, i) => (i % 5 === 0 ? 'k' : `k${i}`)));
    expect(Buffer.byteLength(long)).toBeLessThan(256 * 1024);
    expect(long.length * 3).toBeGreaterThan(256 * 1024);
  });

  it('turns a Parquet row back into its event: eventTime digits as epoch milliseconds, attributes from their JSON', () => {
    expect(
      rowEvent({
        eventid: 'a',
        eventtime: '1700000000000',
        type: 'page_view',
        key: 'u',
        value: null,
        attributes: '{"page":"/home"}',
      }),
    ).toEqual({
      ok: true,
      event: { type: 'page_view', key: 'u', value: 1, eventTimeMs: 1_700_000_000_000, attributes: { page: '/home' } },
    });
    expect(rowEvent({ eventid: 'a', eventtime: '2026-11-01T00:00:00Z', type: 'x', key: null })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^key:/),
    });
  });
});

describe('WindowFold', () => {
  const event = (minute: number, page = '/home') => ({
    type: 'page_view',
    key: 'u',
    value: 1,
    eventTimeMs: T0 + minute * MIN,
    attributes: { page },
  });

  it("counts an event whose object's time is within its window's end plus the lateness, and no later", () => {
    const fold = new WindowFold(planRange(pages, T0, T0 + HOUR, LONG_AFTER, SETTINGS));
    fold.add(event(0), T0 + MIN + 10 * MIN);
    fold.add(event(0), T0 + MIN + 10 * MIN + 1);
    fold.add({ ...event(1), type: 'other' }, T0);
    const { items } = fold.finish();
    const minute = items.find((i) => i.window === 0)!;
    expect(minute.states.get('n')).toBe(1);
    // Both are in time for the hour window.
    expect(items.find((i) => i.window === 1)!.states.get('n')).toBe(2);
    expect(fold.counts).toEqual({ events: 2, late: 1 });
  });

  it('hands windows back once no later object can add to them, and holds only the open ones', () => {
    const fold = new WindowFold(planRange(pages, T0, T0 + 2 * HOUR, LONG_AFTER, SETTINGS));
    for (let m = 0; m < 120; m++) fold.add(event(m), T0 + m * MIN);
    const closed = fold.close(T0 + 30 * MIN);
    // 1-minute windows whose end plus the 10-minute lateness is before the object's time.
    expect(closed.spans).toEqual([{ window: 0, widthMs: MIN, first: T0, last: T0 + 18 * MIN }]);
    expect(closed.items).toHaveLength(19);
    expect(fold.heldItems()).toBe(101 + 2);
    const rest = fold.finish();
    expect(rest.items).toHaveLength(101 + 2);
    expect(fold.heldItems()).toBe(0);
  });
});
