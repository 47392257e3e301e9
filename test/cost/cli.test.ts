import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cost/cli';
import type { CostBreakdown } from '../../cost/model';
import { RESULTS_JSON } from './fixtures';

const ROOT = join(__dirname, '..', '..');
let results: string;

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'cost-'));
  results = join(dir, 'results.json');
  writeFileSync(results, JSON.stringify(RESULTS_JSON));
});

function cli(argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = run(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
  return { code, out, err };
}

describe('npm run cost', () => {
  it('prints an aligned table of line items with a total', () => {
    const { code, out, err } = cli(['--rate', '100', '--size', '1024', '--results', results]);
    expect(err).toBe('');
    expect(code).toBe(0);
    const lines = out.split('\n');
    const header = lines.find((l) => l.startsWith('service'))!;
    expect(header).toMatch(/^service\s+item\s+quantity\s+unit\s+unit price\s+USD\/month$/);
    for (const service of ['Kinesis', 'Lambda', 'DynamoDB', 'Firehose', 'S3', 'OpenSearch', 'CloudWatch']) {
      expect(lines.some((l) => l.startsWith(service))).toBe(true);
    }
    // Every row's amount ends in the same column as the header's last one.
    const rows = lines.filter((l) => /^(Kinesis|Lambda|DynamoDB|Firehose|S3|OpenSearch|CloudWatch) /.test(l));
    for (const row of rows) expect(row.length).toBe(header.length);
    const total = lines.find((l) => l.startsWith('total'))!;
    expect(total).toMatch(/^total\s+\$[\d,]+\.\d\d$/);
    expect(total.length).toBe(header.length);
    expect(out).toContain('dev profile, on-demand stream, 100 events/s of 1,024 bytes');
    expect(out).toContain('(LOCAL, dynalite, 2026-01-01 on Test CPU)');
  });

  it('--json prints the breakdown, its total the sum of its items', () => {
    const { code, out } = cli([
      '--rate',
      '1000',
      '--size',
      '1024',
      '--stage',
      'prod',
      '--mode',
      'provisioned',
      '--json',
      '--results',
      results,
    ]);
    expect(code).toBe(0);
    const b = JSON.parse(out) as CostBreakdown & { pricesAsOf: string; region: string };
    expect(b.input).toMatchObject({ stage: 'prod', mode: 'provisioned', rate: 1000, sizeBytes: 1024 });
    expect(b.region).toBe('us-east-1');
    expect(b.pricesAsOf).toMatch(/^\d{4}-\d{2}/);
    expect(b.totalUsd).toBeCloseTo(
      b.items.reduce((t, i) => t + i.usd, 0),
      6,
    );
    // 1 MiB/s read by the two Firehose deliveries fits one shard's shared 2 MiB/s: prod's aggregator
    // reads through its enhanced fan-out consumer, outside that limit.
    expect(b.input).toMatchObject({ consumer: 'efo' });
    expect(b.derived.pollingReaders).toBe(2);
    expect(b.derived.shards).toBe(1);
  });

  it('--search off and --archive-format parquet change the breakdown', () => {
    const off = JSON.parse(
      cli(['--rate', '10', '--size', '500', '--search', 'off', '--json', '--results', results]).out,
    ) as CostBreakdown;
    expect(off.byService.OpenSearch).toBe(0);
    const parquet = JSON.parse(
      cli(['--rate', '10', '--size', '500', '--archive-format', 'parquet', '--json', '--results', results]).out,
    ) as CostBreakdown;
    expect(parquet.items.some((i) => i.item.includes('Parquet'))).toBe(true);
  });

  it("prints DynamoDB's share, and what the byType index would add, off by default", () => {
    const off = cli(['--rate', '1000', '--size', '1024', '--results', results]);
    expect(off.code).toBe(0);
    expect(off.out).toMatch(
      /shares: DynamoDB is \d+\.\d % of the total; the byType index is off: on \(--by-type-index on\), it would add \$[\d,.]+, \d+\.\d % of a bill of \$[\d,.]+/,
    );
    expect(off.out).not.toContain('byType index writes');
    const on = cli(['--rate', '1000', '--size', '1024', '--by-type-index', 'on', '--results', results]);
    expect(on.out).toMatch(/^DynamoDB\s+byType index writes \(one per by_key write, 1 WRU\)/m);
    expect(on.out).toMatch(/the byType index costs \$[\d,.]+ of it, \d+\.\d % of the bill/);
    const json = (argv: string[]) =>
      JSON.parse(cli([...argv, '--json', '--results', results]).out) as CostBreakdown & {
        shares: { dynamoDb: number; byTypeIndexOn: boolean; byTypeIndexUsdWithItOn: number };
      };
    const a = json(['--rate', '1000', '--size', '1024']);
    const b = json(['--rate', '1000', '--size', '1024', '--by-type-index', 'on']);
    expect(a.shares.byTypeIndexOn).toBe(false);
    expect(b.totalUsd - a.totalUsd).toBeCloseTo(a.shares.byTypeIndexUsdWithItOn, 6);
    expect(a.shares.dynamoDb).toBeCloseTo(a.byService.DynamoDB / a.totalUsd, 9);
  });

  it('bills the declarations of --aggregates, one write line per declaration', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cost-aggregates-'));
    const file = join(dir, 'mine.json');
    writeFileSync(
      file,
      JSON.stringify({
        version: 2,
        aggregates: [
          { name: 'totals', types: ['*'], groupBy: [], windows: ['1m', '1h'], measures: { n: { op: 'count' } } },
        ],
      }),
    );
    const mine = cli(['--rate', '100', '--size', '1024', '--aggregates', file, '--results', results]);
    expect(mine.code).toBe(0);
    expect(mine.out).toContain('aggregate writes, totals (a batch: 1m 1.0 items × 1 WRU, 1h 1.0 items × 1 WRU)');
    expect(mine.out).not.toContain('aggregate writes, by_key');
    const project = cli(['--rate', '100', '--size', '1024', '--results', results]);
    for (const name of ['by_key', 'by_type', 'pages', 'routes_by_region', 'temperature']) {
      expect(project.out).toContain(`aggregate writes, ${name} `);
    }
    expect(project.out).toContain('sketch reads, pages');
    expect(project.out).not.toContain('sketch reads, by_key');
    const broken = cli([
      '--rate',
      '100',
      '--size',
      '1024',
      '--aggregates',
      join(dir, 'none.json'),
      '--results',
      results,
    ]);
    expect(broken.code).toBe(1);
    expect(broken.err).toContain('aggregates.file');
  });

  it('--table prints the README table: 3 rates × both profiles and modes, and the crossover', () => {
    const { code, out } = cli(['--table', '--results', results]);
    expect(code).toBe(0);
    const rows = out.split('\n').filter((l) => l.startsWith('|'));
    expect(rows[0]).toBe(
      '| events/s (1 KiB each) | dev, on-demand | dev, provisioned | prod, on-demand | prod, provisioned |',
    );
    expect(rows.slice(2).map((r) => r.split('|')[1].trim())).toEqual(['10', '100', '1,000']);
    for (const row of rows.slice(2)) expect(row.match(/\$[\d,]+ \(Kinesis/g)).toHaveLength(4);
    expect(out).toMatch(/- dev: at a steady rate, .* is cheaper/);
    expect(out).toMatch(/- prod: at a steady rate, .* is cheaper/);
    expect(out).toContain('1 KiB = 1,024 bytes');
    expect(out).toMatch(
      /- dev, on-demand, at 1,000 events\/s: DynamoDB is \d+\.\d % of \$[\d,]+; the optional byType index .* would add \$[\d,]+/,
    );
  });

  it('exits 2 on a bad flag, naming it, with the usage', () => {
    const { code, err } = cli(['--rate', 'lots', '--size', '1024']);
    expect(code).toBe(2);
    expect(err).toContain('--rate: expected a positive number, got "lots"');
    expect(err).toContain('Usage: npm run cost');
  });

  it('exits 1 when the benchmark results are missing, saying how to make them', () => {
    const { code, err } = cli(['--rate', '1', '--size', '1', '--results', join(tmpdir(), 'no-such-results.json')]);
    expect(code).toBe(1);
    expect(err).toContain('npm run bench');
  });

  it('runs as the npm script, with the exit code of a bad flag', () => {
    const scripts = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    expect(scripts.cost).toBe('node --import tsx cost/cli.ts');
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'cost/cli.ts', '--stage', 'qa', '--rate', '1', '--size', '1'],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    expect(child.status).toBe(2);
    expect(child.stderr).toContain('--stage: must be one of dev, prod, got "qa"');
    const ok = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'cost/cli.ts', '--rate', '10', '--size', '1024', '--results', results],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^total\s+\$/m);
  });
});
