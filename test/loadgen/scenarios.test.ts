import { describe, expect, it } from 'vitest';
import { type PipelineEvent, validateEvent } from '../../lambda/shared/event-schema';
import { EventGenerator, type GeneratedRecord, type GeneratorOptions, SCENARIOS } from '../../loadgen/scenarios';

function event(r: GeneratedRecord): PipelineEvent {
  return JSON.parse(r.data.toString('utf8')) as PipelineEvent;
}

function take(options: GeneratorOptions, n: number): ReturnType<EventGenerator['next']>[] {
  const g = new EventGenerator(options);
  return Array.from({ length: n }, () => g.next());
}

const START = Date.UTC(2026, 10, 23, 9);

describe.each(SCENARIOS)('scenario %s', (scenario) => {
  const options: GeneratorOptions = {
    scenario,
    seed: 42,
    keys: 50,
    poisonRate: 0,
    startMs: START,
    rate: 100,
    keepValid: true,
  };

  it('gives the same records for the same seed, and others for another', () => {
    const a = take(options, 2000).map((r) => r.data.toString('base64'));
    expect(take(options, 2000).map((r) => r.data.toString('base64'))).toEqual(a);
    expect(take({ ...options, seed: 43 }, 2000).map((r) => r.data.toString('base64'))).not.toEqual(a);
  });

  it('writes the same bytes whether or not it keeps valid events', () => {
    const kept = take(options, 2000).map((r) => r.data.toString('base64'));
    expect(take({ ...options, keepValid: false }, 2000).map((r) => r.data.toString('base64'))).toEqual(kept);
  });

  it('makes only valid events, keyed by their key, within the key cardinality, with unique ids', () => {
    const records = take(options, 5000);
    const keys = new Set<string>();
    for (const r of records) {
      const v = validateEvent(JSON.parse(r.data.toString('utf8')));
      expect(v.ok, r.data.toString('utf8')).toBe(true);
      if (v.ok) expect(r.valid).toEqual([v.event]);
      // The attributes kept are those written: same keys in the same order, same values and types.
      expect(JSON.stringify(r.valid[0].attributes)).toBe(JSON.stringify(event(r).attributes));
      expect(r.partitionKey).toBe(r.valid[0].key);
      keys.add(r.partitionKey);
    }
    expect(keys.size).toBeLessThanOrEqual(50);
    expect(keys.size).toBeGreaterThan(10);
    expect(new Set(records.map((r) => event(r).eventId)).size).toBe(5000);
  });

  it('spaces event times at the rate from the start', () => {
    const records = take(options, 201);
    const ms = (r: (typeof records)[number]): number => r.valid[0].eventTimeMs;
    expect(ms(records[0])).toBe(START);
    expect(ms(records[200])).toBe(START + 2000);
  });

  it('mixes in poison at about the asked share, and every poison record breaks the contract', () => {
    const records = take({ ...options, poisonRate: 0.1 }, 5000);
    const poison = records.filter((r) => r.poison);
    expect(poison.every((p) => p.valid.length === 0)).toBe(true);
    expect(poison.length).toBeGreaterThan(400);
    expect(poison.length).toBeLessThan(600);
    for (const p of poison) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(p.data.toString('utf8'));
      } catch {
        continue;
      }
      expect(validateEvent(parsed).ok).toBe(false);
    }
  });
});

