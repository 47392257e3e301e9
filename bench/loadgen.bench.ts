import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { kinesisClient } from '../loadgen/kinesis-client';
import { parseOptions } from '../loadgen/options';
import { runLoad } from '../loadgen/run';
import { EventGenerator } from '../loadgen/scenarios';
import { TEST_CREDENTIALS } from '../test/support/emulators';
import { createStream, startKinesalite, testKinesis } from '../test/support/kinesalite';
import { type BenchResult, median } from './harness';

/** A PutRecords endpoint that accepts everything at once: what is left to measure is the sender. */
async function nullSink(): Promise<{ endpoint: string; server: Server }> {
  const server = createServer((req, res) => {
    let count = 0;
    let tail = '';
    req.on('data', (chunk: Buffer) => {
      const text = tail + chunk.toString('latin1');
      count += text.split('"PartitionKey"').length - 1;
      tail = text.slice(-16);
    });
    req.on('end', () => {
      const records = Array.from(
        { length: count },
        (_, i) => `{"SequenceNumber":"${i + 1}","ShardId":"shardId-000000000000"}`,
      );
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(`{"FailedRecordCount":0,"Records":[${records.join(',')}]}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const EVENTS = 100_000;
/** What the CLI's `--scenario clickstream` generates by default, without poison. */
const CLICKSTREAM = { scenario: 'clickstream', seed: 1, keys: 1000, poisonRate: 0 } as const;
const CONCURRENCY = 8;

/** Pre-built records through the same client, 500 a call, the same calls in flight: the floor. */
async function bareLoop(endpoint: string): Promise<{ perSecond: number; cpuMicrosPerEvent: number }> {
  const client = kinesisClient({
    endpoint,
    region: 'us-east-1',
    credentials: TEST_CREDENTIALS,
    maxSockets: CONCURRENCY,
  });
  const generator = new EventGenerator({ ...CLICKSTREAM, startMs: Date.now(), rate: 1e6 });
  const records = Array.from({ length: EVENTS }, () => {
    const r = generator.next();
    return { Data: r.data, PartitionKey: r.partitionKey };
  });
  const started = performance.now();
  const cpu = process.cpuUsage();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < records.length) {
      const batch = records.slice(next, next + 500);
      next += 500;
      await client.send(new PutRecordsCommand({ StreamName: 'bench', Records: batch }));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const used = process.cpuUsage(cpu);
  return {
    perSecond: EVENTS / ((performance.now() - started) / 1000),
    cpuMicrosPerEvent: (used.user + used.system) / EVENTS,
  };
}

async function generatorRun(
  endpoint: string,
  args: string[] = [],
): Promise<{ perSecond: number; cpuMicrosPerEvent: number; accepted: number }> {
  const options = parseOptions(
    [
      '--stream',
      'bench',
      '--endpoint',
      endpoint,
      '--scenario',
      'clickstream',
      '--rate',
      '1000000000',
      '--count',
      String(EVENTS),
      '--concurrency',
      String(CONCURRENCY),
      ...args,
    ],
    {},
  );
  const cpu = process.cpuUsage();
  const { summary } = await runLoad(options, {
    client: kinesisClient({ endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxSockets: CONCURRENCY }),
  });
  const used = process.cpuUsage(cpu);
  return {
    perSecond: summary.accepted / summary.durationSeconds,
    cpuMicrosPerEvent: (used.user + used.system) / summary.sent,
    accepted: summary.accepted,
  };
}

/**
 * Alternating rounds of each path: the machine is shared, so one round of either can be slowed by
 * others, and a major GC lands in one round or another. The ratio is the median of the rounds' own
 * ratios, each pair run back to back.
 */
const ROUNDS = 11;

/** CPU time of generation alone (EventGenerator.next), the median of a few rounds, in µs per event. */
function generationCpu(): number {
  const generator = new EventGenerator({ ...CLICKSTREAM, startMs: Date.now(), rate: 20_000 });
  const rounds: number[] = [];
  let bytes = 0;
  for (let r = 0; r < 7; r++) {
    const cpu = process.cpuUsage();
    for (let i = 0; i < EVENTS; i++) bytes += generator.next().data.length;
    const used = process.cpuUsage(cpu);
    rounds.push((used.user + used.system) / EVENTS);
  }
  if (bytes === 0) throw new Error('generated nothing');
  return median(rounds);
}

export async function benchLoadgen(): Promise<BenchResult[]> {
  const sink = await nullSink();
  const kinesis = await startKinesalite();
  try {
    // Warm both paths once, then alternate them, keeping the median of each.
    await bareLoop(sink.endpoint);
    await generatorRun(sink.endpoint);
    const bare: { perSecond: number; cpuMicrosPerEvent: number }[] = [];
    const gen: { perSecond: number; cpuMicrosPerEvent: number }[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      bare.push(await bareLoop(sink.endpoint));
      gen.push(await generatorRun(sink.endpoint));
    }
    const bareRate = median(bare.map((b) => b.perSecond));
    const genRate = median(gen.map((g) => g.perSecond));
    // Each round's pair ran back to back under the same load from others: its ratio is the measurement.
    const ratio = median(gen.map((g, i) => g.perSecond / bare[i].perSecond));
    const cpuRatio = median(gen.map((g, i) => bare[i].cpuMicrosPerEvent / g.cpuMicrosPerEvent));
    const cpu = median(gen.map((g) => g.cpuMicrosPerEvent));
    const generation = generationCpu();

    const client = testKinesis(kinesis.endpoint);
    await createStream(client, 'bench', 4);
    const options = parseOptions(
      [
        '--stream',
        'bench',
        '--endpoint',
        kinesis.endpoint,
        '--scenario',
        'clickstream',
        '--rate',
        '1000000000',
        '--duration',
        '5s',
      ],
      {},
    );
    const { summary } = await runLoad(options, {
      client: kinesisClient({ endpoint: kinesis.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS }),
    });

    return [
      { name: 'bare loop: pre-built records, 500 a call, 8 in flight, null sink', value: bareRate, unit: 'events/s' },
      {
        name: 'load generator (generate, token bucket, batch, send, account), same sink',
        value: genRate,
        unit: 'events/s',
        ratio,
        target: '>= 0.8',
        pass: ratio >= 0.8,
      },
      {
        name: 'CPU time per event, both threads: bare loop over load generator (generation moved to a worker costs a copy)',
        value: cpuRatio,
        unit: 'ratio',
      },
      {
        name: 'load generator CPU per event, both threads (generator worker; client and sink in the main thread)',
        value: cpu,
        unit: 'µs CPU/event',
      },
      {
        name: 'generation alone (clickstream events made into record bytes, no sending)',
        value: generation,
        unit: 'µs CPU/event',
      },
      {
        name: `sustained against kinesalite, 4 shards, 5 s (${summary.failed} lost)`,
        value: summary.eventsPerSecond,
        unit: 'events/s',
      },
    ];
  } finally {
    await new Promise<void>((resolve) => sink.server.close(() => resolve()));
    await kinesis.close();
  }
}
