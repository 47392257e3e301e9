import { describe, expect, it } from 'vitest';
import {
  type InputRecord,
  decodeBatch,
  deltaAfter,
  deltaBounds,
  preAggregate,
  watermarkOf,
} from '../../../lambda/aggregator/core';
import { kplAggregate, streamRecords } from '../../support/kinesis-events';

const MINUTE = Date.UTC(2026, 10, 23, 9, 44);

function event(i: number, extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      eventId: `e-${i}`,
      eventTime: MINUTE + i * 1000,
      type: 'click',
      key: `k${i % 3}`,
      value: i,
      ...extra,
    }),
  );
}

function inputs(payloads: { partitionKey: string; data: Buffer }[]): InputRecord[] {
  return streamRecords(payloads).map((r) => ({
    shardId: 'shardId-000000000000',
    sequenceNumber: r.sequenceNumber,
    partitionKey: r.partitionKey,
    data: r.data.toString('base64'),
    approximateArrivalTimestamp: r.approximateArrivalTimestamp,
  }));
}

describe('decodeBatch', () => {
  it('decodes plain records and aligns their windows', () => {
    const batch = decodeBatch(inputs([0, 1, 2].map((i) => ({ partitionKey: `k${i}`, data: event(i) }))), 60);
    expect(batch.poison).toEqual([]);
    expect(batch.userRecords).toBe(3);
    expect(batch.events.map((e) => [e.recordIndex, e.sub, e.key, e.value, e.windowStartMs])).toEqual([
      [0, 0, 'k0', 0, MINUTE],
      [1, 0, 'k1', 1, MINUTE],
      [2, 0, 'k2', 2, MINUTE],
    ]);
  });

  it('de-aggregates KPL records made by aws-kinesis-agg, keeping each user record position', () => {
    const users = Array.from({ length: 7 }, (_, i) => ({ partitionKey: `k${i % 3}`, data: event(i) }));
    const batch = decodeBatch(inputs(kplAggregate(users, 3)), 60);
    expect(batch.userRecords).toBe(7);
    expect(batch.poison).toEqual([]);
    expect(batch.events.map((e) => [e.recordIndex, e.sub, e.value])).toEqual([
      [0, 0, 0],
      [0, 1, 1],
      [0, 2, 2],
      [1, 0, 3],
      [1, 1, 4],
      [1, 2, 5],
      [2, 0, 6],
    ]);
  });

  it('mixes KPL and plain records in one batch', () => {
    const aggregated = kplAggregate(
      [0, 1].map((i) => ({ partitionKey: 'k', data: event(i) })),
      2,
    );
    const batch = decodeBatch(inputs([...aggregated, { partitionKey: 'k', data: event(2) }]), 60);
    expect(batch.events.map((e) => e.value)).toEqual([0, 1, 2]);
  });

  it('turns a KPL record with a broken checksum into one poison record, whole', () => {
    const [aggregated] = kplAggregate(
      [0, 1].map((i) => ({ partitionKey: 'k', data: event(i) })),
      2,
    );
    const damaged = Buffer.from(aggregated.data);
    damaged[damaged.length - 1] ^= 0xff;
    const batch = decodeBatch(inputs([{ partitionKey: 'k', data: damaged }]), 60);
    expect(batch.events).toEqual([]);
    expect(batch.poison).toHaveLength(1);
    expect(batch.poison[0].reason).toMatch(/KPL/);
    expect(batch.poison[0].data.equals(damaged)).toBe(true);
  });

  it('keeps a poison user record inside a KPL record with its sub-sequence number', () => {
    const users = [event(0), Buffer.from('{"broken":'), event(2)].map((data) => ({ partitionKey: 'k', data }));
    const batch = decodeBatch(inputs(kplAggregate(users, 3)), 60);
    expect(batch.events.map((e) => e.sub)).toEqual([0, 2]);
    expect(batch.poison).toMatchObject([{ recordIndex: 0, subSequenceNumber: 1, reason: 'record: not JSON' }]);
  });

  it.each([
    ['not JSON', Buffer.from('hello'), 'record: not JSON'],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'record: not valid UTF-8'],
    ['oversized', Buffer.from(JSON.stringify({ pad: 'x'.repeat(300 * 1024) })), 'record: '],
    ['a JSON array', Buffer.from('[1]'), 'event: '],
    ['a bad field', event(1, { value: 'high' }), 'value: '],
  ])('never throws on %s: it becomes poison with a reason', (_name, data, reason) => {
    const batch = decodeBatch(inputs([{ partitionKey: 'k', data }]), 60);
    expect(batch.events).toEqual([]);
    expect(batch.poison).toHaveLength(1);
    expect(batch.poison[0].reason.startsWith(reason)).toBe(true);
    expect(batch.poison[0].data.equals(data)).toBe(true);
    expect(batch.poison[0].subSequenceNumber).toBeUndefined();
  });
});

