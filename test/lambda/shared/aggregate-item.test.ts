import { describe, expect, it } from 'vitest';
import { AGGREGATE_ATTR as A, plainAttributes, typeShardOf, windowKey } from '../../../lambda/shared/aggregate-item';

const byKey = {
  name: 'by_key',
  groupBy: ['type', 'key'],
  windowsMs: [60_000],
  declaration: { windows: ['1m'] },
};
const place = { aggregate: byKey, window: 0, windowStartMs: Date.UTC(2026, 11, 2, 10, 0), group: ['click', 'key-1'] };

describe('plainAttributes', () => {
  it('gives the attributes readers use and a TTL of the window end plus the days kept', () => {
    expect(plainAttributes(place, { ttlDays: 7 })).toEqual({
      [A.aggregate]: { S: 'by_key' },
      [A.window]: { S: '1m' },
      [A.windowStart]: { S: '2026-12-02T10:00:00.000Z' },
      type: { S: 'click' },
      key: { S: 'key-1' },
      [A.expiresAt]: { N: String(Date.UTC(2026, 11, 2, 10, 1) / 1000 + 7 * 86_400) },
    });
  });

  it("adds the byType index's keys to by_key items only, and only when asked", () => {
    const withIndex = plainAttributes(place, { ttlDays: 7, byTypeIndex: true });
    expect(withIndex[A.typeShard]).toEqual({ S: typeShardOf('click', 'key-1') });
    expect(withIndex[A.windowKey]).toEqual({ S: windowKey('2026-12-02T10:00:00.000Z', 'key-1') });
    const other = plainAttributes(
      { ...place, aggregate: { ...byKey, name: 'by_type' } },
      { ttlDays: 7, byTypeIndex: true },
    );
    expect(other[A.typeShard]).toBeUndefined();
    expect(other[A.windowKey]).toBeUndefined();
  });
});