describe('distributions', () => {
  it('clickstream: a few users and pages take most traffic, purchases are rare and carry amounts', () => {
    const records = take(
      { scenario: 'clickstream', seed: 1, keys: 1000, poisonRate: 0, startMs: START, rate: 1000, keepValid: true },
      20_000,
    );
    const perKey = new Map<string, number>();
    for (const r of records) perKey.set(r.partitionKey, (perKey.get(r.partitionKey) ?? 0) + 1);
    const top10 = [...perKey.values()]
      .sort((a, b) => b - a)
      .slice(0, 10)
      .reduce((a, b) => a + b, 0);
    expect(top10 / records.length).toBeGreaterThan(0.1);
    const purchases = records.filter((r) => r.valid[0].type === 'purchase');
    expect(purchases.length / records.length).toBeGreaterThan(0.01);
    expect(purchases.length / records.length).toBeLessThan(0.04);
    for (const p of purchases) expect(Math.round(p.valid[0].value * 100) / 100).toBe(p.valid[0].value);
  });

  it('iot: readings drift around each device baseline with rare spikes', () => {
    const records = take(
      { scenario: 'iot', seed: 2, keys: 20, poisonRate: 0, startMs: START, rate: 1000, keepValid: true },
      20_000,
    );
    const temps = records.filter((r) => r.valid[0].type === 'temperature').map((r) => r.valid[0].value);
    const spikes = records.filter((r) => (event(r).attributes as { spike: boolean }).spike).length;
    expect(Math.min(...temps)).toBeGreaterThan(-10);
    expect(Math.max(...temps)).toBeLessThan(60);
    expect(spikes).toBeGreaterThan(5);
    expect(spikes).toBeLessThan(100);
  });

  it('logs: latencies have a long right tail and errors are a small share', () => {
    const records = take(
      { scenario: 'logs', seed: 3, keys: 40, poisonRate: 0, startMs: START, rate: 1000, keepValid: true },
      20_000,
    );
    const latencies = records.map((r) => r.valid[0].value).sort((a, b) => a - b);
    const p50 = latencies[Math.floor(latencies.length / 2)];
    const p99 = latencies[Math.floor(latencies.length * 0.99)];
    expect(p99 / p50).toBeGreaterThan(4);
    const errors = records.filter((r) => r.valid[0].type === 'http_error').length / records.length;
    expect(errors).toBeGreaterThan(0.001);
    expect(errors).toBeLessThan(0.05);
  });
});

const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-1', 'ap-northeast-1'];

/** The attributes of a kept valid event, by the names the scenario writes. */
function attributes<T>(r: GeneratedRecord): T {
  return r.valid[0].attributes as T;
}

/** The records whose attributes fail a check, as JSON: one expect for all of them (20,000 expects are slow). */
function failing(records: readonly GeneratedRecord[], ok: (r: GeneratedRecord) => boolean): string[] {
  return records.filter((r) => !ok(r)).map((r) => r.data.toString('utf8'));
}

/** How many records take each value, most frequent first. */
function counts(values: readonly string[]): [string, number][] {
  const perValue = new Map<string, number>();
  for (const v of values) perValue.set(v, (perValue.get(v) ?? 0) + 1);
  return [...perValue.entries()].sort((a, b) => b[1] - a[1]);
}

