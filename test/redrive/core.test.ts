import { describe, expect, it } from 'vitest';
import { planAggregates } from '../../lambda/shared/aggregate-plan';
import { parseDeclarations } from '../../lambda/shared/declarations';
import {
  type RangeResult,
  backfillCommands,
  describeSummary,
  exitCode,
  isRegistered,
  parseFailedRange,
  streamNameOf,
  summarize,
} from '../../redrive/core';

const INFO = {
  shardId: 'shardId-000000000002',
  startSequenceNumber: '49650000000000000000000000000000000000000000000000000001',
  endSequenceNumber: '49650000000000000000000000000000000000000000000000000900',
  approximateArrivalOfFirstRecord: '2026-12-02T10:00:30.000Z',
  approximateArrivalOfLastRecord: '2026-12-02T10:59:10.000Z',
  batchSize: 100,
  streamArn: 'arn:aws:kinesis:eu-west-1:123456789012:stream/streaming-pipeline-events',
};

describe('redrive core', () => {
  it('reads the range of an on-failure record, and names the field at fault in a bad one', () => {
    const range = parseFailedRange(JSON.stringify({ KinesisBatchInfo: INFO }), 'm1');
    expect(range).toEqual(INFO);
    expect(streamNameOf(range.streamArn)).toBe('streaming-pipeline-events');
    expect(() => parseFailedRange('{}', 'm1')).toThrow('m1: no KinesisBatchInfo');
    expect(() =>
      parseFailedRange(JSON.stringify({ KinesisBatchInfo: { ...INFO, endSequenceNumber: 'x' } }), 'm1'),
    ).toThrow('m1: KinesisBatchInfo.endSequenceNumber is missing or malformed');
    expect(() =>
      parseFailedRange(JSON.stringify({ KinesisBatchInfo: { ...INFO, approximateArrivalOfLastRecord: 'soon' } }), 'm1'),
    ).toThrow('m1: KinesisBatchInfo.approximateArrivalOfLastRecord is not a time');
  });

  it('tells a range some attempt registered from one none did', () => {
    const entries = [{ first: 100n, last: 200n, since: 0 }];
    expect(isRegistered(entries, { first: 150n, last: 300n })).toBe(true);
    expect(isRegistered(entries, { first: 201n, last: 300n })).toBe(false);
  });

  it('covers an expired range with one backfill per declaration, from its lateness to its last window', () => {
    const plan = planAggregates(
      parseDeclarations({
        version: 2,
        aggregates: [
          {
            name: 'pages',
            types: ['*'],
            groupBy: [],
            windows: ['1m', '1h'],
            allowedLateness: '10m',
            measures: { n: { op: 'count' } },
          },
          { name: 'fast', types: ['*'], groupBy: [], windows: ['10s'], measures: { n: { op: 'count' } } },
        ],
      }),
      7 * 86_400,
    );
    const range = parseFailedRange(JSON.stringify({ KinesisBatchInfo: INFO }), 'm1');
    expect(backfillCommands(range, plan, '--stack prod')).toEqual([
      // 10:00:30 - 10 min lateness lies in the 09:00 hour; 10:59:10 lies in the 10:00 hour.
      'npm run backfill -- --stack prod --aggregate pages --from 2026-12-02T09:00:00.000Z --to 2026-12-02T11:00:00.000Z',
      // The default lateness, the TTL of 7 days; windows of 10 s.
      'npm run backfill -- --stack prod --aggregate fast --from 2026-11-25T10:00:30.000Z --to 2026-12-02T10:59:20.000Z',
    ]);
  });

  it('exits 0 only when no range is left, and says what it did', () => {
    const r = (status: RangeResult['status']): RangeResult => ({
      range: INFO,
      status,
      records: 10,
      events: 10,
      poison: 0,
      items: 4,
      written: status === 'applied' ? 3 : 0,
      registered: true,
    });
    expect(exitCode(summarize([r('applied'), r('applied')]))).toBe(0);
    expect(exitCode(summarize([]))).toBe(0);
    expect(exitCode(summarize([r('applied'), r('expired')]))).toBe(1);
    expect(exitCode(summarize([r('failed')]))).toBe(1);
    expect(describeSummary(summarize([r('applied'), r('expired')]), false)).toBe(
      '2 failed batches, 20 records: 1 applied (3 items written), 1 expired, 0 failed',
    );
    expect(describeSummary(summarize([]), true)).toBe('No failed batches to redrive.');
  });
});
