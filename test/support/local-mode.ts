import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/emulators';
import { kinesisClient } from '../../loadgen/kinesis-client';
import { parseOptions } from '../../loadgen/options';
import { runLoad } from '../../loadgen/run';

const ROOT = join(__dirname, '..', '..');

export interface Started {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly dashboard: string;
  readonly kinesis: string;
  readonly s3: string;
}

/** `npm start` as a subprocess, every port picked by the OS, read back from what it prints. */
export async function startLocalMode(args: string[]): Promise<Started> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'local/start.ts',
      '--port',
      '0',
      '--kinesis-port',
      '0',
      '--dynamodb-port',
      '0',
      '--s3-port',
      '0',
      ...args,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 60_000;
  while (!/S3\s+http/.test(out) || !/Dashboard\s+http/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm start did not come up:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const find = (label: string): string => new RegExp(`${label}\\s+(http://\\S+)`).exec(out)![1];
  return { child, output: () => out, dashboard: find('Dashboard'), kinesis: find('Kinesis'), s3: find('S3') };
}

/** Ctrl-C, as a user would, and wait for the clean exit. */
export async function stopLocalMode(local: Started): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => local.child.once('exit', resolve));
  local.child.kill('SIGINT');
  return exited;
}

/** The load generator, in-process, into local mode's stream, with the given flags. */
export function sendLoad(local: Started, args: string[]): ReturnType<typeof runLoad> {
  const options = parseOptions(['--stream', 'events', '--endpoint', local.kinesis, ...args], {
    AWS_REGION: LOCAL_REGION,
  });
  return runLoad(options, {
    client: kinesisClient({ endpoint: local.kinesis, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
  });
}
