import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { newestNodeRuntime } from '../../../lib/constructs/node-runtime';
import { type Synthesized, onlyResource, roleStatements, synthPipeline } from '../../support/synth';

let dev: Synthesized;
let prod: Synthesized;
let efo: Synthesized;

beforeAll(() => {
  dev = synthPipeline();
  efo = synthPipeline({ 'aggregator.consumer': 'efo' });
  prod = synthPipeline({
    stage: 'prod',
    'aggregator.partitionKeyIsAggregateKey': true,
    'aggregator.parallelizationFactor': 2,
    // Above a factor of 1, every declaration must group by key (lib/config.ts checks it).
    'aggregates.file': 'test/fixtures/keyed-aggregates.json',
  });
});

function ids(s: Synthesized): Record<string, string> {
  const id = (type: string): string => onlyResource(s.template, type).id;
  return {
    stream: id('AWS::Kinesis::Stream'),
    table: id('AWS::DynamoDB::GlobalTable'),
    queue: id('AWS::SQS::Queue'),
    role: Object.keys(s.template.findResources('AWS::IAM::Role')).find((k) => k.startsWith('AggregatorRole'))!,
    logGroup: Object.keys(s.template.findResources('AWS::Logs::LogGroup')).find((k) =>
      k.startsWith('AggregatorLogGroup'),
    )!,
    deadLetterBucket: Object.keys(s.template.findResources('AWS::S3::Bucket')).find((k) =>
      k.startsWith('AggregatorDeadLetter'),
    )!,
    accessLogsBucket: Object.keys(s.template.findResources('AWS::S3::Bucket')).find((k) => k.startsWith('AccessLogs'))!,
  };
}

describe('Aggregator event source mapping', () => {
  it('has the settings exactly-once processing relies on, from the dev profile', () => {
    const { properties } = onlyResource(dev.template, 'AWS::Lambda::EventSourceMapping');
    const i = ids(dev);
    expect(properties).toEqual({
      FunctionName: { Ref: expect.stringMatching(/^AggregatorFunction/) },
      EventSourceArn: { 'Fn::GetAtt': [i.stream, 'Arn'] },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 1,
      ParallelizationFactor: 1,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 3600,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [i.queue, 'Arn'] } } },
      MetricsConfig: { Metrics: ['EventCount'] },
    });
  });

  it('takes batch and retry settings from the prod profile and its overrides', () => {
    prod.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 1000,
      ParallelizationFactor: 2,
      MaximumRetryAttempts: 100,
      MaximumRecordAgeInSeconds: 86400,
    });
  });

  it('is created after the role policy that lets it read the stream', () => {
    const esm = Object.values(dev.template.findResources('AWS::Lambda::EventSourceMapping'))[0] as {
      DependsOn: string[];
    };
    expect(esm.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^AggregatorRoleDefaultPolicy/)]));
  });
});

describe('Aggregator enhanced fan-out (aggregator.consumer)', () => {
  function consumer(s: Synthesized): { id: string; properties: Record<string, unknown> } {
    return onlyResource(s.template, 'AWS::Kinesis::StreamConsumer');
  }

  it('polls the stream with polling (dev): no consumer, and no consumer permission in the role', () => {
    dev.template.resourceCountIs('AWS::Kinesis::StreamConsumer', 0);
    expect(onlyResource(dev.template, 'AWS::Lambda::EventSourceMapping').properties.EventSourceArn).toEqual({
      'Fn::GetAtt': [ids(dev).stream, 'Arn'],
    });
    const actions = roleStatements(dev.template, ids(dev).role).flatMap((s) => s.Action);
    expect(actions).not.toContain('kinesis:SubscribeToShard');
    expect(actions).not.toContain('kinesis:DescribeStreamConsumer');
  });

  it('reads through a consumer of its own with efo, named from the stack, every other mapping setting unchanged', () => {
    const c = consumer(efo);
    expect(c.properties).toEqual({
      ConsumerName: 'StreamingPipeline-aggregator',
      StreamARN: { 'Fn::GetAtt': [ids(efo).stream, 'Arn'] },
    });
    const mapping = onlyResource(efo.template, 'AWS::Lambda::EventSourceMapping').properties;
    expect(mapping.EventSourceArn).toEqual({ 'Fn::GetAtt': [c.id, 'ConsumerARN'] });
    const polling = onlyResource(dev.template, 'AWS::Lambda::EventSourceMapping').properties;
    expect({ ...mapping, EventSourceArn: undefined }).toEqual({ ...polling, EventSourceArn: undefined });
  });

  it("lets the role subscribe through that consumer only, beside what it already holds: the Lambda guide's list", () => {
    const statements = roleStatements(efo.template, ids(efo).role);
    expect(statements).toContainEqual({
      Action: ['kinesis:SubscribeToShard'],
      Resource: [{ 'Fn::GetAtt': [consumer(efo).id, 'ConsumerARN'] }],
    });
    expect(statements.flatMap((st) => st.Action)).not.toContain('kinesis:DescribeStreamConsumer');
    // The polling role's six statements, unchanged (the stream statement included), plus that one.
    expect(statements).toHaveLength(7);
    expect(statements).toEqual(expect.arrayContaining(roleStatements(dev.template, ids(dev).role)));
  });

  it('reads through enhanced fan-out in the prod profile', () => {
    expect(onlyResource(prod.template, 'AWS::Lambda::EventSourceMapping').properties.EventSourceArn).toEqual({
      'Fn::GetAtt': [consumer(prod).id, 'ConsumerARN'],
    });
  });
});

