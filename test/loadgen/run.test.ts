import { createHash } from 'node:crypto';
import { deaggregateSync } from 'aws-kinesis-agg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_AGGREGATES_FILE, loadDeclarationsFile } from '../../lambda/shared/declarations-file';
import { type PipelineEvent, validateEvent } from '../../lambda/shared/event-schema';
import { ExpectedAggregates } from '../../loadgen/expect';
import { parseOptions } from '../../loadgen/options';
import { runLoad } from '../../loadgen/run';
import { DEFAULT_KEYS, EventGenerator } from '../../loadgen/scenarios';
import type { Emulator } from '../support/emulators';
import { uniqueName } from '../support/emulators';
import { type ReadRecord, createStream, readStream, startKinesalite, testKinesis } from '../support/kinesalite';
import { startThrottlingProxy } from '../support/throttling-proxy';

let kinesis: Emulator;

beforeAll(async () => {
  kinesis = await startKinesalite();
});

afterAll(async () => {
  await kinesis?.close();
});

const START = '2026-11-23T09:00:00Z';

async function stream(shards = 4): Promise<string> {
  const name = uniqueName('events');
  await createStream(testKinesis(kinesis.endpoint), name, shards);
  return name;
}

async function run(args: string[], endpoint = kinesis.endpoint): ReturnType<typeof runLoad> {
  const options = parseOptions([...args, '--endpoint', endpoint, '--start', START], { AWS_REGION: 'us-east-1' });
  return runLoad(options, { client: testKinesis(endpoint) });
}

function userRecords(records: readonly ReadRecord[]): { partitionKey: string; data: Buffer; shardId: string }[] {
  return records.flatMap((r) => {
    let users: { partitionKey: string; data: string }[] = [];
    deaggregateSync(
      {
        partitionKey: r.partitionKey,
        sequenceNumber: r.sequenceNumber,
        data: r.data.toString('base64'),
        kinesisSchemaVersion: '1.0',
        approximateArrivalTimestamp: 0,
      },
      true,
      (err, out) => {
        if (err) throw err;
        users = out ?? [];
      },
    );
    return users.map((u) => ({
      partitionKey: u.partitionKey,
      data: Buffer.from(u.data, 'base64'),
      shardId: r.shardId,
    }));
  });
}

function eventsOf(records: readonly { data: Buffer }[]): PipelineEvent[] {
  return records.map((r) => JSON.parse(r.data.toString('utf8')) as PipelineEvent);
}