describe('preAggregate', () => {
  it('makes one delta per (type, key, window) with count, sum, min and max', () => {
    const payloads = [
      { eventId: 'a', eventTime: MINUTE + 1, type: 't', key: 'x', value: 2.5 },
      { eventId: 'b', eventTime: MINUTE + 2, type: 't', key: 'y', value: 1 },
      { eventId: 'c', eventTime: MINUTE + 3, type: 't', key: 'x', value: -4 },
      { eventId: 'd', eventTime: MINUTE + 60_000, type: 't', key: 'x' },
      { eventId: 'e', eventTime: MINUTE + 4, type: 'u', key: 'x', value: 7 },
    ].map((e) => ({ partitionKey: e.key, data: Buffer.from(JSON.stringify(e)) }));
    const { events } = decodeBatch(inputs(payloads), 60);
    const deltas = preAggregate(events).map(({ type, key, windowStartMs, count, sum, min, max, entries }) => ({
      type,
      key,
      windowStartMs,
      count,
      sum,
      min,
      max,
      entries,
    }));
    expect(deltas).toEqual([
      { type: 't', key: 'x', windowStartMs: MINUTE, count: 2, sum: -1.5, min: -4, max: 2.5, entries: [0, 2] },
      { type: 't', key: 'y', windowStartMs: MINUTE, count: 1, sum: 1, min: 1, max: 1, entries: [1] },
      { type: 't', key: 'x', windowStartMs: MINUTE + 60_000, count: 1, sum: 1, min: 1, max: 1, entries: [3] },
      { type: 'u', key: 'x', windowStartMs: MINUTE, count: 1, sum: 7, min: 7, max: 7, entries: [4] },
    ]);
  });

  it('sums decimal values to the exact decimal total', () => {
    const payloads = Array.from({ length: 1000 }, (_, i) => ({
      partitionKey: 'k',
      data: Buffer.from(JSON.stringify({ eventId: `${i}`, eventTime: MINUTE, type: 't', key: 'k', value: 0.1 })),
    }));
    const [delta] = preAggregate(decodeBatch(inputs(payloads), 60).events);
    expect(delta.sum).toBe(100);
    expect(String(delta.sum)).toBe('100');
  });
});

describe('watermarks', () => {
  it('orders positions as the shard does, whatever the number of digits', () => {
    const positions = [
      watermarkOf('9', 0),
      watermarkOf('10', 0),
      watermarkOf('10', 1),
      watermarkOf('10', 10),
      watermarkOf('49650000000000000000000000000000000000000000000000000001', 0),
      watermarkOf('149650000000000000000000000000000000000000000000000000001', 0),
    ];
    expect([...positions].sort()).toEqual(positions);
  });

  it('deltaAfter keeps exactly the records after the watermark', () => {
    const payloads = [0, 1, 2, 3, 4].map((i) => ({
      partitionKey: 'k',
      data: Buffer.from(JSON.stringify({ eventId: `${i}`, eventTime: MINUTE, type: 't', key: 'k', value: i + 1 })),
    }));
    const records = inputs(payloads);
    const { events } = decodeBatch(records, 60);
    const [delta] = preAggregate(events);
    const seq = (i: number): string => records[i].sequenceNumber;
    expect(deltaBounds(delta, events, seq)).toEqual({
      first: watermarkOf(records[0].sequenceNumber, 0),
      last: watermarkOf(records[4].sequenceNumber, 0),
    });
    const rest = deltaAfter(delta, events, watermarkOf(records[2].sequenceNumber, 0), seq)!;
    expect([rest.count, rest.sum, rest.min, rest.max]).toEqual([2, 9, 4, 5]);
    expect(deltaAfter(delta, events, watermarkOf(records[4].sequenceNumber, 0), seq)).toBeUndefined();
    expect(deltaAfter(delta, events, watermarkOf('1', 0), seq)).toBe(delta);
  });
});
