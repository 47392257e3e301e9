import { describe, expect, it } from 'vitest';
import type { Command } from '../../cli/flags';
import { COST } from '../../cost/options';
import { DASHBOARD } from '../../dashboard/cli';
import { LOADGEN } from '../../loadgen/options';
import { START } from '../../local/start';
import { COMMAND as REDRIVE } from '../../redrive/cli';
import { VERIFY } from '../../verify/cli';
import { type CliOutcome, runCli } from '../support/cli-process';

// Were a tool to ignore --help and start its work (the benchmarks write files after minutes), it stops here.
const spawnCli = (file: string, args: readonly string[]): Promise<CliOutcome> =>
  runCli(file, args, { timeoutMs: 120_000 });

// Every npm script that is a command-line tool, the file it runs, and its flag definitions.
const TOOLS: [script: string, file: string, command: Command | undefined][] = [
  ['npm start', 'local/start.ts', START],
  ['npm run loadgen', 'loadgen/cli.ts', LOADGEN],
  ['npm run verify', 'verify/cli.ts', VERIFY],
  ['npm run dashboard', 'dashboard/cli.ts', DASHBOARD],
  ['npm run cost', 'cost/cli.ts', COST],
  ['npm run redrive', 'redrive/cli.ts', REDRIVE],
  // Importing bench/run.ts would start the benchmarks: its usage is checked from the outside only.
  ['npm run bench', 'bench/run.ts', undefined],
];

describe('--help on every command-line tool', () => {
  it.each(TOOLS)('%s --help prints its usage with every flag on stdout and exits 0', async (script, file, command) => {
    const out = await spawnCli(file, ['--help']);
    expect(out.code).toBe(0);
    expect(out.stderr).toBe('');
    expect(out.stdout.startsWith(`Usage: ${script} --`)).toBe(true);
    expect(out.stdout).toMatch(/-h, --help +print this and exit\n/);
    for (const [name, flag] of Object.entries(command?.flags ?? {})) {
      if (flag.hidden === true) continue;
      expect(out.stdout).toContain(flag.type === 'boolean' && flag.negatable === true ? `--[no-]${name}` : `--${name}`);
      const byDefault = flag.defaultText ?? (typeof flag.default === 'string' ? flag.default : undefined);
      if (byDefault !== undefined) expect(out.stdout).toContain(`(default: ${byDefault})`);
    }
  });

  it.each(TOOLS)('%s exits 2 on an unknown flag, naming it, with the usage on stderr', async (script, file) => {
    const out = await spawnCli(file, ['--no-such-flag']);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/^Unknown option '--no-such-flag'/);
    expect(out.stderr).toContain(`Usage: ${script} --`);
    expect(out.stderr).not.toMatch(/\n\s+at /);
  });

  it('shows the defaults the parsers apply, from the same definitions', async () => {
    const loadgen = await spawnCli('loadgen/cli.ts', ['-h']);
    expect(loadgen.stdout).toMatch(/--concurrency N +PutRecords calls in flight \(default: 8\)/);
    expect(loadgen.stdout).toMatch(/--keys N +key cardinality \(default: clickstream 1000, iot 200, logs 40\)/);
    const start = await spawnCli('local/start.ts', ['-h']);
    expect(start.stdout).toMatch(/--kinesis-port PORT +Kinesis emulator \(kinesalite\) port \(default: 4567\)/);
    expect(start.stdout).toMatch(/--\[no-\]load +run the built-in load generator .*\(default: on\)/);
  });
});
