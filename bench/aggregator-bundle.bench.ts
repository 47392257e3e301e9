import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { aggregatorBundleProps } from '../lib/constructs/aggregator';
import { bundleFileName, esbuildOptions } from '../lib/constructs/esbuild-options';
import { SOURCE_MAPS_ENV } from '../lib/constructs/pipeline-function';
import { DEFAULT_AGGREGATES_FILE } from '../lambda/shared/declarations';
import { PROJECT_AGGREGATES_FILE } from '../lambda/shared/declarations-file';
import { type BenchResult, median } from './harness';

export const BUNDLE_TARGET_BYTES = 300 * 1_024;
export const IMPORT_TARGET_RATIO = 3;

/** Who pays for the bundle's bytes: each input file's package, grouped as the issue asks. */
const PARTS: [name: string, pattern: RegExp][] = [
  // Ours since issue 12 (the SigV4 core, the DynamoDB and S3 calls); the DynamoDB client took 312 KB before.
  [
    'AWS calls (lambda/shared/signed-request.ts, dynamodb-item-client.ts, s3-object-writer.ts)',
    /^lambda\/shared\/(signed-request|dynamodb-item-client|s3-object-writer)\.ts$/,
  ],
  ['any AWS SDK code (@aws-sdk/*, @smithy/*)', /node_modules\/@(aws-sdk|smithy)\//],
  [
    'Powertools (logger, metrics, commons) and its invoke store',
    /node_modules\/@aws(-lambda-powertools|\/lambda-invoke-store)\//,
  ],
  // Ours since issue 12; aws-kinesis-agg, protobufjs and async took 109 KB before.
  ['KPL de-aggregation (lambda/shared/kpl-deaggregate.ts)', /^lambda\/shared\/kpl-deaggregate\.ts$/],
  // Ours since issue 12; @datadog/sketches-js took 30 KB before, and the protobufjs it requires 22 KB.
  [
    'DDSketch mapping (lambda/shared/sketches/logarithmic-mapping.ts)',
    /^lambda\/shared\/sketches\/logarithmic-mapping\.ts$/,
  ],
  ['the project (lambda/)', /^lambda\//],
];

export interface BundleBreakdown {
  readonly bytes: number;
  readonly parts: { readonly name: string; readonly bytes: number }[];
}

/** Bytes of the output by part, from esbuild's metafile; what no part claims is "other". */
export function breakdown(metafile: Metafile): BundleBreakdown {
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint !== undefined);
  if (output === undefined) throw new Error('aggregator bundle benchmark: esbuild reported no entry output');
  const parts = new Map<string, number>([...PARTS.map(([name]) => [name, 0] as [string, number]), ['other', 0]]);
  for (const [file, input] of Object.entries(output.inputs)) {
    const name = PARTS.find(([, pattern]) => pattern.test(file))?.[0] ?? 'other';
    parts.set(name, parts.get(name)! + input.bytesInOutput);
  }
  return { bytes: output.bytes, parts: [...parts].map(([name, bytes]) => ({ name, bytes })) };
}

/** Builds the aggregator as NodejsFunction does, with the declarations file beside it (its afterBundling hook). */
export async function buildAggregatorBundle(dir: string): Promise<{ file: string; breakdown: BundleBreakdown }> {
  const file = join(dir, bundleFileName(aggregatorBundleProps()));
  const result = await build(esbuildOptions(aggregatorBundleProps(), file));
  copyFileSync(PROJECT_AGGREGATES_FILE, join(dir, DEFAULT_AGGREGATES_FILE));
  return { file, breakdown: breakdown(result.metafile) };
}

const IMPORT_TIMER = `
const started = performance.now();
await import(process.argv[1]);
process.stdout.write(String(performance.now() - started));
`;

/** Milliseconds to import `file` in a fresh Node process with the function's NODE_OPTIONS. */
function importMs(file: string): number {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', IMPORT_TIMER, pathToFileURL(file).href], {
    env: { ...process.env, ...SOURCE_MAPS_ENV, AWS_REGION: process.env.AWS_REGION ?? 'us-east-1' },
    encoding: 'utf8',
  });
  return Number(out);
}

/**
 * The aggregator's deployed bundle: its size, what each part costs, and its cold module load
 * against an empty handler's, each round a fresh process for each, back to back; the ratio is
 * the median of the rounds' ratios, so the machine's load from others cancels out.
 */
export async function benchAggregatorBundle(rounds = 9): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'aggregator-bundle-'));
  try {
    const { file, breakdown: b } = await buildAggregatorBundle(dir);
    const empty = join(dir, 'empty.js');
    writeFileSync(empty, 'exports.handler = async () => ({ batchItemFailures: [] });\n');
    const ratios: number[] = [];
    const bundleMs: number[] = [];
    const emptyMs: number[] = [];
    importMs(file);
    for (let i = 0; i < rounds; i++) {
      const e = importMs(empty);
      const a = importMs(file);
      emptyMs.push(e);
      bundleMs.push(a);
      ratios.push(a / e);
    }
    const ratio = median(ratios);
    const kb = (bytes: number): number => bytes / 1_024;
    return [
      {
        id: 'aggregator-bundle.size',
        name: 'aggregator bundle, minified, as NodejsFunction builds it (source map beside it, not counted)',
        value: kb(statSync(file).size),
        unit: 'KB',
        target: `< ${kb(BUNDLE_TARGET_BYTES)} KB`,
        pass: statSync(file).size < BUNDLE_TARGET_BYTES,
      },
      ...b.parts.map((part) => ({
        id: `aggregator-bundle.part.${part.name
          .replace(/[^a-z]+/gi, '-')
          .replace(/^-|-$/g, '')
          .toLowerCase()}`.slice(0, 80),
        name: `aggregator bundle part: ${part.name}`,
        value: kb(part.bytes),
        unit: 'KB',
      })),
      {
        id: 'aggregator-bundle.import-ratio',
        name: `aggregator bundle import over an empty handler's, fresh process each, ${SOURCE_MAPS_ENV.NODE_OPTIONS}`,
        value: median(bundleMs),
        unit: 'ms',
        ratio,
        target: `< ${IMPORT_TARGET_RATIO}`,
        pass: ratio < IMPORT_TARGET_RATIO,
      },
      {
        id: 'aggregator-bundle.empty-import',
        name: 'empty handler import, fresh process each (the baseline above)',
        value: median(emptyMs),
        unit: 'ms',
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
