import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { PutRecordsCommand, SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AggregatesStore } from '../../lambda/aggregator/aggregates-store';
import { type BatchStats, processBatch } from '../../lambda/aggregator/batch-processor';
import { FailureRegistryStore } from '../../lambda/aggregator/failure-registry-store';
import { batchResponse, toInputRecords } from '../../lambda/aggregator/handler';
import { planAggregates } from '../../lambda/shared/aggregate-plan';
import { parseDeclarations } from '../../lambda/shared/declarations';
import { parseRegistry, registryKey } from '../../lambda/shared/failure-registry';
import { EventSourcePoller, type FailedBatch } from '../../local/poller';
import type { RangeResult } from '../../redrive/core';
import { S3PointerSource } from '../../redrive/pointer-sources';
import { redriveAll } from '../../redrive/redrive';
import { BY_KEY_DECLARATION } from '../support/declarations';
import {
  type Emulator,
  createAggregatesTable,
  createBucket,
  startDynalite,
  startS3rver,
  testDynamoDb,
  testObjectWriter,
  testS3,
  uniqueName,
} from '../support/emulators';
import { generateEvents } from '../support/events';
import { type FaultPlan, injectFaults, seeded } from '../support/faults';
import { createStream, startKinesalite, testKinesis } from '../support/kinesalite';
import { readAggregates } from '../support/read-back';
import { DeadLetterStore } from '../../lambda/aggregator/dead-letter-store';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { sdkItemClient } from '../../lambda/shared/sdk-clients';

/**
 * Redrive against kinesalite, dynalite and s3rver: the local event source mapping delivers a
 * stream to the real batch processor while faults break some writes, gives up batches into a
 * failed-batches bucket as local mode does, and later batches write the same items. The oracle for
 * every item, sketches included, is the same records written once without a fault; by_key is also
 * checked against the truth computed from the events sent.
 */
const PLAN = planAggregates(
  parseDeclarations({
    version: 2,
    aggregates: [
      BY_KEY_DECLARATION,
      {
        name: 'by_type',
        types: ['*'],
        groupBy: ['type'],
        windows: ['1m'],
        measures: {
          events: { op: 'count' },
          keys: { op: 'distinct', of: 'key' },
          values: { op: 'quantiles', of: 'value' },
          top: { op: 'topK', of: 'key', k: 20 },
          total: { op: 'sum', of: 'value' },
        },
      },
    ],
  }),
  // The events are dated before the test runs: a lateness of a year keeps them all.
  365 * 86_400,
);

let kinesisEmu: Emulator;
let dynamo: Emulator;
let s3Emu: Emulator;
let kinesis: KinesisClient;
let s3: S3Client;

beforeAll(async () => {
  [kinesisEmu, dynamo, s3Emu] = await Promise.all([startKinesalite(), startDynalite(), startS3rver()]);
  kinesis = testKinesis(kinesisEmu.endpoint);
  s3 = testS3(s3Emu.endpoint);
});

afterAll(async () => {
  await Promise.all([kinesisEmu?.close(), dynamo?.close(), s3Emu?.close()]);
});

interface World {
  readonly stream: string;
  readonly streamArn: string;
  readonly table: string;
  readonly oracleTable: string;
  readonly bucket: string;
  readonly expected: ReturnType<typeof generateEvents>['expected'];
}

async function putAll(stream: string, payloads: { partitionKey: string; data: Buffer }[]): Promise<void> {
  for (let i = 0; i < payloads.length; i += 250) {
    const out = await kinesis.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: payloads.slice(i, i + 250).map((p) => ({ PartitionKey: p.partitionKey, Data: p.data })),
      }),
    );
    expect(out.FailedRecordCount ?? 0).toBe(0);
  }
}

