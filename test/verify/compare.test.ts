import { describe, expect, it } from 'vitest';
import { compareAggregates, rangesByType } from '../../verify/compare';

describe('compareAggregates', () => {
  it('compares sums to the six decimals each batch keeps', () => {
    const item = {
      type: 't',
      key: 'k',
      windowStart: '2026-11-23T09:44:00.000Z',
      count: 3,
      sum: 0.3,
      min: 0.1,
      max: 0.1,
    };
    const file = { windowSeconds: 60, events: 3, items: [item] };
    const rows = (sum: number) => new Map([['t', [{ ...item, sum }]]]);
    expect(compareAggregates(file, rows(0.30000000000000004)).mismatches).toEqual([]);
    expect(compareAggregates(file, rows(0.300001)).mismatches).toEqual([]);
    expect(compareAggregates(file, rows(0.3001)).mismatches.map((m) => m.fields)).toEqual([['sum']]);
  });

  it('reads each type from its first expected window to the end of its last', () => {
    const item = (type: string, windowStart: string) => ({
      type,
      key: 'k',
      windowStart,
      count: 1,
      sum: 1,
      min: 1,
      max: 1,
    });
    const ranges = rangesByType({
      windowSeconds: 60,
      events: 3,
      items: [
        item('a', '2026-11-23T09:45:00.000Z'),
        item('a', '2026-11-23T09:44:00.000Z'),
        item('b', '2026-11-23T10:00:00.000Z'),
      ],
    });
    expect(Object.fromEntries(ranges)).toEqual({
      a: { from: '2026-11-23T09:44:00.000Z', to: '2026-11-23T09:46:00.000Z' },
      b: { from: '2026-11-23T10:00:00.000Z', to: '2026-11-23T10:01:00.000Z' },
    });
  });
});
