import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/emulators';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    const v1Items = want.items ?? [];
    expect(v1Items.length).toBeGreaterThan(0);

    for (const type of new Set(v1Items.map((i) => i.type))) {
      const items = v1Items.filter((i) => i.type === type);
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
    [['--fault-rate', '1.5'], /^--fault-rate: expected a share from 0 to 1/],
    [['--aggregates', '/nonexistent.json'], /^--aggregates: \/nonexistent\.json: cannot be read: ENOENT/],
    [
      ['--aggregates', badDeclarations()],
      /^--aggregates: bad\.json: aggregates\[0\]\.windows\[0\]: "7m" does not divide a day/,
    ],
  ])('refuses %j naming the flag', (argv, message) => {
    expect(() => parseStartOptions(argv)).toThrow(message);
  });

  it('takes the repository declarations by default, and another file by --aggregates', () => {
    expect(parseStartOptions([]).aggregatesFile).toBe(join(__dirname, '..', '..', 'aggregates.json'));
    expect(parseStartOptions(['--aggregates', 'test/fixtures/keyed-aggregates.json']).aggregatesFile).toBe(
      join(__dirname, '..', '..', 'test', 'fixtures', 'keyed-aggregates.json'),
    );
    expect(parseStartOptions(['--fault-rate', '0.25']).faultRate).toBe(0.25);
  });

  it('stops at start on a declarations mistake, naming its JSON path, with no stack trace', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'local/start.ts', '--aggregates', badDeclarations()], {
      cwd: join(__dirname, '..', '..'),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^--aggregates: bad\.json: aggregates\[0\]\.windows\[0\]: "7m" does not divide a day/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

function badDeclarations(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'aggregates-')), 'bad.json');
  writeFileSync(
    file,
    JSON.stringify({
      version: 2,
      aggregates: [{ name: 'x', types: ['*'], windows: ['7m'], measures: { n: { op: 'count' } } }],
    }),
  );
  return file;
}

describe("npm start with a declaration of the user's own, and DynamoDB writes failing on purpose", () => {
  let mine: Started | undefined;

  afterAll(async () => {
    if (mine !== undefined) await stopLocalMode(mine);
  });

  it(
    'aggregates the new declaration with no code change, exactly, while some of its writes fail',
    { timeout: 300_000 },
    async () => {
      const declarations = JSON.parse(readFileSync(join(__dirname, '..', '..', 'aggregates.json'), 'utf8')) as {
        aggregates: unknown[];
      };
      declarations.aggregates.push({
        name: 'regions',
        types: ['page_view'],
        groupBy: ['attributes.region'],
        windows: ['1m'],
        measures: { views: { op: 'count' }, load_ms: { op: 'quantiles', of: 'attributes.latencyMs' } },
      });
      const file = join(mkdtempSync(join(tmpdir(), 'aggregates-')), 'mine.json');
      writeFileSync(file, JSON.stringify(declarations));
      mine = await startLocalMode(['--no-load', '--aggregates', file, '--fault-rate', '0.15']);
      expect(mine.output()).toMatch(/Aggregates\s+by_key, by_type, pages, routes_by_region, temperature, regions/);
      expect(mine.output()).toMatch(/Faults\s+15% of the aggregator's DynamoDB writes fail/);
      const get = async <T>(path: string): Promise<T> => (await (await fetch(`${mine!.dashboard}${path}`)).json()) as T;
      expect(await get('/api/local/faults')).toEqual({ dynamodbWriteFailRate: 0.15 });
      const definitions = await get<{ aggregates: { name: string }[] }>('/api/definitions');
      expect(definitions.aggregates.map((a) => a.name)).toContain('regions');

      const from = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000).toISOString();
      const { summary } = await sendLoad(mine, [
        '--scenario',
        'clickstream',
        '--keys',
        '50',
        '--rate',
        '300',
        '--count',
        '900',
      ]);
      expect(summary.failed).toBe(0);
      const to = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 120_000).toISOString();
      type Items = { items: { group: Record<string, string | null>; measures: Record<string, unknown> }[] };
      const total = (r: Items, measure: string, filter: (g: Record<string, string | null>) => boolean = () => true) =>
        r.items.filter((i) => filter(i.group)).reduce((n, i) => n + (i.measures[measure] as number), 0);
      // by_type counts every event once; wait until it has them all, then every declaration must agree.
      const byType = await eventually(
        () => get<Items>(`/api/aggregates?aggregate=by_type&window=1m&from=${from}&to=${to}`),
        (r) => total(r, 'count') === summary.accepted,
        240_000,
      );
      expect(total(byType, 'count')).toBe(summary.accepted);
      const pageViews = total(byType, 'count', (g) => g.type === 'page_view');
      const regions = await eventually(
        () => get<Items>(`/api/aggregates?aggregate=regions&window=1m&from=${from}&to=${to}`),
        (r) => total(r, 'views') === pageViews,
        120_000,
      );
      expect(total(regions, 'views')).toBe(pageViews);
      expect(new Set(regions.items.map((i) => i.group['attributes.region'])).size).toBeGreaterThan(1);
      const quantiles = regions.items[0].measures.load_ms as Record<string, number>;
      expect(quantiles.p50).toBeGreaterThan(0);
      const byKey = await eventually(
        () => get<Items>(`/api/aggregates?aggregate=by_key&window=1m&from=${from}&to=${to}`),
        (r) => total(r, 'count') === summary.accepted,
        120_000,
      );
      expect(total(byKey, 'count')).toBe(summary.accepted);

      const stats = await get<{ failedBatches: number }>('/api/stats');
      expect(stats.failedBatches).toBe(0);
      const reset = await fetch(`${mine.dashboard}/api/local/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ dynamodbWriteFailRate: 0 }),
      });
      expect(await reset.json()).toEqual({ dynamodbWriteFailRate: 0 });
    },
  );
});
