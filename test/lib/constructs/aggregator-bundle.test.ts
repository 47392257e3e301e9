import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { synthPipeline } from '../../support/synth';

describe('Aggregator bundle', () => {
  it('is one minified esbuild file with a source map that loads and exports the handler', async () => {
    const { outdir, template } = synthPipeline({}, { bundle: true });
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as {
      Properties: { Description?: unknown };
      Metadata: Record<string, string>;
    }[];
    const fn = functions.find(
      (r) => typeof r.Properties.Description === 'string' && r.Properties.Description.startsWith('Kinesis consumer'),
    )!;
    const assetDir = join(outdir, fn.Metadata['aws:asset:path']);
    const bundle = join(assetDir, 'index.js');
    expect(existsSync(join(assetDir, 'index.js.map'))).toBe(true);
    const code = readFileSync(bundle, 'utf8');
    // Minified: a few long lines, not one statement a line.
    expect(code.length / code.split('\n').length).toBeGreaterThan(2_000);
    expect(statSync(bundle).size).toBeLessThan(3 * 1024 * 1024);
    const loaded = (await import(bundle)) as { handler?: unknown; default?: { handler?: unknown } };
    expect(typeof (loaded.handler ?? loaded.default?.handler)).toBe('function');
  });
});