describe('Aggregator function', () => {
  it('runs the newest Node.js runtime on arm64 with its own log group, tracing and the contract environment', () => {
    const i = ids(dev);
    dev.template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: newestNodeRuntime().name,
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: 60,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: { Ref: i.logGroup } },
      Role: { 'Fn::GetAtt': [i.role, 'Arn'] },
      Environment: {
        Variables: {
          TABLE_NAME: { Ref: i.table },
          DEAD_LETTER_BUCKET: { Ref: i.deadLetterBucket },
          AGGREGATE_TTL_DAYS: '7',
          POWERTOOLS_SERVICE_NAME: 'aggregator',
          POWERTOOLS_METRICS_NAMESPACE: 'StreamingPipeline',
          POWERTOOLS_LOG_LEVEL: 'INFO',
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
    dev.template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    prod.template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });
});

describe('Aggregator role', () => {
  it('holds exactly what the code and the mapping call, each on its own resource', () => {
    const i = ids(dev);
    const statements = roleStatements(dev.template, i.role);
    expect(statements).toEqual(
      expect.arrayContaining([
        {
          Action: [
            'kinesis:DescribeStream',
            'kinesis:DescribeStreamSummary',
            'kinesis:GetRecords',
            'kinesis:GetShardIterator',
            'kinesis:ListShards',
          ],
          Resource: [{ 'Fn::GetAtt': [i.stream, 'Arn'] }],
        },
        {
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          Resource: [{ 'Fn::GetAtt': [i.table, 'Arn'] }],
        },
        {
          Action: ['s3:PutObject'],
          Resource: [{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [i.deadLetterBucket, 'Arn'] }, '/poison/*']] }],
        },
        { Action: ['sqs:SendMessage'], Resource: [{ 'Fn::GetAtt': [i.queue, 'Arn'] }] },
        { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [{ 'Fn::GetAtt': [i.logGroup, 'Arn'] }] },
        { Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: ['*'] },
      ]),
    );
    expect(statements).toHaveLength(6);
    const actions = statements.flatMap((s) => s.Action);
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
  });

  it('has no managed policies and trusts only Lambda', () => {
    const role = dev.template.toJSON().Resources[ids(dev).role];
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
    ]);
  });

  it('may decrypt with the stream key when the stream has a key of its own', () => {
    const s = synthPipeline({ 'stream.encryption': 'customer-managed' });
    const key = onlyResource(s.template, 'AWS::KMS::Key', 'Ingest').id;
    expect(roleStatements(s.template, ids(s).role)).toContainEqual({
      Action: ['kms:Decrypt'],
      Resource: [{ 'Fn::GetAtt': [key, 'Arn'] }],
    });
  });
});

describe('Aggregator failure queue and dead-letter bucket', () => {
  it('encrypts the on-failure queue and refuses non-TLS access to it', () => {
    dev.template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
    dev.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('keeps poison records encrypted, private, TLS-only, logged and expiring', () => {
    const i = ids(dev);
    const bucket = dev.template.toJSON().Resources[i.deadLetterBucket].Properties;
    expect(bucket.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: i.accessLogsBucket },
      LogFilePrefix: 'dead-letter-bucket/',
    });
    expect(bucket.LifecycleConfiguration.Rules).toEqual([
      { AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, ExpirationInDays: 14, Status: 'Enabled' },
    ]);
    dev.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: i.deadLetterBucket },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        ]),
      },
    });
    const prodBucket = prod.template.toJSON().Resources[ids(prod).deadLetterBucket].Properties;
    expect(prodBucket.LifecycleConfiguration.Rules[0].ExpirationInDays).toBe(90);
  });
});