/** A stream holding the events, an empty table for the run, and the oracle table written once without faults. */
async function world(seed: number, events: number, keys: number): Promise<World> {
  const stream = uniqueName('events');
  const table = uniqueName('aggregates');
  const oracleTable = uniqueName('oracle');
  const bucket = uniqueName('failed-batches').toLowerCase();
  const admin = testDynamoDb(dynamo.endpoint);
  await Promise.all([
    createStream(kinesis, stream, 1),
    createAggregatesTable(admin, table),
    createAggregatesTable(admin, oracleTable),
    createBucket(s3, bucket),
  ]);
  const { payloads, expected } = generateEvents(seed, events, { keys });
  await putAll(stream, payloads);
  const streamArn = `arn:aws:kinesis:us-east-1:000000000000:stream/${stream}`;
  await runLive({ stream, streamArn, table: oracleTable, bucket, records: events, batchSize: 10_000 });
  return { stream, streamArn, table, oracleTable, bucket, expected };
}

interface LiveRun {
  readonly stream: string;
  readonly streamArn: string;
  readonly table: string;
  readonly bucket: string;
  /** Kinesis records to wait for: done or given up. */
  readonly records: number;
  readonly batchSize: number;
  readonly faults?: FaultPlan;
  /**
   * Whether invocation `n` (from 1) times out once its items are written, before it tells the
   * registry what it applied: the function errors, and Lambda bisects.
   */
  readonly timesOut?: (invocation: number) => boolean;
  /** Told of each invocation as it starts. */
  readonly onInvoke?: (invocation: number) => void;
}

/** The local event source mapping over the stream, the real batch processor with the registry behind it. */
async function runLive(run: LiveRun): Promise<{ stats: BatchStats[]; failed: FailedBatch[] }> {
  const client = testDynamoDb(dynamo.endpoint, 1);
  if (run.faults !== undefined) injectFaults(client, run.faults);
  const store = new AggregatesStore(sdkItemClient(client), run.table, { ttlDays: 7 });
  const registry = new FailureRegistryStore(sdkItemClient(client), run.table);
  const deadLetters = new DeadLetterStore(testObjectWriter(s3Emu.endpoint), run.bucket);
  const stats: BatchStats[] = [];
  const failed: FailedBatch[] = [];
  let accounted = 0;
  let invocation = 0;
  const poller = new EventSourcePoller({
    kinesis,
    streamName: run.stream,
    streamArn: run.streamArn,
    region: 'us-east-1',
    settings: {
      batchSize: run.batchSize,
      maxBatchingWindowMs: 0,
      retryAttempts: 2,
      maxRecordAgeSeconds: 86_400,
      bisectBatchOnError: true,
    },
    idleMs: 20,
    invoke: async (event) => {
      const n = ++invocation;
      run.onInvoke?.(n);
      const timesOut = run.timesOut?.(n) === true;
      const result = await processBatch(toInputRecords(event), store, deadLetters, {
        plan: PLAN,
        registry: timesOut
          ? { begin: (shard, range) => registry.begin(shard, range), settle: async () => {} }
          : registry,
      });
      stats.push(result.stats);
      if (timesOut) throw new Error(`invocation ${n} timed out (injected)`);
      return batchResponse(result.failedSequenceNumbers);
    },
    onFailedBatch: async (failure) => {
      failed.push(failure);
      const info = failure.KinesisBatchInfo;
      await s3.send(
        new PutObjectCommand({
          Bucket: run.bucket,
          Key: `${info.shardId}/${info.startSequenceNumber}-${info.endSequenceNumber}.json`,
          Body: JSON.stringify(failure),
        }),
      );
      accounted += info.batchSize;
    },
    onDone: () => accounted++,
  });
  await poller.start();
  const deadline = Date.now() + 600_000;
  while (accounted < run.records) {
    if (Date.now() > deadline) throw new Error(`live run accounted for ${accounted} of ${run.records} records`);
    await new Promise((r) => setTimeout(r, 20));
  }
  await poller.stop();
  return { stats, failed };
}

