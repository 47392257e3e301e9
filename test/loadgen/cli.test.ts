import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Summary } from '../../loadgen/run';
import { type Emulator, TEST_CREDENTIALS, uniqueName } from '../support/emulators';
import { createStream, startKinesalite, testKinesis } from '../support/kinesalite';
import { type CliOutcome, runCli } from '../support/cli-process';
import { withoutAwsCredentials } from '../support/no-credentials';
import { startThrottlingProxy } from '../support/throttling-proxy';

let kinesis: Emulator;

beforeAll(async () => {
  kinesis = await startKinesalite();
});

afterAll(async () => {
  await kinesis?.close();
});

const WITH_CREDENTIALS = {
  ...process.env,
  AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
  AWS_REGION: 'us-east-1',
};

function loadgen(
  args: string[],
  onStart?: (child: ChildProcess) => void,
  env: NodeJS.ProcessEnv = WITH_CREDENTIALS,
): Promise<CliOutcome> {
  return runCli('loadgen/cli.ts', args, { env, ...(onStart === undefined ? {} : { onStart }) });
}

/** An iot run of N events to a stream at an endpoint. */
const iot = (name: string, endpoint: string, count: number): string[] => [
  '--stream',
  name,
  '--endpoint',
  endpoint,
  '--scenario',
  'iot',
  '--rate',
  '100',
  '--count',
  `${count}`,
];

