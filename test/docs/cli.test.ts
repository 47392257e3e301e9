import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/docs/generate';

const docs = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'docs', 'cli.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });

describe('npm run docs', () => {
  it('--help prints the usage and exits 0', () => {
    const run = docs('--help');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Usage: npm run docs/);
  });

  it('an unknown flag exits 2 naming it, without a stack trace', () => {
    const run = docs('--chek');
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^Unknown option '--chek'/);
    expect(run.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });
});
