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
import { runtimeNode, runtimeNodeMajor } from './runtime-node';

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

/** Milliseconds to import `file` in a fresh process of `node`, with the function's NODE_OPTIONS. */
function importMs(node: string, file: string): number {
  const out = execFileSync(node, ['--input-type=module', '-e', IMPORT_TIMER, pathToFileURL(file).href], {
    env: { ...process.env, ...SOURCE_MAPS_ENV, AWS_REGION: process.env.AWS_REGION ?? 'us-east-1' },
    encoding: 'utf8',
  });
  return Number(out);
}

/** Three handlers imported back to back in each round; medians of ms, and of the per-round ratios. */
function importRounds(
  node: string,
  files: { aggregator: string; empty: string; floor: string },
  rounds: number,
): { aggregatorMs: number; emptyMs: number; floorMs: number; overEmpty: number; overFloor: number } {
  const ms = { aggregator: [] as number[], empty: [] as number[], floor: [] as number[] };
  const overEmpty: number[] = [];
  const overFloor: number[] = [];
  importMs(node, files.aggregator);
  for (let i = 0; i < rounds; i++) {
    const e = importMs(node, files.empty);
    const f = importMs(node, files.floor);
    const a = importMs(node, files.aggregator);
    ms.empty.push(e);
    ms.floor.push(f);
    ms.aggregator.push(a);
    overEmpty.push(a / e);
    overFloor.push(a / f);
  }
  return {
    aggregatorMs: median(ms.aggregator),
    emptyMs: median(ms.empty),
    floorMs: median(ms.floor),
    overEmpty: median(overEmpty),
    overFloor: median(overFloor),
  };
}

/**
 * The aggregator's deployed bundle: its size, what each part costs, and its cold module load,
 * each round a fresh process for each handler, back to back; ratios are the medians of the rounds'
 * ratios, so the machine's load from others cancels out. Two baselines: an empty handler (the
 * issue's), and the floor of any handler that calls AWS, one that only loads node:https and
 * node:crypto. Measured with this machine's Node and, when it differs, with the Lambda runtime's:
 * Node 24 starts its ES module loader before the handler is imported, so an empty handler's import
 * is a few milliseconds there, and the ratio to it says little.
 */
export async function benchAggregatorBundle(rounds = 9): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'aggregator-bundle-'));
  try {
    const { file, breakdown: b } = await buildAggregatorBundle(dir);
    const empty = join(dir, 'empty.js');
    writeFileSync(empty, 'exports.handler = async () => ({ batchItemFailures: [] });\n');
    const floor = join(dir, 'floor.mjs');
    writeFileSync(
      floor,
      "process.getBuiltinModule('node:https');\nprocess.getBuiltinModule('node:crypto');\n" +
        'export const handler = async () => ({ batchItemFailures: [] });\n',
    );
    const files = { aggregator: file, empty, floor };
    const here = importRounds(process.execPath, files, rounds);
    const runtimeMajor = runtimeNodeMajor();
    const runtimeBinary = runtimeNode(runtimeMajor);
    const runtime =
      runtimeBinary === undefined || runtimeBinary === process.execPath
        ? undefined
        : importRounds(runtimeBinary, files, rounds);
    const kb = (bytes: number): number => bytes / 1_024;
    const machine = `Node ${process.versions.node.split('.')[0]}`;
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
        name: `aggregator bundle import over an empty handler's, fresh process each, ${machine}, ${SOURCE_MAPS_ENV.NODE_OPTIONS}`,
        value: here.aggregatorMs,
        unit: 'ms',
        ratio: here.overEmpty,
        target: `< ${IMPORT_TARGET_RATIO}`,
        pass: here.overEmpty < IMPORT_TARGET_RATIO,
      },
      {
        id: 'aggregator-bundle.empty-import',
        name: `empty handler import, fresh process each, ${machine} (the baseline above)`,
        value: here.emptyMs,
        unit: 'ms',
      },
      {
        id: 'aggregator-bundle.import-over-floor',
        name: `aggregator bundle import over a handler that only loads node:https and node:crypto (${here.floorMs.toFixed(1)} ms), ${machine}`,
        value: here.aggregatorMs,
        unit: 'ms',
        ratio: here.overFloor,
      },
      ...(runtime === undefined
        ? []
        : [
            {
              id: 'aggregator-bundle.runtime-import-ratio',
              name: `the same on the Lambda runtime's Node ${runtimeMajor}: over an empty handler's (${runtime.emptyMs.toFixed(1)} ms)`,
              value: runtime.aggregatorMs,
              unit: 'ms',
              ratio: runtime.overEmpty,
              target: `< ${IMPORT_TARGET_RATIO}`,
              pass: runtime.overEmpty < IMPORT_TARGET_RATIO,
            },
            {
              id: 'aggregator-bundle.runtime-import-over-floor',
              name: `the same on Node ${runtimeMajor}: over the node:https and node:crypto floor (${runtime.floorMs.toFixed(1)} ms)`,
              value: runtime.aggregatorMs,
              unit: 'ms',
              ratio: runtime.overFloor,
            },
          ]),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
