import { PROJECT_AGGREGATES_FILE } from '../lambda/shared/declarations-file';
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  PutRecordCommand,
} from '@aws-sdk/client-kinesis';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startKinesalite } from '../local/emulators';
import { startLocalPipeline } from '../local/pipeline';
import { kinesisClient } from '../loadgen/kinesis-client';
import { parseOptions } from '../loadgen/options';
import { percentile, runLoad } from '../loadgen/run';
import type { BenchResult } from './harness';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** kinesalite's own floor: one PutRecord, then GetRecords in a tight loop until the record is there. */
async function kinesaliteCeiling(samples = 200): Promise<{ p50: number; p99: number }> {
  const emulator = await startKinesalite();
  try {
    const client = kinesisClient({ endpoint: emulator.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    await client.send(new CreateStreamCommand({ StreamName: 'ceiling', ShardCount: 1 }));
    await sleep(50);
    let iterator = (
      await client.send(
        new GetShardIteratorCommand({
          StreamName: 'ceiling',
          ShardId: 'shardId-000000000000',
          ShardIteratorType: 'LATEST',
        }),
      )
    ).ShardIterator;
    const latencies: number[] = [];
    for (let i = 0; i < samples; i++) {
      const started = performance.now();
      await client.send(
        new PutRecordCommand({ StreamName: 'ceiling', PartitionKey: 'k', Data: Buffer.from(String(i)) }),
      );
      for (;;) {
        const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator }));
        iterator = page.NextShardIterator;
        if ((page.Records ?? []).length > 0) break;
      }
      latencies.push(performance.now() - started);
    }
    latencies.sort((a, b) => a - b);
    return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
  } finally {
    await emulator.close();
  }
}

/**
 * The whole local pipeline (kinesalite → the real handler behind the local event source mapping →
 * dynalite, and the archive): put-to-aggregate latency at a held 1,000 events/s, then the
 * sustained rate at which it drains a backlog.
 */
export async function benchLocalPipeline(): Promise<BenchResult[]> {
  const ceiling = await kinesaliteCeiling();
  const pipeline = await startLocalPipeline({
    streamName: 'bench',
    kinesisPort: 0,
    dynamodbPort: 0,
    s3Port: 0,
    aggregatesFile: PROJECT_AGGREGATES_FILE,
  });
  try {
    const client = kinesisClient({
      endpoint: pipeline.kinesisEndpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    const load = (args: string[]): ReturnType<typeof runLoad> =>
      runLoad(
        parseOptions(
          ['--stream', 'bench', '--endpoint', pipeline.kinesisEndpoint, '--scenario', 'clickstream', ...args],
          {},
        ),
        { client },
      );

    const steady = await load(['--rate', '1000', '--duration', '20s']);
    while (pipeline.processedRecords() < steady.summary.accepted) await sleep(100);
    const lag = (await pipeline.stats()).lagMs ?? { p50: NaN, p99: NaN };

    const before = pipeline.processedRecords();
    const started = performance.now();
    const burst = await load(['--rate', '1000000000', '--count', '30000']);
    while (pipeline.processedRecords() < before + burst.summary.accepted) await sleep(50);
    const sustained = burst.summary.accepted / ((performance.now() - started) / 1000);

    return [
      { name: "kinesalite's own put-then-get latency, p50", value: ceiling.p50, unit: 'ms' },
      { name: "kinesalite's own put-then-get latency, p99", value: ceiling.p99, unit: 'ms' },
      { name: 'local pipeline put-to-aggregate latency at 1,000 events/s, p50', value: lag.p50, unit: 'ms' },
      {
        name: 'local pipeline put-to-aggregate latency at 1,000 events/s, p99',
        value: lag.p99,
        unit: 'ms',
        target: '< 2000 ms',
        pass: lag.p99 < 2000,
      },
      {
        name: 'local pipeline sustained rate, 30,000-event backlog (load generator sharing the process)',
        value: sustained,
        unit: 'events/s',
      },
    ];
  } finally {
    await pipeline.stop();
  }
}
