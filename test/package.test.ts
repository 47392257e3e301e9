import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newestNodeRuntime } from '../lib/constructs/node-runtime';

const ROOT = join(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string }>;
};
const declared = { ...pkg.dependencies, ...pkg.devDependencies };

describe('package.json', () => {
  it('pins every @aws-sdk/* package to one version, so one copy of the shared runtime is bundled', () => {
    const sdk = Object.entries(declared).filter(([name]) => name.startsWith('@aws-sdk/'));
    expect(sdk.length).toBeGreaterThan(0);
    const versions = new Set(sdk.map(([, version]) => version));
    expect(versions.size, `@aws-sdk/* versions: ${sdk.map(([n, v]) => `${n}@${v}`).join(', ')}`).toBe(1);
    expect([...versions][0]).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('installs one copy of the SDK runtime packages (none nested under another package)', () => {
    const nested = Object.keys(lock.packages).filter((path) =>
      /node_modules\/.+\/node_modules\/@(aws-sdk|smithy)\//.test(path),
    );
    expect(nested).toEqual([]);
    for (const runtime of ['@aws-sdk/core', '@smithy/core']) {
      expect(lock.packages[`node_modules/${runtime}`]?.version, runtime).toBeDefined();
    }
  });

  it('develops on the Node major the Lambda functions run: engines, .nvmrc and @types/node', () => {
    const lambdaMajor = /^nodejs(\d+)\.x$/.exec(newestNodeRuntime().name)![1];
    expect(/^>=(\d+)/.exec(pkg.engines.node)?.[1]).toBe(lambdaMajor);
    expect(readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim()).toBe(lambdaMajor);
    expect(declared['@types/node'].split('.')[0]).toBe(lambdaMajor);
  });
});
