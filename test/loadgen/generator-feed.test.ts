import { describe, expect, it } from 'vitest';
import { GeneratorFeed } from '../../loadgen/generator-feed';
import { EventGenerator, type GeneratorOptions } from '../../loadgen/scenarios';

const OPTIONS: GeneratorOptions = {
  scenario: 'logs',
  seed: 7,
  keys: 50,
  poisonRate: 0.05,
  startMs: Date.parse('2026-11-23T09:44:00.000Z'),
  rate: 1_000,
  keepValid: true,
};

describe('GeneratorFeed', () => {
  it.each([
    ['logs', true],
    ['logs', false],
    ['clickstream', true],
    ['iot', true],
  ] as const)(
    'gives the records EventGenerator gives, in order, across chunk boundaries (%s, keepValid %s)',
    async (scenario, keepValid) => {
      const options = { ...OPTIONS, scenario, keepValid };
      const local = new EventGenerator(options);
      const feed = new GeneratorFeed(options, 300, 2);
      try {
        await feed.ready();
        for (let taken = 0; taken < 2_000;) {
          const n = Math.min(137, 2_000 - taken);
          await feed.ensure(n);
          for (let i = 0; i < n; i++, taken++) {
            const want = local.next();
            const got = feed.next();
            expect(got.partitionKey).toBe(want.partitionKey);
            expect(Buffer.compare(got.data, want.data)).toBe(0);
            expect(got.poison).toBe(want.poison);
            expect(got.valid).toEqual(want.valid);
            // Attributes cross the thread with their values, types and order.
            expect(JSON.stringify(got.valid)).toBe(JSON.stringify(want.valid));
          }
        }
      } finally {
        await feed.close();
      }
    },
  );

  it('refuses next() before records have arrived', async () => {
    const feed = new GeneratorFeed(OPTIONS, 10, 1);
    try {
      expect(() => feed.next()).toThrow(/before ensure/);
    } finally {
      await feed.close();
    }
  });
});