type Item = Record<string, AttributeValue>;

async function scan(table: string): Promise<Item[]> {
  const items: Item[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await testDynamoDb(dynamo.endpoint).send(
      new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/** Every aggregate item as readers see it: bookkeeping (watermarks, holes, markers, versions) left out. */
async function contents(table: string): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const item of await scan(table)) {
    if (item.aggregate === undefined) continue;
    const kept: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(item)) {
      if (/^[whr]:/.test(name) || name === 'version') continue;
      kept[name] = value.B === undefined ? value : { B: Buffer.from(value.B).toString('base64') };
    }
    out.set(`${item.pk.S}|${item.sk.S}`, kept);
  }
  return out;
}

async function redrive(w: World, extra: Partial<Parameters<typeof redriveAll>[0]> = {}): Promise<RangeResult[]> {
  const run = await redriveAll({
    kinesis,
    dynamodb: testDynamoDb(dynamo.endpoint),
    tableName: w.table,
    plan: PLAN,
    source: new S3PointerSource(s3, w.bucket),
    ttlDays: 7,
    backfillTarget: '--local',
    streamName: w.stream,
    staleAfterMs: 0,
    ...extra,
  });
  return run.results;
}

async function pointersLeft(bucket: string): Promise<number> {
  return (await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).KeyCount ?? 0;
}

/** by_key items' sort-key group, `[type, key]`, of a write's input; undefined for other items. */
function groupOf(input: Record<string, unknown>): string[] | undefined {
  const sk = (input.Key as { sk?: { S?: string } } | undefined)?.sk?.S ?? (input.Item as Item | undefined)?.sk?.S;
  const pk = (input.Key as { pk?: { S?: string } } | undefined)?.pk?.S ?? (input.Item as Item | undefined)?.pk?.S;
  if (sk === undefined || !pk?.startsWith('by_key#')) return undefined;
  return JSON.parse(sk.slice(sk.indexOf('#') + 1)) as string[];
}

