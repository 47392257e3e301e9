import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../backfill/cli';
import { parseBackfillOptions } from '../../backfill/options';
import { remoteInput } from '../../backfill/remote';

const ROOT = join(__dirname, '..', '..');
const RANGE = ['--aggregate', 'by_key', '--from', '2026-11-01T00:00:00Z', '--to', '2026-11-02T00:00:00Z'];

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(
    args,
    { write: (s: string) => ((out += s), true) },
    { write: (s: string) => ((err += s), true) },
  );
  return { code, out, err };
}

describe('npm run backfill: usage errors', () => {
  it.each([
    [['--aggregate', 'by_key', '--from', '2026-11-01T00:00:00Z', '--to', '2026-11-02T00:00:00Z'], '--stack'],
    [['--local', '--stack', 'S', ...RANGE], '--stack'],
    [['--local', '--remote', ...RANGE], '--remote'],
    [['--stack', 'S', '--slices', '4', ...RANGE], '--slices'],
    [['--stack', 'S', '--remote', '--slices', '0', ...RANGE], '--slices'],
    [['--stack', 'S', '--remote', '--slice', '1/2', ...RANGE], '--slice'],
    [['--stack', 'S', '--s3-port', '1', ...RANGE], '--s3-port'],
    [['--local', '--region', 'eu-west-1', ...RANGE], '--region'],
    [['--local', '--dynamodb-port', '70000', ...RANGE], '--dynamodb-port'],
    [['--local', '--archive-buffer-seconds', '0', ...RANGE], '--archive-buffer-seconds'],
    [['--local', '--from', '2026-11-01T00:00:00Z', '--to', '2026-11-02T00:00:00Z'], '--aggregate'],
    [
      ['--local', '--aggregate', 'nope', '--from', '2026-11-01T00:00:00Z', '--to', '2026-11-02T00:00:00Z'],
      '--aggregate',
    ],
    [['--local', '--aggregate', 'by_key', '--from', 'yesterday', '--to', '2026-11-02T00:00:00Z'], '--from'],
    [['--local', '--aggregate', 'by_key', '--from', '2026-11-01T00:00:00Z'], '--to'],
    [['--local', '--aggregate', 'by_key', '--from', '2026-11-02T00:00:00Z', '--to', '2026-11-01T00:00:00Z'], '--to'],
    [['--local', '--slice', '3/2', ...RANGE], '--slice'],
    [['--local', '--format', 'csv', ...RANGE], '--format'],
    [['--local', '--aggregates', 'missing.json', ...RANGE], '--aggregates'],
    [['--local', '--frm', 'x', ...RANGE], '--frm'],
  ])('%j names %s and exits 2', async (args, flag) => {
    const { code, err, out } = await run(args);
    expect(code).toBe(2);
    expect(err.split('\n')[0]).toContain(flag);
    expect(err).toContain('Usage: npm run backfill');
    expect(err).not.toMatch(/\n\s+at /);
    expect(out).toBe('');
  });

  it('prints its usage with --help and exits 0', async () => {
    const { code, out } = await run(['--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/^Usage: npm run backfill -- \(--stack NAME/);
  });

  it('exits 2 with the message alone as a process, no stack trace', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'backfill/cli.ts', '--local', '--slice', 'x'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      timeout: 120_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr.split('\n')[0]).toMatch(/^--aggregate: required/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 150_000);
});

describe('npm run backfill: options', () => {
  it('takes local mode flags with npm start defaults', () => {
    const o = parseBackfillOptions(['--local', ...RANGE, '--slice', '2/3', '--dry-run']);
    expect(o.target).toEqual({
      kind: 'local',
      endpoints: { kinesisPort: 4567, dynamodbPort: 4568, s3Port: 4569 },
      bufferSeconds: 10,
    });
    expect(o.request.slice).toEqual({ index: 2, count: 3 });
    expect(o.dryRun).toBe(true);
  });

  it('fans a remote run out in one slice per day by default', () => {
    const o = parseBackfillOptions(['--stack', 'S', '--remote', ...RANGE.slice(0, 4), '--to', '2026-11-08T00:00:00Z']);
    expect(o.target).toEqual({ kind: 'stack', stack: 'S', remote: true, slices: 7 });
    expect(remoteInput({ aggregate: 'by_key', from: 'a', to: 'b', format: 'auto', dryRun: false }, 3).slices).toEqual([
      '1/3',
      '2/3',
      '3/3',
    ]);
  });
});
