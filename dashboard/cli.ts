import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { explained } from '../cli/aws-errors';
import { type Command, UsageError, parseCommandLine, parseFlags, usage } from '../cli/flags';
import type { Declarations } from '../lambda/shared/declarations';
import { aggregatesOption } from '../loadgen/options';
import { AggregatesReader } from './aggregates-reader';
import type { PipelineStats } from './api';
import { awsStats } from './aws-stats';
import { resolveStack } from './stack-outputs';
import { startDashboardServer } from './server';

export const DASHBOARD: Command = {
  run: 'npm run dashboard --',
  synopsis: ['--stack NAME'],
  about:
    'Serves the dashboard of a deployed stack on 127.0.0.1, reading with your own AWS credentials; local mode (npm start) serves its own.',
  flags: {
    stack: { type: 'string', value: 'NAME', help: 'the deployed stack, e.g. streaming-pipeline-dev (required)' },
    region: { type: 'string', value: 'R', help: 'AWS region', defaultText: "the SDK's: AWS_REGION, or the profile's" },
    profile: { type: 'string', value: 'P', help: "AWS profile, as the AWS CLI's --profile" },
    port: { type: 'string', value: 'PORT', help: 'port on 127.0.0.1', default: '3000' },
    aggregates: {
      type: 'string',
      value: 'PATH',
      help: 'the declarations the stack was deployed with',
      defaultText: "the repository's aggregates.json",
    },
  },
  notes: ['Ctrl-C stops it. Exit 1 when the stack cannot be read, 2 on a usage error.'],
};

export const USAGE = usage(DASHBOARD);

export interface DashboardOptions {
  readonly stack: string;
  readonly region?: string;
  readonly profile?: string;
  readonly port: number;
  /** The declarations the stack was deployed with. */
  readonly declarations: Declarations;
}

export function parseDashboardOptions(argv: readonly string[]): DashboardOptions {
  const values = parseFlags(argv, DASHBOARD.flags);
  const stack = values.stack as string | undefined;
  if (stack === undefined || stack === '')
    throw new UsageError('--stack: required, the deployed stack name (e.g. streaming-pipeline-dev)');
  const rawPort = values.port as string;
  const port = Number(rawPort);
  if (rawPort.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError(`--port: expected a port from 0 to 65535, got "${rawPort}"`);
  const declarations = aggregatesOption(values.aggregates as string | undefined);
  const region = values.region as string | undefined;
  const profile = values.profile as string | undefined;
  return {
    declarations,
    stack,
    ...(region === undefined ? {} : { region }),
    ...(profile === undefined ? {} : { profile }),
    port,
  };
}

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseCommandLine(DASHBOARD, argv, parseDashboardOptions);
  if (!('options' in parsed)) return parsed.exitCode;
  const { options } = parsed;
  // The SDK's credential chain reads the profile from here, like the AWS CLI's --profile.
  if (options.profile !== undefined) process.env.AWS_PROFILE = options.profile;
  const region = options.region === undefined ? {} : { region: options.region };
  const resources = await explained(() => resolveStack(new CloudFormationClient(region), options.stack), {
    resource: `stack "${options.stack}"`,
    flag: '--stack',
    region: options.region,
    action: 'cloudformation:DescribeStacks',
  });
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
