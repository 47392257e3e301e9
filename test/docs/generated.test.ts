import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { alarmNames } from '../../scripts/docs/alarm-table';
import { blockContent, blockMarkers, MissingBlockError, replaceBetween } from '../../scripts/docs/blocks';
import { configTable, UndocumentedSettingError } from '../../scripts/docs/config-table';
import {
  generateBlocks,
  REFRESH_COMMAND,
  ROOT,
  staleBlocks,
  type Synthesized,
  synthesize,
} from '../../scripts/docs/generate';
import { anchors } from '../../scripts/docs/links';
import { loadConfig } from '../../lib/config';
import { CONFIG_REFERENCE } from '../../lib/config-reference';

describe('generated blocks', () => {
  let synthesized: { profiles: Synthesized[]; options: Synthesized[] };
  beforeAll(() => {
    // Five synths without bundling: under a minute here, several on a busy CI machine.
    synthesized = synthesize();
  }, 900_000);

  it(`every generated block in docs/ is what the code makes now (refresh: ${REFRESH_COMMAND})`, async () => {
    const stale = await staleBlocks(generateBlocks(synthesized));
    expect(stale, `stale generated blocks: ${stale.join(', ')}; run ${REFRESH_COMMAND}`).toEqual([]);
  });

  it('the runbook has one entry per alarm of either profile, and none for an alarm that does not exist', () => {
    const alarms = new Set(synthesized.profiles.flatMap((p) => alarmNames(p.template)));
    expect(alarms.size).toBeGreaterThan(20);
    expect(alarms).toContain('PipelineHealth');
    const operations = readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8');
    const runbook = operations.slice(
      operations.indexOf('\n## Runbook'),
      operations.indexOf('\n## ', operations.indexOf('\n## Runbook') + 1),
    );
    const entries = [...runbook.matchAll(/^### (\w+)$/gm)].map((m) => m[1]);
    expect(new Set(entries).size, 'a runbook entry appears twice').toBe(entries.length);
    expect(new Set(entries)).toEqual(alarms);
    // The alarm table links each alarm to its entry.
    const offered = anchors(operations);
    for (const alarm of alarms) expect(offered).toContain(alarm.toLowerCase());
  });

  it('the alarm table marks the critical alarms and gives both profiles’ thresholds where they differ', () => {
    const table = generateBlocks(synthesized).find((b) => b.name === 'alarms')!.content;
    expect(table).toMatch(/\| ★ \[AggregatorErrors\]\(#aggregatorerrors\) \| AWS\/Lambda `Errors`/);
    expect(table).toMatch(/\| \[PoisonRecords\]\(#poisonrecords\) .*≥ 1 \(dev\), ≥ 10 \(prod\)/);
  });

  it('the IAM tables name each grant’s profile, and the options that add one', () => {
    const iam = generateBlocks(synthesized).find((b) => b.name === 'iam')!.content;
    expect(iam).toContain('| `kinesis:SubscribeToShard` | `IngestAggregatorConsumer` | prod only |');
    expect(iam).toContain('| `kms:Decrypt` | `IngestKey` | with `stream.encryption=customer-managed` |');
    expect(iam).toMatch(/`glue:GetTable`.*with `archive.format=parquet`/);
    expect(iam).not.toMatch(/"Fn::|\{"Ref"/);
  });
});

describe('config reference', () => {
  it('has a row per setting with both profiles’ values', () => {
    const table = configTable();
    expect(table).toContain('| `aggregator.batchSize` | 500 | 1000 | 1..10000 |');
    expect(table).toContain('| `removal` | destroy | retain |');
  });

  it('refuses a setting without a description, naming it', () => {
    const monitoring = { ...CONFIG_REFERENCE.monitoring };
    delete monitoring.cpuUtilizationPercent;
    const partial = { ...CONFIG_REFERENCE, monitoring };
    expect(() => configTable(partial)).toThrow(UndocumentedSettingError);
    expect(() => configTable(partial)).toThrow(/monitoring\.cpuUtilizationPercent/);
  });
});

describe('blocks', () => {
  const markers = blockMarkers('x');

  it('replaces only what lies between the markers', () => {
    const text = `before\n${markers.start}\nold\n${markers.end}\nafter\n`;
    const replaced = replaceBetween(text, markers, 'new', 'f.md');
    expect(replaced).toBe(`before\n${markers.start}\nnew\n${markers.end}\nafter\n`);
    expect(blockContent(replaced, markers)).toBe('\nnew\n');
  });

  it('names the file and the marker when one is missing', () => {
    expect(() => replaceBetween('no markers', markers, 'new', 'docs/f.md')).toThrow(MissingBlockError);
    expect(() => replaceBetween('no markers', markers, 'new', 'docs/f.md')).toThrow(
      /docs\/f\.md: no <!-- gen:x:start -->/,
    );
    expect(blockContent(`${markers.start} only`, markers)).toBeUndefined();
  });
});

describe('config reference against validation', () => {
  const entries = Object.entries(CONFIG_REFERENCE).flatMap(([section, value]) =>
    'allowed' in value
      ? [[section, value.allowed] as const]
      : Object.entries(value as Record<string, { allowed: string }>).map(
          ([f, d]) => [`${section}.${f}`, d.allowed] as const,
        ),
  );
  const load = (key: string, value: unknown): void => {
    loadConfig((name) => ({ stage: 'prod', [key]: value })[name], [key]);
  };
  const refusal = (key: string, value: unknown): string | undefined => {
    try {
      load(key, value);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };

  const ranges = entries.flatMap(([key, allowed]) => {
    const m = /^(\d+)\.\.(\d+)/.exec(allowed);
    return m === null ? [] : [[key, Number(m[1]), Number(m[2])] as const];
  });
  it.each(ranges)('%s: validation refuses just outside %i..%i, and not for the range at its ends', (key, min, max) => {
    for (const outside of [min - 1, max + 1]) expect(refusal(key, outside)).toMatch(new RegExp(`^${key}: `));
    // At the ends only another rule may refuse it (a setting it depends on), never the range.
    for (const end of [min, max]) expect(refusal(key, end) ?? '').not.toMatch(/must be an integer from/);
  });

  const choices = entries.flatMap(([key, allowed]) =>
    /^[a-z-]+(, [a-z-]+)+$/.test(allowed) ? [[key, allowed.split(', ')] as const] : [],
  );
  it.each(choices)('%s: validation takes each of %j and refuses anything else', (key, values) => {
    for (const value of values) expect(refusal(key, value) ?? '').not.toMatch(/must be one of|expected true or false/);
    expect(refusal(key, 'bogus')).toMatch(new RegExp(`^${key}: `));
  });
});
