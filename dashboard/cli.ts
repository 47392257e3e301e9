import { parseArgs } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type Declarations, DeclarationError } from '../lambda/shared/declarations';
import { aggregatesFileOption, loadDeclarationsFile } from '../lambda/shared/declarations-file';
import { AggregatesReader } from './aggregates-reader';
import type { PipelineStats } from './api';
import { awsStats } from './aws-stats';
import { resolveStack } from './stack-outputs';
import { startDashboardServer } from './server';

export const USAGE =
  'Usage: npm run dashboard -- --stack NAME [--region R] [--profile P] [--port 3000] [--aggregates aggregates.json]';

export interface DashboardOptions {
  readonly stack: string;
  readonly region?: string;
  readonly profile?: string;
  readonly port: number;
  /** The declarations the stack was deployed with. */
  readonly declarations: Declarations;
}

export function parseDashboardOptions(argv: readonly string[]): DashboardOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      stack: { type: 'string' },
      region: { type: 'string' },
      profile: { type: 'string' },
      port: { type: 'string' },
      aggregates: { type: 'string' },
    },
  });
  if (values.stack === undefined || values.stack === '')
    throw new Error('--stack: required, the deployed stack name (e.g. streaming-pipeline-dev)');
  const port = values.port === undefined ? 3000 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`--port: expected a port from 0 to 65535, got "${values.port}"`);
  let declarations: Declarations;
  try {
    declarations = loadDeclarationsFile(aggregatesFileOption(values.aggregates));
  } catch (error) {
    if (error instanceof DeclarationError) throw new Error(`--aggregates: ${error.message}`);
    throw error;
  }
  return {
    declarations,
    stack: values.stack,
    ...(values.region === undefined ? {} : { region: values.region }),
    ...(values.profile === undefined ? {} : { profile: values.profile }),
    port,
  };
}

async function main(argv: readonly string[]): Promise<number> {
  let options: DashboardOptions;
  try {
    options = parseDashboardOptions(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  // The SDK's credential chain reads the profile from here, like the AWS CLI's --profile.
  if (options.profile !== undefined) process.env.AWS_PROFILE = options.profile;
  const region = options.region === undefined ? {} : { region: options.region };
  const resources = await resolveStack(new CloudFormationClient(region), options.stack);
  const s3 = new S3Client(region);
  const cloudwatch = new CloudWatchClient(region);
  const sqs = new SQSClient(region);
  const stats = (): Promise<PipelineStats> =>
    awsStats({
      s3,
      cloudwatch,
      sqs,
      stackName: resources.stackName,
      deadLetterBucket: resources.deadLetterBucket,
      ...(resources.failureQueueUrl === undefined ? {} : { failureQueueUrl: resources.failureQueueUrl }),
    });
  const server = await startDashboardServer(
    {
      reader: new AggregatesReader(new DynamoDBClient(region), resources.tableName, {
        byTypeIndex: resources.byTypeIndex,
      }),
      declarations: options.declarations,
      mode: 'aws',
      tableName: resources.tableName,
      stats,
    },
    options.port,
  );
  process.stdout.write(
    `Dashboard for stack ${options.stack} (table ${resources.tableName}) at ${server.url}\n` +
      'It listens on 127.0.0.1 only and reads with your own AWS credentials (dynamodb:Query, s3:ListBucket, cloudwatch:GetMetricData, sqs:GetQueueAttributes). Ctrl-C stops it.\n',
  );
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  await server.close();
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`dashboard: ${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
