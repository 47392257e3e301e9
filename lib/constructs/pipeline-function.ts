import * as path from 'node:path';
import { Architecture, Tracing } from 'aws-cdk-lib/aws-lambda';
import { type ICommandHooks, type NodejsFunctionProps, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { DEFAULT_AGGREGATES_FILE } from '../../lambda/shared/declarations';
import { newestNodeRuntime } from './node-runtime';

export const PROJECT_ROOT = path.join(__dirname, '..', '..');

/**
 * What every function of the pipeline shares: its handler under lambda/, the newest Node runtime on
 * arm64, X-Ray, and an esbuild bundle with source maps that includes the SDK, so the function runs
 * the versions package-lock.json pins rather than the runtime's.
 */
export function pipelineFunctionProps(
  handlerPath: string,
): Pick<
  NodejsFunctionProps,
  'entry' | 'handler' | 'projectRoot' | 'depsLockFilePath' | 'runtime' | 'architecture' | 'tracing' | 'bundling'
> {
  return {
    entry: path.join(PROJECT_ROOT, 'lambda', handlerPath),
    handler: 'handler',
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
    runtime: newestNodeRuntime(),
    architecture: Architecture.ARM_64,
    tracing: Tracing.ACTIVE,
    bundling: {
      minify: true,
      sourceMap: true,
      sourcesContent: false,
      format: OutputFormat.CJS,
      externalModules: [],
    },
  };
}

/** Stack traces in the logs point at the TypeScript sources. */
export const SOURCE_MAPS_ENV = { NODE_OPTIONS: '--enable-source-maps' };

/**
 * Bundling hooks that copy the validated declarations file beside the handler, which reads it at
 * start. The asset hash covers the output, so a changed declaration deploys a new version.
 */
export function declarationsHooks(aggregatesFile: string): ICommandHooks {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir: string, outputDir: string) => [
      `cp ${shellQuote(aggregatesFile)} ${shellQuote(`${outputDir}/${DEFAULT_AGGREGATES_FILE}`)}`,
    ],
  };
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}
