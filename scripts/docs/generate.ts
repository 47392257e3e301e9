import { readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { formatReadmeTable, loadMeasured } from '../../cost/cli';
import { synthPipeline } from '../../test/support/synth';
import { alarmTable, type ProfileTemplate } from './alarm-table';
import { blockContent, blockMarkers, formatMarkdown, replaceBetween } from './blocks';
import { configTable } from './config-table';
import { iamTables } from './iam-table';
import { nagTable, type ProfileReport } from './nag-table';
import type { TemplateJson } from './template';

export const ROOT = join(__dirname, '..', '..');

/** The command that rewrites every generated block; the staleness test names it. */
export const REFRESH_COMMAND = 'npm run docs';

/** A block of a Markdown file between `<!-- gen:NAME:start -->` and `<!-- gen:NAME:end -->`, and what belongs there. */
export interface GeneratedBlock {
  readonly file: string;
  readonly name: string;
  readonly content: string;
}

export type Synthesized = ProfileTemplate & ProfileReport;

function synth(profile: string, context: Record<string, unknown>): Synthesized {
  const { template, report } = synthPipeline(context);
  return { profile, template: template.toJSON() as TemplateJson, report };
}

/** The two profiles, then the options that add grants or acknowledgements. */
export function synthesize(): { profiles: Synthesized[]; options: Synthesized[] } {
  return {
    profiles: [synth('dev', { stage: 'dev' }), synth('prod', { stage: 'prod' })],
    options: [
      synth('`stream.encryption=customer-managed`', { 'stream.encryption': 'customer-managed' }),
      synth('`archive.format=parquet`', { 'archive.format': 'parquet' }),
      synth('`monitoring.alarmEmail`', { 'monitoring.alarmEmail': 'oncall@example.com' }),
    ],
  };
}

/** The cost table as `npm run cost -- --table` prints it, from the committed bench/results.json. */
export function costBlock(): string {
  return formatReadmeTable(loadMeasured(), 1_000);
}

/**
 * Every generated block: the alarms (docs/operations.md) and IAM grants (docs/iam.md) from the
 * synthesized templates, the config reference (docs/configuration.md) from lib/config.ts and
 * lib/config-reference.ts, the cost table (docs/cost.md) from the cost model.
 */
export function generateBlocks({ profiles, options } = synthesize()): GeneratedBlock[] {
  return [
    { file: 'docs/operations.md', name: 'alarms', content: alarmTable(profiles) },
    { file: 'docs/configuration.md', name: 'config', content: configTable() },
    { file: 'docs/iam.md', name: 'iam', content: iamTables([...profiles, ...options]) },
    { file: 'docs/iam.md', name: 'nag', content: nagTable([...profiles, ...options]) },
    { file: 'docs/cost.md', name: 'cost', content: costBlock() },
  ];
}

/** Each file with its blocks replaced and formatted as `npm run lint` wants it. */
async function rendered(blocks: readonly GeneratedBlock[]): Promise<Map<string, { before: string; after: string }>> {
  const files = new Map<string, { before: string; after: string }>();
  for (const block of blocks) {
    const path = join(ROOT, block.file);
    const current = files.get(block.file) ?? { before: await readFile(path, 'utf8'), after: '' };
    const base = current.after === '' ? current.before : current.after;
    files.set(block.file, {
      before: current.before,
      after: replaceBetween(base, blockMarkers(block.name), block.content, block.file),
    });
  }
  for (const [file, texts] of files) {
    files.set(file, { before: texts.before, after: await formatMarkdown(texts.after, join(ROOT, file)) });
  }
  return files;
}

/** `file#name` of each block whose text on disk differs from what the code makes now. */
export async function staleBlocks(blocks: readonly GeneratedBlock[]): Promise<string[]> {
  const files = await rendered(blocks);
  return blocks
    .filter((b) => {
      const { before, after } = files.get(b.file)!;
      const markers = blockMarkers(b.name);
      return blockContent(before, markers) !== blockContent(after, markers);
    })
    .map((b) => `${b.file}#${b.name}`);
}

/** Rewrites the files whose blocks changed; returns their paths relative to the project root. */
export async function writeBlocks(blocks: readonly GeneratedBlock[]): Promise<string[]> {
  const written: string[] = [];
  for (const [file, { before, after }] of await rendered(blocks)) {
    if (before === after) continue;
    await writeFile(join(ROOT, file), after);
    written.push(relative(ROOT, join(ROOT, file)));
  }
  return written;
}
