import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startKinesalite } from '../../local/emulators';
import { Checkpoints } from '../../local/checkpoints';
import { EventSourcePoller, type FailedBatch, type MappingSettings } from '../../local/poller';
import { uniqueName } from '../support/emulators';
import { createStream, testKinesis } from '../support/kinesalite';

let kinesis: Emulator;

beforeAll(async () => {
  kinesis = await startKinesalite();
});

afterAll(async () => {
  await kinesis?.close();
});

const SETTINGS: MappingSettings = {
  batchSize: 50,
  maxBatchingWindowMs: 100,
  retryAttempts: 2,
  maxRecordAgeSeconds: 3600,
  bisectBatchOnError: true,
};

interface Invocation {
  shardId: string;
  seqs: string[];
  ids: number[];
}

async function run(
  count: number,
  settings: MappingSettings,
  behave: (inv: Invocation, n: number) => KinesisStreamBatchResponse | 'throw' | void,
  reuse?: { name: string; checkpoints: Checkpoints },
): Promise<{ invocations: Invocation[]; failures: FailedBatch[]; done: number[] }> {
  const client = testKinesis(kinesis.endpoint);
  const name = reuse?.name ?? uniqueName('poll');
  if (reuse === undefined) await createStream(client, name, 2);
  for (let i = 0; i < count; i += 500) {
    const ids = Array.from({ length: Math.min(500, count - i) }, (_, j) => i + j);
    await client.send(
      new PutRecordsCommand({
        StreamName: name,
        Records: ids.map((id) => ({ PartitionKey: `k${id % 7}`, Data: Buffer.from(String(id)) })),
      }),
    );
  }
  const invocations: Invocation[] = [];
  const failures: FailedBatch[] = [];
  const done: number[] = [];
  const poller = new EventSourcePoller({
    kinesis: client,
    streamName: name,
    streamArn: `arn:aws:kinesis:us-east-1:000000000000:stream/${name}`,
    region: 'us-east-1',
    settings,
    idleMs: 20,
    invoke: (event: KinesisStreamEvent) => {
      const inv = {
        shardId: event.Records[0].eventID.split(':')[0],
        seqs: event.Records.map((r) => r.kinesis.sequenceNumber),
        ids: event.Records.map((r) => Number(Buffer.from(r.kinesis.data, 'base64').toString())),
      };
      invocations.push(inv);
      const result = behave(inv, invocations.length);
      return result === 'throw' ? Promise.reject(new Error('function error')) : Promise.resolve(result);
    },
    onFailedBatch: (f) => {
      failures.push(f);
      return Promise.resolve();
    },
    onDone: (lag) => done.push(lag),
    ...(reuse === undefined ? {} : { checkpoints: reuse.checkpoints }),
  });
  await poller.start();
  const deadline = Date.now() + 20_000;
  while (
    done.length + failures.reduce((s, f) => s + f.KinesisBatchInfo.batchSize, 0) < count &&
    Date.now() < deadline
  ) {
    await new Promise((r) => setTimeout(r, 50));
  }
  await poller.stop();
  return { invocations, failures, done };
}

/** Every id once, in order within each shard, over the successful deliveries. */
function deliveredOnce(invocations: Invocation[], count: number): void {
  const seen = new Set(invocations.flatMap((i) => i.ids));
  expect(seen.size).toBe(count);
}

describe('EventSourcePoller', () => {
  it('delivers batches of at most batchSize from one shard each, in shard order', async () => {
    const { invocations, failures } = await run(300, SETTINGS, () => undefined);
    expect(failures).toEqual([]);
    deliveredOnce(invocations, 300);
    expect(new Set(invocations.map((i) => i.shardId)).size).toBe(2);
    for (const inv of invocations) {
      expect(inv.ids.length).toBeLessThanOrEqual(50);
      const seqs = inv.seqs.map(BigInt);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i] > seqs[i - 1]).toBe(true);
    }
    expect(invocations.reduce((s, i) => s + i.ids.length, 0)).toBe(300);
  });

  it('sends a small batch once the batching window has passed', async () => {
    const started = Date.now();
    const { invocations } = await run(5, { ...SETTINGS, batchSize: 1000, maxBatchingWindowMs: 300 }, () => undefined);
    expect(invocations.reduce((s, i) => s + i.ids.length, 0)).toBe(5);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('after a reported failure, redelivers from that record on, the records after it included', async () => {
    let failedOnce = false;
    const { invocations, failures } = await run(100, SETTINGS, (inv) => {
      if (!failedOnce && inv.ids.length > 10) {
        failedOnce = true;
        return { batchItemFailures: [{ itemIdentifier: inv.seqs[5] }, { itemIdentifier: inv.seqs[8] }] };
      }
      return { batchItemFailures: [] };
    });
    expect(failures).toEqual([]);
    const first = invocations.findIndex((i) => i.ids.length > 10);
    const retry = invocations.slice(first + 1).find((i) => i.shardId === invocations[first].shardId)!;
    expect(retry.seqs[0]).toBe(invocations[first].seqs[5]);
    expect(retry.seqs).toEqual(expect.arrayContaining(invocations[first].seqs.slice(5)));
  });

  it('bisects a batch when the function throws, and parks the record it cannot get past', async () => {
    const { invocations, failures, done } = await run(60, { ...SETTINGS, retryAttempts: 1 }, (inv) =>
      inv.ids.includes(13) ? 'throw' : undefined,
    );
    const sizes = invocations.filter((i) => i.ids.includes(13)).map((i) => i.ids.length);
    expect(sizes[0]).toBeGreaterThan(1);
    // Each bisection halves the batch holding the record, down to the record alone.
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]).toBeLessThanOrEqual(sizes[i - 1]);
    expect(sizes[sizes.length - 1]).toBe(1);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted' },
      responseContext: { functionError: 'Error: function error' },
      KinesisBatchInfo: { batchSize: 1 },
    });
    expect(done.length).toBe(59);
  });

  it('gives a batch to the on-failure destination when retries run out', async () => {
    const { failures, invocations } = await run(20, { ...SETTINGS, retryAttempts: 2 }, (inv) => ({
      batchItemFailures: [{ itemIdentifier: inv.seqs[0] }],
    }));
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) {
      expect(f.requestContext).toEqual({ condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 });
      expect(f.KinesisBatchInfo.streamArn).toMatch(/^arn:aws:kinesis:/);
    }
    expect(failures.reduce((s, f) => s + f.KinesisBatchInfo.batchSize, 0)).toBe(20);
    expect(invocations.length).toBe(failures.length * 3);
  });

  it('gives up on records older than the maximum record age', async () => {
    const { failures, invocations } = await run(10, { ...SETTINGS, maxRecordAgeSeconds: 0 }, () => undefined);
    expect(invocations).toEqual([]);
    expect(failures.every((f) => f.requestContext.condition === 'RecordAgeExceeded')).toBe(true);
  });

  it('resumes after its checkpoint on restart instead of reading the shard again', async () => {
    const name = uniqueName('resume');
    await createStream(testKinesis(kinesis.endpoint), name, 2);
    const checkpoints = new Checkpoints();
    const first = await run(120, SETTINGS, () => undefined, { name, checkpoints });
    deliveredOnce(first.invocations, 120);
    const second = await run(30, SETTINGS, () => undefined, { name, checkpoints });
    expect(second.invocations.reduce((s, i) => s + i.ids.length, 0)).toBe(30);
    expect(Math.min(...second.invocations.flatMap((i) => i.ids))).toBe(0);
  });
});
