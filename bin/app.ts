#!/usr/bin/env node
import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { Declarations } from '../lambda/shared/declarations';
import { ConfigError, type PipelineConfig, loadConfig, loadDeclarations } from '../lib/config';
import { PipelineStack } from '../lib/pipeline-stack';

const app = new App();
let config: PipelineConfig;
let declarations: Declarations;
try {
  config = loadConfig(
    (name) => app.node.tryGetContext(name),
    Object.keys(app.node.getAllContext() as Record<string, unknown>),
  );
  declarations = loadDeclarations(config);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // A config mistake is the user's to fix: say which setting, not where in our code it was found.
  console.error(`Invalid config: ${error.message}`);
  process.exit(1);
}

new PipelineStack(app, 'StreamingPipeline', {
  stackName: `streaming-pipeline-${config.stage}`,
  description: `Serverless streaming analytics pipeline (${config.stage})`,
  config,
  declarations,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Tags.of(app).add('project', 'streaming-analytics-pipeline');
Tags.of(app).add('stage', config.stage);

Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