describe('redrive', () => {
  it(
    'brings back batches given up while later batches wrote the same items, partly applied, unregistered or bisected; a second run changes nothing',
    { timeout: 900_000 },
    async () => {
      const w = await world(31, 1_200, 6);
      let invocation = 0;
      const phase = (): 'key' | 'all' | 'timeout' | 'none' =>
        invocation >= 3 && invocation <= 8
          ? 'key'
          : invocation >= 12 && invocation <= 14
            ? 'all'
            : invocation >= 18 && invocation <= 24
              ? 'timeout'
              : 'none';
      const live = await runLive({
        ...w,
        records: 1_200,
        batchSize: 60,
        onInvoke: (n) => (invocation = n),
        // Phase "key": writes of key-1's items fail, so the batch's other items are applied (half
        // applied) and later batches then write key-1's items past the failed records (the trap).
        // Phase "all": every write fails, the registry's included: nothing of the batch is applied.
        // Phase "timeout": key-2's by_key items fail and the function then throws, so Lambda bisects.
        faults: (command, input, when) => {
          if (when !== 'send' || (command !== 'UpdateItemCommand' && command !== 'PutItemCommand')) return undefined;
          const p = phase();
          if (p === 'all') return 'fail';
          const group = groupOf(input);
          if (p === 'key' && group?.[1] === 'key-1') return 'fail';
          if (p === 'timeout' && group?.[1] === 'key-2') return 'fail';
          return undefined;
        },
        timesOut: () => phase() === 'timeout',
      });
      expect(live.failed.length).toBeGreaterThanOrEqual(3);
      // Some failed attempts applied part of their items.
      expect(live.stats.some((s) => s.failedItems > 0 && s.aggregateWrites > s.failedItems)).toBe(true);
      const before = await readAggregates(testDynamoDb(dynamo.endpoint), w.table);
      expect(before).not.toEqual(w.expected);

      const results = await redrive(w);
      expect(results.map((r) => r.status)).toEqual(live.failed.map(() => 'applied'));
      expect(results.some((r) => !r.registered)).toBe(true);
      expect(await pointersLeft(w.bucket)).toBe(0);
      expect(await readAggregates(testDynamoDb(dynamo.endpoint), w.table)).toEqual(w.expected);
      const oracle = await contents(w.oracleTable);
      expect(await contents(w.table)).toEqual(oracle);
      const registry = await testDynamoDb(dynamo.endpoint).send(
        new GetItemCommand({ TableName: w.table, Key: registryKey('shardId-000000000000'), ConsistentRead: true }),
      );
      expect(parseRegistry(registry.Item)).toEqual([]);

      expect(await redrive(w)).toEqual([]);
      // The pointers again, as if their deletion had been lost: every item is found done.
      for (const f of live.failed) {
        const info = f.KinesisBatchInfo;
        await s3.send(
          new PutObjectCommand({
            Bucket: w.bucket,
            Key: `${info.shardId}/${info.startSequenceNumber}-${info.endSequenceNumber}.json`,
            Body: JSON.stringify(f),
          }),
        );
      }
      const again = await redrive(w);
      expect(again.every((r) => r.status === 'applied')).toBe(true);
      expect(await contents(w.table)).toEqual(oracle);
    },
  );

  it(
    'changes nothing when rerun after stopping between applying a range and deleting its pointer',
    { timeout: 600_000 },
    async () => {
      const w = await world(32, 600, 4);
      let invocation = 0;
      await runLive({
        ...w,
        records: 600,
        batchSize: 50,
        onInvoke: (n) => (invocation = n),
        faults: (_command, input, when) =>
          when === 'send' && invocation >= 2 && invocation <= 7 && groupOf(input)?.[1] === 'key-0' ? 'fail' : undefined,
      });
      let stops = 0;
      const first = await redrive(w, {
        beforeDelete: () => {
          stops++;
          return Promise.reject(new Error('stopped (injected crash)'));
        },
      });
      expect(stops).toBeGreaterThan(0);
      expect(first.every((r) => r.status === 'failed')).toBe(true);
      expect(await pointersLeft(w.bucket)).toBe(first.length);
      const second = await redrive(w);
      expect(second.every((r) => r.status === 'applied')).toBe(true);
      expect(second.reduce((n, r) => n + r.written, 0)).toBe(0);
      expect(await readAggregates(testDynamoDb(dynamo.endpoint), w.table)).toEqual(w.expected);
      expect(await contents(w.table)).toEqual(await contents(w.oracleTable));
    },
  );

  it('leaves alone the items a backfill replaced after the range failed', { timeout: 600_000 }, async () => {
    const w = await world(35, 600, 4);
    let invocation = 0;
    const live = await runLive({
      ...w,
      records: 600,
      batchSize: 50,
      onInvoke: (n) => (invocation = n),
      // The last batches fail for key-0's items, so no later batch writes them past the failed ranges.
      faults: (_command, input, when) =>
        when === 'send' && invocation >= 10 && groupOf(input)?.[1] === 'key-0' ? 'fail' : undefined,
    });
    expect(live.failed.length).toBeGreaterThan(0);
    // As npm run backfill replaces an item: the archive's numbers (the oracle's), the item's
    // watermarks and markers kept, its holes dropped, and backfilledAt set.
    const client = testDynamoDb(dynamo.endpoint);
    const stored = new Map((await scan(w.table)).map((i) => [`${i.pk.S}|${i.sk.S}`, i]));
    for (const item of await scan(w.oracleTable)) {
      if (item.aggregate === undefined) continue;
      const replaced: Item = {};
      for (const [name, value] of Object.entries(item)) if (!/^[whr]:/.test(name)) replaced[name] = value;
      for (const [name, value] of Object.entries(stored.get(`${item.pk.S}|${item.sk.S}`) ?? {})) {
        if (/^[wr]:/.test(name)) replaced[name] = value;
      }
      replaced.backfilledAt = { S: new Date().toISOString() };
      await client.send(new PutItemCommand({ TableName: w.table, Item: replaced }));
    }
    const results = await redrive(w);
    expect(results.every((r) => r.status === 'applied')).toBe(true);
    expect(results.reduce((n, r) => n + r.written, 0)).toBe(0);
    expect(await pointersLeft(w.bucket)).toBe(0);
    expect(await readAggregates(client, w.table)).toEqual(w.expected);
  });

  it(
    'stays exact when writes, registry requests included, fail or lose their answers at random',
    { timeout: 900_000 },
    async () => {
      const w = await world(34, 800, 5);
      const rand = seeded(34);
      const live = await runLive({
        ...w,
        records: 800,
        batchSize: 40,
        faults: (command, _input, when) => {
          if (command !== 'UpdateItemCommand' && command !== 'PutItemCommand' && command !== 'GetItemCommand') {
            return undefined;
          }
          const r = rand();
          if (when === 'send' && r < 0.04) return 'fail';
          if (when === 'answer' && r < 0.03) return 'lose-answer';
          return undefined;
        },
      });
      expect(live.failed.length).toBeGreaterThan(0);
      const results = await redrive(w);
      expect(results.every((r) => r.status === 'applied')).toBe(true);
      expect(await readAggregates(testDynamoDb(dynamo.endpoint), w.table)).toEqual(w.expected);
      expect(await contents(w.table)).toEqual(await contents(w.oracleTable));
    },
  );

  it(
    'reads the ranges of a shard split since, and reports an expired range with the backfill commands',
    { timeout: 600_000 },
    async () => {
      const w = await world(33, 400, 4);
      let invocation = 0;
      const live = await runLive({
        ...w,
        records: 400,
        batchSize: 40,
        onInvoke: (n) => (invocation = n),
        faults: (_command, input, when) =>
          when === 'send' && invocation >= 2 && invocation <= 4 && groupOf(input)?.[1] === 'key-3' ? 'fail' : undefined,
      });
      expect(live.failed.length).toBeGreaterThan(0);
      await kinesis.send(
        new SplitShardCommand({
          StreamName: w.stream,
          ShardToSplit: 'shardId-000000000000',
          NewStartingHashKey: (2n ** 127n).toString(),
        }),
      );
      // A range of a shard the stream no longer has: past the retention, only a backfill brings it back.
      const gone = live.failed[0];
      await s3.send(
        new PutObjectCommand({
          Bucket: w.bucket,
          Key: 'shardId-000000000009/expired.json',
          Body: JSON.stringify({
            ...gone,
            KinesisBatchInfo: {
              ...gone.KinesisBatchInfo,
              shardId: 'shardId-000000000009',
              approximateArrivalOfFirstRecord: '2026-11-23T09:00:30.000Z',
              approximateArrivalOfLastRecord: '2026-11-23T09:02:10.000Z',
            },
          }),
        }),
      );
      const results = await redrive(w);
      const expired = results.filter((r) => r.status === 'expired');
      expect(expired).toHaveLength(1);
      expect(expired[0].backfill).toEqual([
        'npm run backfill -- --local --aggregate by_key --from 2025-11-23T09:00:00.000Z --to 2026-11-23T09:03:00.000Z',
        'npm run backfill -- --local --aggregate by_type --from 2025-11-23T09:00:00.000Z --to 2026-11-23T09:03:00.000Z',
      ]);
      expect(results.filter((r) => r.status === 'applied')).toHaveLength(live.failed.length);
      expect(await pointersLeft(w.bucket)).toBe(1);
      expect(await readAggregates(testDynamoDb(dynamo.endpoint), w.table)).toEqual(w.expected);
      expect(await contents(w.table)).toEqual(await contents(w.oracleTable));
    },
  );
});
