import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../loadgen/token-bucket';

describe('TokenBucket', () => {
  it('starts empty, grants the rate over time and no more than a tenth of a second as burst', () => {
    let now = 0;
    const bucket = new TokenBucket(1000, () => now);
    expect(bucket.tryTake(10_000)).toBe(0);
    let granted = 0;
    for (let t = 1; t <= 1000; t++) {
      now = t;
      granted += bucket.tryTake(10_000);
    }
    expect(granted).toBe(1000);
    now = 60_000;
    expect(bucket.tryTake(10_000)).toBe(100);
  });

  it('tells how long until the next token, and follows a new rate', () => {
    let now = 0;
    const bucket = new TokenBucket(10, () => now);
    expect(bucket.waitMs()).toBeCloseTo(100);
    now = 100;
    expect(bucket.tryTake(5)).toBe(1);
    bucket.setRate(100);
    now = 110;
    expect(bucket.tryTake(5)).toBe(1);
    expect(bucket.currentRate).toBe(100);
  });
});
