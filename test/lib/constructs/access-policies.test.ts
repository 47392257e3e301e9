import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Synthesized, onlyResource, synthPipeline } from '../../support/synth';

const ROOT = join(__dirname, '..', '..', '..');

let dev: Synthesized;
let ownKey: Synthesized;

beforeAll(() => {
  dev = synthPipeline();
  ownKey = synthPipeline({ 'stream.encryption': 'customer-managed', 'aggregates.byTypeIndex': true });
});

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

function policy(
  s: Synthesized,
  prefix: string,
): { id: string; properties: Record<string, unknown>; statements: Statement[] } {
  const { id, properties } = onlyResource(s.template, 'AWS::IAM::ManagedPolicy', prefix);
  return { id, properties, statements: (properties.PolicyDocument as { Statement: Statement[] }).Statement };
}

function id(s: Synthesized, type: string, prefix = ''): string {
  return onlyResource(s.template, type, prefix).id;
}

const arn = (logicalId: string): unknown => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

/** The IAM action each AWS SDK command the CLIs send is authorized as (Service Authorization Reference). */
const ACTION_OF_COMMAND: Record<string, string> = {
  PutRecordsCommand: 'kinesis:PutRecords',
  ListShardsCommand: 'kinesis:ListShards',
  QueryCommand: 'dynamodb:Query',
  ListObjectsV2Command: 's3:ListBucket',
  GetMetricDataCommand: 'cloudwatch:GetMetricData',
  GetQueueAttributesCommand: 'sqs:GetQueueAttributes',
  ReceiveMessageCommand: 'sqs:ReceiveMessage',
  DeleteMessageCommand: 'sqs:DeleteMessage',
  GetShardIteratorCommand: 'kinesis:GetShardIterator',
  GetRecordsCommand: 'kinesis:GetRecords',
  GetItemCommand: 'dynamodb:GetItem',
  UpdateItemCommand: 'dynamodb:UpdateItem',
  PutItemCommand: 'dynamodb:PutItem',
  DescribeStacksCommand: 'cloudformation:DescribeStacks',
};

/**
 * Every `new XCommand(` in the TypeScript files directly under these directories, and every call
 * of the aggregator's ItemClient (`.getItem(` is GetItemCommand's call).
 */
function commandsSent(...dirs: string[]): string[] {
  const found = new Set<string>();
  for (const dir of dirs) {
    for (const file of readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(ROOT, dir, file), 'utf8');
      for (const m of text.matchAll(/new (\w+Command)\(/g)) found.add(m[1]);
      for (const m of text.matchAll(/\.(getItem|putItem|updateItem)\(/g)) {
        found.add(`${m[1][0].toUpperCase()}${m[1].slice(1)}Command`);
      }
    }
  }
  return [...found].sort();
}

function actionsOf(statements: Statement[]): string[] {
  return statements.flatMap((s) => ([] as string[]).concat(s.Action)).sort();
}

describe('Producer policy', () => {
  it('allows putting records and listing shards on the stream, and nothing else, with aws/kinesis', () => {
    expect(policy(dev, 'AccessProducerPolicy').statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['kinesis:ListShards', 'kinesis:PutRecord', 'kinesis:PutRecords'],
        Resource: arn(id(dev, 'AWS::Kinesis::Stream')),
      },
    ]);
  });

  it('adds kms:GenerateDataKey on the stream key, and only that key action, when the key is the stack’s', () => {
    expect(policy(ownKey, 'AccessProducerPolicy').statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['kinesis:ListShards', 'kinesis:PutRecord', 'kinesis:PutRecords'],
        Resource: arn(id(ownKey, 'AWS::Kinesis::Stream')),
      },
      { Effect: 'Allow', Action: 'kms:GenerateDataKey', Resource: arn(id(ownKey, 'AWS::KMS::Key', 'Ingest')) },
    ]);
  });

  it('covers every command the load generator sends, plus PutRecord for one-record producers', () => {
    const sent = commandsSent('loadgen').map((c) => ACTION_OF_COMMAND[c] ?? `unmapped ${c}`);
    expect(sent).toEqual(['kinesis:ListShards', 'kinesis:PutRecords']);
    const kinesisActions = actionsOf(policy(dev, 'AccessProducerPolicy').statements);
    expect(kinesisActions).toEqual([...sent, 'kinesis:PutRecord'].sort());
  });
});

