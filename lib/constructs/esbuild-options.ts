import { type NodejsFunctionProps, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/** The bundling options esbuildOptions maps; commandHooks run around esbuild and do not change its output. */
const MAPPED = new Set([
  'minify',
  'sourceMap',
  'sourcesContent',
  'format',
  'externalModules',
  'mainFields',
  'commandHooks',
  'banner',
]);

/**
 * The esbuild build NodejsFunction runs for these props (aws-cdk-lib's Bundling: `esbuild --bundle
 * <entry> --target=node<major> --platform=node ...`), so a benchmark can measure the bundle that
 * deploys. Throws on a bundling option it does not map rather than measuring something else.
 */
export function esbuildOptions(
  props: Pick<NodejsFunctionProps, 'entry' | 'runtime' | 'bundling'>,
  outfile: string,
): BuildOptions & { metafile: true } {
  if (props.entry === undefined || props.runtime === undefined) {
    throw new Error('esbuildOptions: entry and runtime must be given, as pipelineFunctionProps gives them');
  }
  const bundling = props.bundling ?? {};
  const unmapped = Object.keys(bundling).filter((k) => !MAPPED.has(k));
  if (unmapped.length > 0) throw new Error(`esbuildOptions: bundling option(s) not mapped: ${unmapped.join(', ')}`);
  const major = /^nodejs(\d+)\.x$/.exec(props.runtime.name)?.[1];
  if (major === undefined) throw new Error(`esbuildOptions: not a nodejsNN.x runtime: ${props.runtime.name}`);
  return {
    entryPoints: [props.entry],
    bundle: true,
    outfile,
    target: `node${major}`,
    platform: 'node',
    format: bundling.format,
    minify: bundling.minify ?? false,
    sourcemap: bundling.sourceMap ?? false,
    sourcesContent: bundling.sourcesContent ?? true,
    external: bundling.externalModules ?? [],
    ...(bundling.mainFields === undefined ? {} : { mainFields: bundling.mainFields }),
    ...(bundling.banner === undefined ? {} : { banner: { js: bundling.banner } }),
    metafile: true,
    logLevel: 'warning',
  };
}

/** The file NodejsFunction writes the bundle to: `index.mjs` for an ES module bundle, else `index.js`. */
export function bundleFileName(props: Pick<NodejsFunctionProps, 'bundling'>): string {
  return props.bundling?.format === OutputFormat.ESM ? 'index.mjs' : 'index.js';
}
