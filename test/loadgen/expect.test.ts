import { describe, expect, it } from 'vitest';
import { ExpectedAggregates } from '../../loadgen/expect';

describe('ExpectedAggregates', () => {
  it('keeps exact decimal sums and sorts by window, type and key', () => {
    const e = new ExpectedAggregates(60);
    const t = Date.UTC(2026, 10, 23, 9, 44, 10);
    for (let i = 0; i < 10; i++) e.add({ eventId: `${i}`, eventTime: t, type: 'b', key: 'k', value: 0.1 });
    e.add({ eventId: 'x', eventTime: '2026-11-23T11:44:59+02:00', type: 'a', key: 'z', value: -2.5 });
    e.add({ eventId: 'y', eventTime: t + 60_000, type: 'a', key: 'a' });
    expect(e.toJSON()).toEqual({
      windowSeconds: 60,
      events: 12,
      items: [
        { type: 'a', key: 'z', windowStart: '2026-11-23T09:44:00.000Z', count: 1, sum: -2.5, min: -2.5, max: -2.5 },
        { type: 'b', key: 'k', windowStart: '2026-11-23T09:44:00.000Z', count: 10, sum: 1, min: 0.1, max: 0.1 },
        { type: 'a', key: 'a', windowStart: '2026-11-23T09:45:00.000Z', count: 1, sum: 1, min: 1, max: 1 },
      ],
    });
  });

  it('refuses an event the contract refuses', () => {
    expect(() => new ExpectedAggregates(60).add({ eventId: '', eventTime: 0, type: 't', key: 'k' })).toThrow(/eventId/);
  });
});
