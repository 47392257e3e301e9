import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/emulators';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStartOptions } from '../../local/start';
import { type Started, sendLoad, startLocalMode, stopLocalMode } from '../support/local-mode';

let local: Started;

beforeAll(async () => {
  local = await startLocalMode(['--no-load', '--archive-buffer-seconds', '1']);
}, 90_000);

afterAll(async () => {
  if (local !== undefined) await stopLocalMode(local);
});

async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${local.dashboard}${path}`);
  return (await response.json()) as T;
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    value = await read();
  }
  return value;
}

describe('npm start', () => {
  it('prints the endpoints, the resource names, the SDK settings, and that OpenSearch is not emulated', () => {
    const out = local.output();
    expect(out).toContain('stream "events"');
    expect(out).toContain('table "aggregates"');
    expect(out).toContain('export AWS_ENDPOINT_URL_KINESIS=');
    expect(out).toMatch(/OpenSearch sink\s+not emulated/);
  });

  it('aggregates what the load generator sent exactly, parks the poison, and archives every valid event', async () => {
    const { summary, expected } = await sendLoad(local, [
      '--scenario',
      'iot',
      '--keys',
      '20',
      '--rate',
      '400',
      '--count',
      '1500',
      '--poison',
      '0.05',
      '--expect',
      '/dev/null',
    ]);
    expect(summary.failed).toBe(0);
    const want = expected!.toJSON();

    for (const type of new Set(want.items.map((i) => i.type))) {
      const items = want.items.filter((i) => i.type === type);
      const from = items[0].windowStart;
      const to = new Date(Date.parse(items[items.length - 1].windowStart) + 60_000).toISOString();
      const read = await eventually(
        () =>
          api<{ items: { key: string; windowStart: string; count: number; sum: number; min: number; max: number }[] }>(
            `/api/aggregates?type=${type}&from=${from}&to=${to}`,
          ),
        (r) => r.items.reduce((s, i) => s + i.count, 0) === items.reduce((s, i) => s + i.count, 0),
      );
      const sortByWindowKey = (
        a: { windowStart: string; key: string },
        b: { windowStart: string; key: string },
      ): number =>
        a.windowStart === b.windowStart ? (a.key < b.key ? -1 : 1) : a.windowStart < b.windowStart ? -1 : 1;
      expect(read.items.map((i) => ({ ...i, sum: Math.round(i.sum * 1000) / 1000 }))).toEqual(
        [...items]
          .sort(sortByWindowKey)
          .map(({ type: _t, ...rest }) => ({ ...rest, sum: Math.round(rest.sum * 1000) / 1000 })),
      );
    }

    const stats = await eventually(
      () => api<{ poisonRecords: number }>('/api/stats'),
      (s) => s.poisonRecords === summary.poison,
    );
    expect(stats.poisonRecords).toBe(summary.poison);

    const s3 = new S3Client({
      endpoint: local.s3,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      forcePathStyle: true,
    });
    const archived = await eventually(
      async () => {
        const lines: string[] = [];
        const list = await s3.send(new ListObjectsV2Command({ Bucket: 'archive', Prefix: 'events/' }));
        for (const o of list.Contents ?? []) {
          expect(o.Key).toMatch(
            /^events\/year=\d{4}\/month=\d{2}\/day=\d{2}\/hour=\d{2}\/events-archive-1-\d{4}(-\d{2}){5}-[0-9a-f-]{36}\.gz$/,
          );
          const body = await s3.send(new GetObjectCommand({ Bucket: 'archive', Key: o.Key }));
          lines.push(
            ...gunzipSync(Buffer.from(await body.Body!.transformToByteArray()))
              .toString('utf8')
              .split('\n')
              .filter((l) => l !== ''),
          );
        }
        return lines;
      },
      (lines) => lines.length >= summary.accepted,
    );
    expect(archived).toHaveLength(summary.accepted);
    const ids = new Set(
      archived.flatMap((l) => {
        try {
          return [(JSON.parse(l) as { eventId?: string }).eventId];
        } catch {
          return [];
        }
      }),
    );
    expect([...ids].filter((id) => id?.startsWith('iot-')).length).toBe(want.events);
  });

  it('answers bad parameters with a 400 naming the parameter', async () => {
    const response = await fetch(
      `${local.dashboard}/api/aggregates?type=temperature&from=yesterday&to=2026-11-23T00:00:00Z`,
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/^from: /);
  });
});

describe('npm start, on Ctrl-C', () => {
  it('stops cleanly, exit code 0', async () => {
    const code = await stopLocalMode(local);
    local = undefined as unknown as Started;
    expect(code).toBe(0);
  });
});

describe('parseStartOptions', () => {
  it('has the contract defaults', () => {
    expect(parseStartOptions([])).toMatchObject({
      load: true,
      port: 3000,
      kinesisPort: 4567,
      dynamodbPort: 4568,
      s3Port: 4569,
      streamName: 'events',
    });
    expect(parseStartOptions(['--no-load']).load).toBe(false);
  });

  it.each([
    [['--port', '70000'], /^--port: expected a port/],
    [['--stream-name', 'a b'], /^--stream-name:/],
    [['--rate', '0'], /^--rate:/],
    [['--scenario', 'web'], /^--scenario:/],
    [['--archive-buffer-seconds', '0'], /^--archive-buffer-seconds:/],
  ])('refuses %j naming the flag', (argv, message) => {
    expect(() => parseStartOptions(argv)).toThrow(message);
  });
});
