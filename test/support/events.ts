import { seeded } from './faults';

export interface Expected {
  count: number;
  /** Exact sum in hundredths: test values have two decimals. */
  sumCents: number;
  min: number;
  max: number;
}

export interface GeneratedEvents {
  readonly payloads: { partitionKey: string; data: Buffer }[];
  /** Keyed `<type>#<key>@<windowStart ISO>`, computed from the events as generated, not by the code under test. */
  readonly expected: Map<string, Expected>;
  readonly poison: number;
}

const BASE = Date.UTC(2026, 10, 23, 9, 0);

function isoWithOffset(ms: number, offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return new Date(ms + offsetMinutes * 60_000).toISOString().replace('Z', `${sign}${hh}:${mm}`);
}

/** Seeded events over a few types, keys and 60-second windows, with poison mixed in. */
export function generateEvents(
  seed: number,
  count: number,
  options: { keys?: number; poisonRate?: number; minutes?: number } = {},
): GeneratedEvents {
  const rand = seeded(seed);
  const keys = options.keys ?? 12;
  const poisonRate = options.poisonRate ?? 0;
  const minutes = options.minutes ?? 5;
  const payloads: { partitionKey: string; data: Buffer }[] = [];
  const expected = new Map<string, Expected>();
  let poison = 0;
  for (let i = 0; i < count; i++) {
    const key = `key-${Math.floor(rand() * keys)}`;
    if (rand() < poisonRate) {
      poison++;
      const bad = [
        'not json at all',
        JSON.stringify({ eventId: `p${i}`, eventTime: BASE, type: 'bad type', key }),
        JSON.stringify({ eventId: `p${i}`, eventTime: '2026-02-30T00:00:00Z', type: 'click', key }),
        JSON.stringify({ eventId: `p${i}`, eventTime: BASE, type: 'click', key, value: 'NaN' }),
      ][i % 4];
      payloads.push({ partitionKey: key, data: Buffer.from(bad) });
      continue;
    }
    const type = rand() < 0.7 ? 'click' : 'purchase';
    const ms = BASE + Math.floor(rand() * minutes * 60_000);
    const cents = Math.floor(rand() * 20_000) - 5_000;
    const useIso = rand() < 0.5;
    const offsets = [0, 120, -330, 345];
    const eventTime = useIso ? isoWithOffset(ms, offsets[i % offsets.length]) : ms;
    const hasValue = rand() < 0.9;
    const event = { eventId: `e${i}`, eventTime, type, key, ...(hasValue ? { value: cents / 100 } : {}) };
    payloads.push({ partitionKey: key, data: Buffer.from(JSON.stringify(event)) });
    const value = hasValue ? cents / 100 : 1;
    const id = `${type}#${key}@${new Date(ms - (ms % 60_000)).toISOString()}`;
    const e = expected.get(id);
    const valueCents = hasValue ? cents : 100;
    if (e === undefined) expected.set(id, { count: 1, sumCents: valueCents, min: value, max: value });
    else {
      e.count++;
      e.sumCents += valueCents;
      e.min = Math.min(e.min, value);
      e.max = Math.max(e.max, value);
    }
  }
  return { payloads, expected, poison };
}

export function mergeExpected(...maps: Map<string, Expected>[]): Map<string, Expected> {
  const out = new Map<string, Expected>();
  for (const m of maps) {
    for (const [id, e] of m) {
      const o = out.get(id);
      if (o === undefined) out.set(id, { ...e });
      else {
        o.count += e.count;
        o.sumCents += e.sumCents;
        o.min = Math.min(o.min, e.min);
        o.max = Math.max(o.max, e.max);
      }
    }
  }
  return out;
}
