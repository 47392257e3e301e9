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

  it('makes only valid events, keyed by their key, within the key cardinality, with unique ids', () => {
    const records = take(options, 5000);
    const keys = new Set<string>();
    for (const r of records) {
      const v = validateEvent(JSON.parse(r.data.toString('utf8')));
      expect(v.ok, r.data.toString('utf8')).toBe(true);
      if (v.ok) expect(r.valid).toEqual([v.event]);
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
