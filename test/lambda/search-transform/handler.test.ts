import type { FirehoseTransformationEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { toSearchDocument } from '../../../lambda/search-transform/core';
import { handler } from '../../../lambda/search-transform/handler';

/** The shape Firehose sends a transformation Lambda for a delivery stream whose source is Kinesis. */
function firehoseEvent(payloads: (string | Buffer)[]): FirehoseTransformationEvent {
  return {
    invocationId: 'invocation-1',
    deliveryStreamArn: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/search',
    sourceKinesisStreamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/events',
    region: 'us-east-1',
    records: payloads.map((p, i) => ({
      recordId: `record-${i}`,
      approximateArrivalTimestamp: 1_795_427_040_000,
      data: Buffer.from(p).toString('base64'),
      kinesisRecordMetadata: {
        shardId: 'shardId-000000000000',
        partitionKey: 'k',
        approximateArrivalTimestamp: 1_795_427_040_000,
        sequenceNumber: `4965000000000000000000000000000000000000000000000000000${i}`,
        subsequenceNumber: '0',
      },
    })),
  };
}

const ISO = '2026-11-23T09:44:12.345Z';

describe('search transform', () => {
  it('normalizes times given as ISO with an offset or epoch ms to one ISO UTC instant', () => {
    const forms = ['2026-11-23T11:44:12.345+02:00', Date.parse(ISO), ISO];
    for (const eventTime of forms) {
      const r = toSearchDocument(
        Buffer.from(JSON.stringify({ eventId: 'e', eventTime, type: 't', key: 'k', value: 2.5 })),
        60,
      );
      expect(r).toEqual({
        ok: true,
        document: {
          eventId: 'e',
          '@timestamp': ISO,
          eventTime: ISO,
          windowStart: '2026-11-23T09:44:00.000Z',
          type: 't',
          key: 'k',
          value: 2.5,
          valueGiven: true,
        },
      });
    }
  });

  it('keeps attributes and fills the default value', () => {
    const r = toSearchDocument(
      Buffer.from(JSON.stringify({ eventId: 'e', eventTime: ISO, type: 't', key: 'k', attributes: { page: '/p/1' } })),
      300,
    );
    expect(r.ok && r.document).toMatchObject({
      value: 1,
      valueGiven: false,
      attributes: { page: '/p/1' },
      windowStart: '2026-11-23T09:40:00.000Z',
    });
  });

  it('answers Firehose record by record: documents for valid events, ProcessingFailed with the original bytes otherwise', async () => {
    const valid = JSON.stringify({ eventId: 'a', eventTime: Date.parse(ISO), type: 'click', key: 'u1' });
    const poison = [
      'not json',
      JSON.stringify({ eventId: 'b', eventTime: '2026-02-30T00:00:00Z', type: 'click', key: 'u1' }),
      JSON.stringify({ eventId: 'c', eventTime: ISO, type: 'bad type', key: 'u' }),
    ];
    const event = firehoseEvent([valid, ...poison]);
    const result = await handler(event);
    expect(result.records.map((r) => [r.recordId, r.result])).toEqual([
      ['record-0', 'Ok'],
      ['record-1', 'ProcessingFailed'],
      ['record-2', 'ProcessingFailed'],
      ['record-3', 'ProcessingFailed'],
    ]);
    expect(JSON.parse(Buffer.from(result.records[0].data!, 'base64').toString())).toMatchObject({
      eventId: 'a',
      '@timestamp': ISO,
    });
    for (let i = 1; i < 4; i++) expect(result.records[i].data).toBe(event.records[i].data);
  });
});
