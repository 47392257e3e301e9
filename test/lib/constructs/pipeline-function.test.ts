import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Synthesized, synthPipeline } from '../../support/synth';

let synthesized: Synthesized;
beforeAll(() => {
  synthesized = synthPipeline({}, { bundle: true });
});

type LambdaResource = { Properties: { Description?: unknown; Runtime?: string }; Metadata: Record<string, string> };

function bundleOf(description: string): string {
  const functions = Object.values(synthesized.template.findResources('AWS::Lambda::Function')) as LambdaResource[];
  const fn = functions.find(
    (r) => typeof r.Properties.Description === 'string' && r.Properties.Description.startsWith(description),
  );
  if (fn === undefined) throw new Error(`no function described as "${description}"`);
  const dir = join(synthesized.outdir, fn.Metadata['aws:asset:path']);
  return existsSync(join(dir, 'index.mjs')) ? join(dir, 'index.mjs') : join(dir, 'index.js');
}

describe('pipeline function bundles', () => {
  it.each([
    ['aggregator', 'Kinesis consumer'],
    ['search transform', 'Firehose transformation'],
    ['search setup', 'Applies the index template'],
  ])('%s: one minified esbuild file with a source map that loads and exports the handler', async (_, description) => {
    const bundle = bundleOf(description);
    expect(existsSync(`${bundle}.map`)).toBe(true);
    const code = readFileSync(bundle, 'utf8');
    // Minified: a few long lines, not one statement a line.
    expect(code.split('\n').length).toBeLessThan(Math.max(10, code.length / 2_000));
    expect(statSync(bundle).size).toBeLessThan(3 * 1024 * 1024);
    const loaded = (await import(bundle)) as { handler?: unknown; default?: { handler?: unknown } };
    expect(typeof (loaded.handler ?? loaded.default?.handler)).toBe('function');
  });

  it('deploys the aggregator as an ES module, which the runtime imports faster than the same CommonJS', () => {
    expect(bundleOf('Kinesis consumer').endsWith('index.mjs')).toBe(true);
    expect(bundleOf('Firehose transformation').endsWith('index.js')).toBe(true);
  });

  it('bundles the declarations file beside the aggregator, where the handler reads it', () => {
    const bundled = join(bundleOf('Kinesis consumer'), '..', 'aggregates.json');
    expect(readFileSync(bundled, 'utf8')).toBe(
      readFileSync(join(__dirname, '..', '..', '..', 'aggregates.json'), 'utf8'),
    );
  });

  it('the bundled search transform turns a Firehose record into a document', async () => {
    const loaded = (await import(bundleOf('Firehose transformation'))) as {
      handler?: (e: unknown) => Promise<{ records: { result: string; data: string }[] }>;
      default?: { handler: (e: unknown) => Promise<{ records: { result: string; data: string }[] }> };
    };
    const handler = loaded.handler ?? loaded.default!.handler;
    const event = { eventId: 'e1', eventTime: 1_795_427_052_345, type: 'click', key: 'k', value: 2 };
    const out = await handler({
      invocationId: 'i',
      deliveryStreamArn: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/s',
      region: 'us-east-1',
      records: [
        { recordId: 'r1', approximateArrivalTimestamp: 0, data: Buffer.from(JSON.stringify(event)).toString('base64') },
      ],
    });
    expect(out.records[0].result).toBe('Ok');
    expect(JSON.parse(Buffer.from(out.records[0].data, 'base64').toString())).toMatchObject({
      '@timestamp': new Date(event.eventTime).toISOString(),
      type: 'click',
      value: 2,
    });
  });
});
