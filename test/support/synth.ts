import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type Environment, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { loadConfig, loadDeclarations } from '../../lib/config';
import { PipelineStack } from '../../lib/pipeline-stack';

export interface Synthesized {
  readonly stack: PipelineStack;
  readonly template: Template;
  readonly outdir: string;
  readonly report: ValidationReport;
}

export interface ValidationReport {
  readonly pluginReports: {
    pluginName: string;
    conclusion: string;
    violations: unknown[];
    suppressedViolations: { ruleName: string; reason: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}

/** The feature flags in cdk.json, which the CLI passes to the app as context. */
const FEATURE_FLAGS = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }
).context;

/**
 * Synthesizes the pipeline as bin/app.ts does, cdk-nag packs included (synth throws on any
 * unacknowledged finding). `bundle: false` skips esbuild, for tests that only read the template.
 */
export function synthPipeline(
  context: Record<string, unknown> = {},
  options: { bundle?: boolean; env?: Environment } = {},
): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'cdk-out-'));
  const app = new App({
    outdir,
    context: {
      ...FEATURE_FLAGS,
      ...context,
      ...(options.bundle === true ? { 'aws:cdk:enable-asset-metadata': true } : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  const config = loadConfig((name) => app.node.tryGetContext(name), Object.keys(context));
  const stack = new PipelineStack(app, 'StreamingPipeline', {
    config,
    declarations: loadDeclarations(config),
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  app.synth();
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
  return { stack, template: Template.fromStack(stack), outdir, report };
}

/** The template with asset hashes replaced, so a snapshot changes only when the infrastructure does. */
export function normalizedTemplate(template: Template): unknown {
  return JSON.parse(JSON.stringify(template.toJSON()).replace(/[0-9a-f]{64}(\.zip)?/g, '<asset-hash>'));
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** The one resource of a type (whose logical id starts with `idPrefix`, if given), failing if there are more or none. */
export function onlyResource(
  template: Template,
  type: string,
  idPrefix = '',
): { id: string; properties: Record<string, unknown> } {
  const found = Object.entries(template.findResources(type) as Resources).filter(([id]) => id.startsWith(idPrefix));
  if (found.length !== 1) throw new Error(`expected one ${type} ${idPrefix}, found ${found.length}`);
  return { id: found[0][0], properties: found[0][1].Properties ?? {} };
}

/** Every statement of the policies attached to a role, with actions (sorted) and resources as arrays. */
export function roleStatements(template: Template, roleLogicalId: string): { Action: string[]; Resource: unknown[] }[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy') as Resources).filter((p) =>
    ((p.Properties?.Roles as { Ref: string }[]) ?? []).some((r) => r.Ref === roleLogicalId),
  );
  return policies.flatMap((p) =>
    ((p.Properties?.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement ?? []).map((s) => ({
      Action: ([] as string[]).concat(s.Action as string | string[]).sort(),
      Resource: ([] as unknown[]).concat(s.Resource),
    })),
  );
}