describe('Reader policy', () => {
  function expected(s: Synthesized, queryResource: unknown): Statement[] {
    return [
      { Effect: 'Allow', Action: 'cloudformation:DescribeStacks', Resource: { Ref: 'AWS::StackId' } },
      { Effect: 'Allow', Action: 'dynamodb:Query', Resource: queryResource },
      {
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: arn(id(s, 'AWS::S3::Bucket', 'AggregatorDeadLetterBucket')),
        Condition: { StringEquals: { 's3:prefix': 'poison/' } },
      },
      { Effect: 'Allow', Action: 'sqs:GetQueueAttributes', Resource: arn(id(s, 'AWS::SQS::Queue')) },
      { Effect: 'Allow', Action: 'cloudwatch:GetMetricData', Resource: '*' },
    ];
  }

  it('allows exactly what the dashboard and verify call, each on its resource; metrics, which have no ARN, on *', () => {
    const table = id(dev, 'AWS::DynamoDB::GlobalTable');
    expect(policy(dev, 'AccessReaderPolicy').statements).toEqual(expected(dev, arn(table)));
  });

  it('lets readers query the byType index too when the table has it', () => {
    const table = id(ownKey, 'AWS::DynamoDB::GlobalTable');
    expect(policy(ownKey, 'AccessReaderPolicy').statements).toEqual(
      expected(ownKey, [arn(table), { 'Fn::Join': ['', [arn(table), '/index/byType']] }]),
    );
  });

  it('holds one action per command the dashboard and verify send, and no other', () => {
    const sent = commandsSent('dashboard', 'verify').map((c) => ACTION_OF_COMMAND[c] ?? `unmapped ${c}`);
    expect(actionsOf(policy(dev, 'AccessReaderPolicy').statements)).toEqual(sent.sort());
  });

  it('needs no KMS permission: the table, bucket and queue keys are AWS managed or owned', () => {
    expect(actionsOf(policy(ownKey, 'AccessReaderPolicy').statements).filter((a) => a.startsWith('kms:'))).toEqual([]);
  });
});

describe('Redrive policy', () => {
  function expected(s: Synthesized, extra: Statement[] = []): Statement[] {
    return [
      { Effect: 'Allow', Action: 'cloudformation:DescribeStacks', Resource: { Ref: 'AWS::StackId' } },
      {
        Effect: 'Allow',
        Action: ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'],
        Resource: arn(id(s, 'AWS::SQS::Queue')),
      },
      {
        Effect: 'Allow',
        Action: ['kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'],
        Resource: arn(id(s, 'AWS::Kinesis::Stream')),
      },
      ...extra,
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Resource: arn(id(s, 'AWS::DynamoDB::GlobalTable')),
      },
    ];
  }

  it('allows exactly the queue, stream and table calls of npm run redrive, each on its resource', () => {
    expect(policy(dev, 'AccessRedrivePolicy').statements).toEqual(expected(dev));
  });

  it('adds kms:Decrypt on the stream key, and only that key action, when the key is the stack’s', () => {
    expect(policy(ownKey, 'AccessRedrivePolicy').statements).toEqual(
      expected(ownKey, [
        { Effect: 'Allow', Action: 'kms:Decrypt', Resource: arn(id(ownKey, 'AWS::KMS::Key', 'Ingest')) },
      ]),
    );
  });

  it('holds one action per command redrive sends against a stack, and no other', () => {
    // redrive/ sends the queue and stream calls; its S3 calls read local mode's store, and ListStreams
    // finds a running local mode. The stack's outputs come from dashboard/stack-outputs.ts; the items
    // and registries are written by the aggregator's own stores.
    const localOnly = ['ListStreamsCommand', 'ListObjectsV2Command', 'GetObjectCommand', 'DeleteObjectCommand'];
    const sent = [
      ...commandsSent('redrive').filter((c) => !localOnly.includes(c)),
      'DescribeStacksCommand',
      ...['lambda/aggregator'].flatMap((d) =>
        commandsSent(d).filter((c) => ['GetItemCommand', 'UpdateItemCommand', 'PutItemCommand'].includes(c)),
      ),
    ].map((c) => ACTION_OF_COMMAND[c] ?? `unmapped ${c}`);
    expect(actionsOf(policy(dev, 'AccessRedrivePolicy').statements)).toEqual([...new Set(sent)].sort());
  });
});

describe('Access policies', () => {
  it('are customer managed, attached to nothing and named by CloudFormation', () => {
    for (const prefix of ['AccessProducerPolicy', 'AccessReaderPolicy', 'AccessRedrivePolicy']) {
      const { properties } = policy(dev, prefix);
      expect(Object.keys(properties).sort(), prefix).toEqual(['Description', 'Path', 'PolicyDocument']);
    }
  });

  it('export their ARNs as stack outputs', () => {
    const outputs = dev.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.ProducerPolicyArn.Value).toEqual({ Ref: policy(dev, 'AccessProducerPolicy').id });
    expect(outputs.ReaderPolicyArn.Value).toEqual({ Ref: policy(dev, 'AccessReaderPolicy').id });
    expect(outputs.RedrivePolicyArn.Value).toEqual({ Ref: policy(dev, 'AccessRedrivePolicy').id });
  });

  it('acknowledge one cdk-nag finding, the reader’s metrics grant on *, with its reason', () => {
    const acknowledged = dev.report.pluginReports
      .flatMap((p) => p.suppressedViolations)
      .filter((v) => v.violatingConstructs.some((c) => c.constructPath.startsWith('StreamingPipeline/Access/')));
    expect(acknowledged.map((v) => [v.ruleName, v.violatingConstructs.map((c) => c.constructPath)])).toEqual([
      ['AwsSolutions-IAM5[Resource::*]', ['StreamingPipeline/Access/ReaderPolicy/Resource']],
    ]);
    expect(acknowledged[0].reason).toMatch(/cloudwatch:GetMetricData/);
  });
});
