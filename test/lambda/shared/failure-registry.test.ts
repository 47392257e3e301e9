import { describe, expect, it } from 'vitest';
import {
  appliedThrough,
  cutOut,
  holeAttribute,
  markerAttribute,
  needsHole,
  openGapEnd,
  parseRegistry,
  positionKey,
  registryKey,
} from '../../../lambda/shared/failure-registry';

const entry = (first: bigint, last: bigint, since = 1) => ({ first, last, since });

describe('failure registry', () => {
  it('keeps one item per shard, apart from every aggregate partition', () => {
    expect(registryKey('shardId-000000000007')).toEqual({ pk: { S: 'failures#7' }, sk: { S: 'registry' } });
    expect(registryKey('shardId-000000000000').pk.S).toBe('failures#0');
  });

  it('orders positions as numbers, across lengths', () => {
    const seqs = [5n, 31n, 32n, 10n ** 20n, 10n ** 55n, 10n ** 55n + 1n];
    const keys = seqs.map(positionKey);
    expect([...keys].sort()).toEqual(keys);
    expect(holeAttribute('shardId-000000000003', 32n)).toBe(`h:3:${positionKey(32n)}`);
    expect(markerAttribute('shardId-000000000003', 32n)).toBe(`r:3:${positionKey(32n)}`);
  });

  it('reads its entries from the item, lowest first, ignoring other attributes', () => {
    expect(
      parseRegistry({
        pk: { S: 'failures#0' },
        'g:200:300': { N: '5' },
        'g:100:150': { N: '4' },
      }),
    ).toEqual([entry(100n, 150n, 4), entry(200n, 300n, 5)]);
  });

  it('cuts applied records out of every overlapping entry, keeping what lies outside', () => {
    const entries = [entry(100n, 300n), entry(100n, 200n), entry(400n, 500n)];
    expect(cutOut(entries, { first: 100n, last: 200n })).toEqual({
      remove: ['g:100:300', 'g:100:200'],
      set: [entry(201n, 300n)],
    });
    expect(cutOut(entries, { first: 150n, last: 250n })).toEqual({
      remove: ['g:100:300', 'g:100:200'],
      set: [entry(100n, 149n), entry(251n, 300n)],
    });
    expect(cutOut(entries, { first: 600n, last: 700n })).toEqual({ remove: [], set: [] });
  });

  it('finds the gaps below an attempt: wholly below, or with one batch per shard the part below', () => {
    const entries = [entry(100n, 150n), entry(160n, 300n), entry(200n, 300n)];
    expect(openGapEnd(entries, 100n, true)).toBeUndefined();
    expect(openGapEnd(entries, 151n, true)).toBe(150n);
    expect(openGapEnd(entries, 200n, true)).toBe(199n);
    expect(openGapEnd(entries, 200n, false)).toBe(150n);
    expect(openGapEnd(entries, 301n, false)).toBe(300n);
  });

  it('asks for a hole only when no hole of the item lies above the latest gap', () => {
    expect(needsHole([], undefined)).toBe(false);
    expect(needsHole([], 10n)).toBe(true);
    expect(needsHole([positionKey(11n)], 10n)).toBe(false);
    expect(needsHole([positionKey(10n)], 10n)).toBe(true);
    expect(needsHole([positionKey(5n)], 10n)).toBe(true);
  });

  it('takes the hole of the first attempt after the range as its mark, else the watermark', () => {
    const item = {
      'w:0': { S: 'w-now' },
      [holeAttribute('shardId-000000000000', 50n)]: { S: 'w-at-50' },
      [holeAttribute('shardId-000000000000', 400n)]: { S: 'w-at-400' },
    };
    expect(appliedThrough(item, 'shardId-000000000000', 'w:0', 100n)).toEqual({
      mark: 'w-at-400',
      hole: holeAttribute('shardId-000000000000', 400n),
    });
    expect(appliedThrough(item, 'shardId-000000000000', 'w:0', 500n)).toEqual({ mark: 'w-now' });
    expect(appliedThrough(undefined, 'shardId-000000000000', 'w:0', 500n)).toEqual({ mark: '-' });
  });
});