describe('load generator against kinesalite', () => {
  it('puts every event exactly once, with the partition key its key, and says so', async () => {
    const name = await stream();
    const { summary } = await run([
      '--stream',
      name,
      '--scenario',
      'clickstream',
      '--rate',
      '5000',
      '--count',
      '3000',
      '--seed',
      '5',
    ]);
    expect(summary).toMatchObject({
      sent: 3000,
      accepted: 3000,
      failed: 0,
      retried: 0,
      throttled: 0,
      interrupted: false,
    });
    const read = await readStream(testKinesis(kinesis.endpoint), name);
    expect(read).toHaveLength(3000);
    const events = eventsOf(read);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(3000);
    read.forEach((r, i) => expect(r.partitionKey).toBe(events[i].key));
    // Byte for byte what the generator makes for these flags.
    const generator = new EventGenerator({
      scenario: 'clickstream',
      seed: 5,
      keys: DEFAULT_KEYS.clickstream,
      poisonRate: 0,
      startMs: Date.parse(START),
      rate: 5000,
    });
    const made = Array.from({ length: 3000 }, () => generator.next().data.toString('utf8')).sort();
    expect(read.map((r) => r.data.toString('utf8')).sort()).toEqual(made);
  });

  it('writes an --expect file that agrees with what was read back', async () => {
    const name = await stream();
    const { summary, expected } = await run([
      '--stream',
      name,
      '--scenario',
      'iot',
      '--rate',
      '5000',
      '--count',
      '2000',
      '--poison',
      '0.05',
      '--expect',
      '/dev/null',
    ]);
    expect(summary.poison).toBeGreaterThan(50);
    const readBack = new ExpectedAggregates(loadDeclarationsFile(PROJECT_AGGREGATES_FILE));
    for (const r of await readStream(testKinesis(kinesis.endpoint), name)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(r.data.toString('utf8'));
      } catch {
        continue;
      }
      if (validateEvent(parsed).ok) readBack.add(parsed as PipelineEvent);
    }
    expect(expected!.toJSON()).toEqual(readBack.toJSON());
    expect(expected!.toJSON().events).toBe(2000 - summary.poison);
  });

  it("packs --kpl records that de-aggregate to the same events, each on its own key's shard", async () => {
    const plain = await stream();
    const packed = await stream();
    await run(['--stream', plain, '--scenario', 'logs', '--rate', '5000', '--count', '2500', '--seed', '9']);
    const { summary } = await run([
      '--stream',
      packed,
      '--scenario',
      'logs',
      '--rate',
      '5000',
      '--count',
      '2500',
      '--seed',
      '9',
      '--kpl',
    ]);
    expect(summary.accepted).toBe(2500);
    expect(summary.kinesisRecords).toBeLessThan(250);
    const kinesisRecords = await readStream(testKinesis(kinesis.endpoint), packed);
    const users = userRecords(kinesisRecords);
    const sort = (a: PipelineEvent, b: PipelineEvent): number => (a.eventId < b.eventId ? -1 : 1);
    expect(eventsOf(users).sort(sort)).toEqual(
      eventsOf(await readStream(testKinesis(kinesis.endpoint), plain)).sort(sort),
    );
    // Every user record sits on the shard its own partition key hashes to.
    const { ListShardsCommand } = await import('@aws-sdk/client-kinesis');
    const shards = (await testKinesis(kinesis.endpoint).send(new ListShardsCommand({ StreamName: packed }))).Shards!;
    for (const u of users) {
      const hash = BigInt(`0x${createHash('md5').update(u.partitionKey).digest('hex')}`);
      const shard = shards.find(
        (s) => hash >= BigInt(s.HashKeyRange!.StartingHashKey!) && hash <= BigInt(s.HashKeyRange!.EndingHashKey!),
      );
      expect(shard?.ShardId).toBe(u.shardId);
    }
  });

  it('loses nothing when the stream throttles records and whole requests, and counts the retries', async () => {
    const name = await stream();
    const proxy = await startThrottlingProxy(kinesis.endpoint, {
      requestShare: 0.15,
      recordShare: 0.1,
      seed: 3,
      refuseFirstRequest: true,
    });
    try {
      const { summary, expected } = await run(
        ['--stream', name, '--scenario', 'clickstream', '--rate', '4000', '--count', '3000', '--expect', '/dev/null'],
        proxy.endpoint,
      );
      expect(proxy.stats.refusedRequests).toBeGreaterThan(0);
      expect(proxy.stats.refusedRecords).toBeGreaterThan(0);
      expect(summary.failed).toBe(0);
      expect(summary.accepted).toBe(3000);
      expect(summary.throttled).toBeGreaterThan(0);
      // The rate backs off but not to a standstill: throttling here ignores the rate, as a hot shard may.
      expect(summary.durationSeconds).toBeLessThan(15);
      expect(summary.retried).toBeGreaterThanOrEqual(proxy.stats.refusedRecords);
      const read = eventsOf(await readStream(testKinesis(kinesis.endpoint), name));
      expect(read).toHaveLength(3000);
      expect(new Set(read.map((e) => e.eventId)).size).toBe(3000);
      expect(expected!.toJSON().events).toBe(3000);
    } finally {
      await proxy.close();
    }
  });

  it('holds the rate', async () => {
    const name = await stream();
    const { summary } = await run(['--stream', name, '--scenario', 'iot', '--rate', '400', '--duration', '2s']);
    expect(summary.accepted).toBeGreaterThan(700);
    expect(summary.accepted).toBeLessThanOrEqual(820);
  });
});
