import { decodeBatch, preAggregate, type InputRecord } from '../lambda/aggregator/core';
import { seeded } from '../test/support/faults';
import { type BenchResult, compare } from './harness';

/**
 * Records shaped like the load generator's clickstream: 200 keys, 3 types, in time order at
 * 1,000 events/s with up to 2 s of producer jitter, half the times ISO-8601 and half epoch ms.
 */
export function clickstreamBatch(size: number, seed = 7): InputRecord[] {
  const rand = seeded(seed);
  const base = Date.UTC(2026, 10, 23, 9, 0);
  const types = ['page_view', 'click', 'purchase'];
  return Array.from({ length: size }, (_, i) => {
    const key = `user-${Math.floor(rand() * 200)}`;
    const event = {
      eventId: `evt-${seed}-${i}`,
      eventTime:
        i % 2 === 0 ? base + Math.floor(rand() * 300_000) : new Date(base + Math.floor(rand() * 300_000)).toISOString(),
      type: types[i % 3],
      key,
      value: Math.round(rand() * 10_000) / 100,
      attributes: {
        page: `/p/${Math.floor(rand() * 50)}`,
        ua: 'Mozilla/5.0',
        session: `s-${Math.floor(rand() * 1000)}`,
      },
    };
    return {
      shardId: 'shardId-000000000000',
      sequenceNumber: (49_650_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000n + BigInt(i)).toString(),
      partitionKey: key,
      data: Buffer.from(JSON.stringify(event)).toString('base64'),
      approximateArrivalTimestamp: base / 1000,
    };
  });
}

/**
 * Aggregator core (decode, validate, window, pre-aggregate) against a baseline that only does
 * base64 decode plus JSON.parse over the same records, in the same run.
 */
export function benchAggregatorCore(): BenchResult[] {
  const batch = clickstreamBatch(10_000);
  let sink = 0;
  const { baseline, candidate, ratio } = compare(
    batch.length,
    () => {
      for (const r of batch)
        sink += (JSON.parse(Buffer.from(r.data, 'base64').toString('utf8')) as { value: number }).value;
    },
    () => {
      sink += preAggregate(decodeBatch(batch, 60).events).length;
    },
  );
  if (sink === 0) throw new Error('benchmark optimized away');
  return [
    { name: 'baseline: base64 decode + JSON.parse, 10,000-record batch', value: baseline, unit: 'records/s' },
    {
      name: 'aggregator core: decode + validate + window + pre-aggregate',
      value: candidate,
      unit: 'records/s',
      ratio,
      target: '>= 0.6',
      pass: ratio >= 0.6,
    },
  ];
}
