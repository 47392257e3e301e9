import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface CliOutcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliProcessOptions {
  /** @default the test's environment */
  readonly env?: NodeJS.ProcessEnv;
  /** Called once the process is started: to signal it, say. */
  readonly onStart?: (child: ChildProcess) => void;
  /** Killed after this long, so that a tool that goes on working cannot outlive the test. @default none */
  readonly timeoutMs?: number;
}

/**
 * Runs a tool of the repository as its npm script does (node --import tsx FILE): tsx's own CLI would
 * sit in between and relay signals with a 30 ms grace, which a busy machine misses, so Ctrl-C would
 * end in a SIGKILL (exit 130).
 */
export function runCli(file: string, args: readonly string[], options: CliProcessOptions = {}): Promise<CliOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
      cwd: ROOT,
      env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...(options.env ?? process.env) },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    options.onStart?.(child);
  });
}