/** A port nothing listens on: one the system gave out and was closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function stream(): Promise<string> {
  const name = uniqueName('cli');
  await createStream(testKinesis(kinesis.endpoint), name, 2);
  return name;
}

describe('npm run loadgen', () => {
  it('exits 2 on a bad flag, naming it, with the usage', async () => {
    const out = await loadgen(['--stream', 's', '--scenario', 'web', '--rate', '1', '--count', '1']);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('--scenario: must be one of clickstream, iot, logs, got "web"');
    expect(out.stderr).toContain('Usage: npm run loadgen');
  });

  it('exits 2 on a mistake in the --aggregates file, naming the file and the JSON path, without a stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loadgen-'));
    const file = join(dir, 'mine.json');
    const total = { name: 'total', types: ['*'], windows: ['1m'], measures: { n: { op: 'count' } } };
    writeFileSync(
      file,
      JSON.stringify({
        version: 2,
        aggregates: [
          total,
          { ...total, name: 'b' },
          { ...total, name: 'c', measures: { p: { op: 'max', of: 'key' } } },
        ],
      }),
    );
    const out = await loadgen([
      '--stream',
      's',
      '--scenario',
      'iot',
      '--rate',
      '1',
      '--count',
      '1',
      '--aggregates',
      file,
    ]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(
      /^--aggregates: mine\.json: aggregates\[2\]\.measures\.p\.of: "key": max needs a number/,
    );
    expect(out.stderr).not.toMatch(/\n\s+at /);
  });

  it('stops at once naming --stream when the stream does not exist', async () => {
    const out = await loadgen([
      '--stream',
      'nope',
      '--endpoint',
      kinesis.endpoint,
      '--scenario',
      'iot',
      '--rate',
      '100',
      '--count',
      '10',
      '--json',
    ]);
    expect(out.code).toBe(1);
    const summary = JSON.parse(out.stdout) as Summary;
    expect(summary.error).toBe(
      `--stream: stream "nope" was not found at ${kinesis.endpoint}: check the name and --endpoint.`,
    );
    expect(summary.failed).toBe(summary.sent);
    expect(summary.accepted).toBe(0);
    expect(summary.retried).toBe(0);
    expect(out.stderr).toContain('loadgen: stopped: --stream: stream "nope" was not found');
  });

  it("against a local endpoint needs no AWS credentials: it uses the emulators' own", async () => {
    const out = await loadgen(iot(await stream(), kinesis.endpoint, 50), undefined, withoutAwsCredentials());
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/ {2}accepted +50\n/);
  });

  it('without credentials, against an endpoint that is not local, stops at once and says what to set', async () => {
    const out = await loadgen(iot('events', 'http://127.0.0.2:1', 500), undefined, withoutAwsCredentials());
    expect(out.code).toBe(1);
    expect(out.stdout).toContain(
      'STOPPED: no AWS credentials found to reach stream "events" at http://127.0.0.2:1: set AWS_PROFILE',
    );
    expect(out.stdout).toMatch(/ {2}retried +0\n/);
    expect(out.stdout).toContain('LOST');
    expect(out.stdout + out.stderr).not.toMatch(/\n\s+at /);
  });

  it('stops at once when nothing listens at the endpoint, and says so', async () => {
    const closed = await closedPort();
    const endpoint = `http://127.0.0.1:${closed}`;
    const out = await loadgen(iot('events', endpoint, 500));
    expect(out.code).toBe(1);
    expect(out.stdout).toContain(`STOPPED: nothing is listening at ${endpoint} (connection refused)`);
    expect(out.stdout).toMatch(/ {2}retried +0\n/);
  });

  it('prints a JSON summary and writes the expect file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loadgen-'));
    const expectFile = join(dir, 'expect.json');
    const out = await loadgen([
      '--stream',
      await stream(),
      '--endpoint',
      kinesis.endpoint,
      '--scenario',
      'logs',
      '--rate',
      '2000',
      '--count',
      '500',
      '--json',
      '--expect',
      expectFile,
    ]);
    expect(out.code).toBe(0);
    const summary = JSON.parse(out.stdout) as Summary;
    expect(summary).toMatchObject({ sent: 500, accepted: 500, failed: 0, retried: 0, scenario: 'logs' });
    expect(summary.putLatencyMs.p99).toBeGreaterThanOrEqual(summary.putLatencyMs.p50);
    expect(existsSync(expectFile)).toBe(true);
    const written = JSON.parse(readFileSync(expectFile, 'utf8')) as {
      version: number;
      events: number;
      aggregates: { name: string }[];
    };
    expect(written).toMatchObject({ version: 2, events: 500, lateness: 'ignored' });
    expect(written.aggregates.map((a) => a.name)).toContain('by_key');
  });

  it('prints progress lines when not on a terminal, then a readable summary', async () => {
    const out = await loadgen([
      '--stream',
      await stream(),
      '--endpoint',
      kinesis.endpoint,
      '--scenario',
      'iot',
      '--rate',
      '300',
      '--duration',
      '1500ms',
    ]);
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(/\ds sent=\d+ accepted=\d+ retried=0 throttled=0 failed=0 rate=\d+\/s/);
    expect(out.stdout).toMatch(/accepted +\d+/);
    expect(out.stdout).toMatch(/put latency p50 [\d.]+ ms, p99 [\d.]+ ms/);
  });

  it('on Ctrl-C sends what is in flight, prints the summary, and loses nothing', async () => {
    const out = await loadgen(
      [
        '--stream',
        await stream(),
        '--endpoint',
        kinesis.endpoint,
        '--scenario',
        'clickstream',
        '--rate',
        '500',
        '--duration',
        '60s',
      ],
      // Stopped once it is sending, whatever the machine's load: a fixed delay can land before the
      // handler is set. Hence the text summary: --json prints no progress to wait for.
      (child) => {
        let sending = false;
        child.stderr?.on('data', (c: Buffer) => {
          if (!sending && /sent=[1-9]/.test(c.toString())) {
            sending = true;
            child.kill('SIGINT');
          }
        });
      },
    );
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('(stopped early)');
    const number = (pattern: RegExp): number => Number(pattern.exec(out.stdout)?.[1]);
    const sent = number(/ {2}sent +(\d+)/);
    expect(sent).toBeGreaterThan(0);
    expect(number(/ {2}accepted +(\d+)/)).toBe(sent);
    expect(number(/ {2}failed +(\d+)/)).toBe(0);
    expect(number(/over ([\d.]+) s\n/)).toBeLessThan(30);
  });

  it('exits 1 and says LOST when records run out of retries', async () => {
    const proxy = await startThrottlingProxy(kinesis.endpoint, { requestShare: 1, recordShare: 0 });
    try {
      const out = await loadgen([
        '--stream',
        await stream(),
        '--endpoint',
        proxy.endpoint,
        '--scenario',
        'iot',
        '--rate',
        '100',
        '--count',
        '20',
        '--max-retries',
        '1',
      ]);
      expect(out.code).toBe(1);
      expect(out.stdout).toContain(
        'LOST 20 events: the stream did not accept them within their retries (last error: ProvisionedThroughputExceededException: Rate exceeded for shard)',
      );
      expect(out.stdout).toMatch(/throttled +40/);
    } finally {
      await proxy.close();
    }
  });
});