describe('attributes for declared aggregates', () => {
  it('clickstream: page, session, referrer, latencyMs and region on every event type', () => {
    interface Click {
      page: string;
      session: string;
      referrer: string;
      latencyMs: number;
      region: string;
    }
    const n = 20_000;
    const records = take(
      { scenario: 'clickstream', seed: 5, keys: 1000, poisonRate: 0, startMs: START, rate: 1000, keepValid: true },
      n,
    );
    const bad = failing(records, (r) => {
      const a = attributes<Click>(r);
      return (
        /^\/p\/\d+$/.test(a.page) &&
        Number(a.page.slice(3)) < 500 &&
        a.session === `s-${r.partitionKey.slice('user-'.length)}-${Math.floor(r.valid[0].eventTimeMs / 1_800_000)}` &&
        typeof a.referrer === 'string' &&
        Number.isInteger(a.latencyMs) &&
        a.latencyMs >= 1 &&
        a.latencyMs <= 60_000 &&
        REGIONS.includes(a.region)
      );
    });
    expect(bad).toEqual([]);
    expect(new Set(records.map((r) => r.valid[0].type))).toEqual(
      new Set(['page_view', 'click', 'add_to_cart', 'purchase']),
    );

    // Referrers: a head of named hosts that a top 10 mostly covers, and a long tail of others.
    const referrers = counts(records.map((r) => attributes<Click>(r).referrer));
    const top10 = referrers.slice(0, 10).reduce((s, [, c]) => s + c, 0) / n;
    expect(top10).toBeGreaterThan(0.7);
    expect(top10).toBeLessThan(0.95);
    expect(referrers[0][0]).toBe('google.com');
    expect(referrers.map(([r]) => r)).toContain('(direct)');
    const tail = referrers.filter(([r]) => /^site-\d+\.example$/.test(r));
    expect(tail.length).toBeGreaterThan(300);
    const tailShare = tail.reduce((s, [, c]) => s + c, 0) / n;
    expect(tailShare).toBeGreaterThan(0.07);
    expect(tailShare).toBeLessThan(0.13);
    expect(referrers.length - tail.length).toBeLessThanOrEqual(30);

    // Page load times: median near 180 ms, a long right tail.
    const latencies = records.map((r) => attributes<Click>(r).latencyMs).sort((a, b) => a - b);
    const p50 = latencies[Math.floor(n / 2)];
    expect(p50).toBeGreaterThan(160);
    expect(p50).toBeLessThan(200);
    expect(latencies[Math.floor(n * 0.99)] / p50).toBeGreaterThan(5);

    // Regions: all six, us-east-1 the most.
    const regions = counts(records.map((r) => attributes<Click>(r).region));
    expect(regions.map(([r]) => r).sort()).toEqual([...REGIONS].sort());
    expect(regions[0][0]).toBe('us-east-1');
    expect(regions[0][1] / n).toBeGreaterThan(0.3);
  });

  it('iot: each device stays in one region', () => {
    const records = take(
      { scenario: 'iot', seed: 6, keys: 60, poisonRate: 0, startMs: START, rate: 1000, keepValid: true },
      10_000,
    );
    const regionOf = new Map<string, string>();
    const bad = failing(records, (r) => {
      const a = attributes<{ firmware: string; region: string; spike: boolean }>(r);
      const stable = (regionOf.get(r.partitionKey) ?? a.region) === a.region;
      regionOf.set(r.partitionKey, a.region);
      return /^1\.[0-3]\.0$/.test(a.firmware) && typeof a.spike === 'boolean' && REGIONS.includes(a.region) && stable;
    });
    expect(bad).toEqual([]);
    expect(new Set(regionOf.values()).size).toBeGreaterThan(3);
  });

  it('logs: status, region and user on every request, many users per route', () => {
    const n = 20_000;
    const records = take(
      { scenario: 'logs', seed: 7, keys: 40, poisonRate: 0, startMs: START, rate: 1000, keepValid: true },
      n,
    );
    const usersPerRoute = new Map<string, Set<string>>();
    const bad = failing(records, (r) => {
      const a = attributes<{ status: number; region: string; user: string; unit: string }>(r);
      const users = usersPerRoute.get(r.partitionKey) ?? new Set<string>();
      users.add(a.user);
      usersPerRoute.set(r.partitionKey, users);
      return (
        Number.isInteger(a.status) &&
        a.status >= 500 === (r.valid[0].type === 'http_error') &&
        REGIONS.includes(a.region) &&
        /^u-\d+$/.test(a.user) &&
        Number(a.user.slice(2)) < 5000 &&
        a.unit === 'ms'
      );
    });
    expect(bad).toEqual([]);
    const users = counts(records.map((r) => attributes<{ user: string }>(r).user));
    expect(users.length).toBeGreaterThan(2000);
    // Zipf: the first user is seen far more than a typical one.
    expect(users[0][1]).toBeGreaterThan(20 * users[Math.floor(users.length / 2)][1]);
    const busiest = Math.max(...[...usersPerRoute.values()].map((s) => s.size));
    expect(busiest).toBeGreaterThan(1000);
    const regions = counts(records.map((r) => attributes<{ region: string }>(r).region));
    expect(regions[0][0]).toBe('us-east-1');
    expect(regions.length).toBe(6);
  });
});
