import { beforeAll, describe, expect, it } from 'vitest';
import { type Synthesized, onlyResource, roleStatements, synthPipeline } from '../../support/synth';

let dev: Synthesized;
let prod: Synthesized;

beforeAll(() => {
  dev = synthPipeline();
  prod = synthPipeline({ stage: 'prod' });
}, 300_000);

function id(s: Synthesized, type: string, prefix: string): string {
  const found = Object.keys(s.template.findResources(type)).filter((k) => k.startsWith(prefix));
  if (found.length !== 1) throw new Error(`expected one ${type} ${prefix}, found ${found.join(', ')}`);
  return found[0];
}

/** The state machine's definition, its CloudFormation references written as `<Logical.Attr>`. */
function definition(s: Synthesized): Record<string, unknown> {
  const { properties } = onlyResource(s.template, 'AWS::StepFunctions::StateMachine', 'Backfill');
  const joined = (properties.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1]
    .map((part) =>
      typeof part === 'string'
        ? part
        : `<${((part as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt'] ?? [(part as { Ref: string }).Ref]).join('.')}>`,
    )
    .join('');
  return JSON.parse(joined) as Record<string, unknown>;
}

describe('Backfill', () => {
  it('fans the slices out with a Map state over the backfill function, ten at a time', () => {
    const fn = id(dev, 'AWS::Lambda::Function', 'BackfillFunction');
    const d = definition(dev) as { StartAt: string; States: Record<string, Record<string, unknown>> };
    expect(d.StartAt).toBe('Slices');
    const map = d.States.Slices;
    expect(map).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.slices',
      MaxConcurrency: 10,
      ItemSelector: {
        'aggregate.$': '$.aggregate',
        'from.$': '$.from',
        'to.$': '$.to',
        'format.$': '$.format',
        'dryRun.$': '$.dryRun',
        'slice.$': '$$.Map.Item.Value',
      },
      End: true,
    });
    const processor = map.ItemProcessor as { StartAt: string; States: Record<string, Record<string, unknown>> };
    const task = processor.States[processor.StartAt];
    expect(task).toMatchObject({
      Type: 'Task',
      Resource: 'arn:<AWS::Partition>:states:::lambda:invoke',
      Parameters: { FunctionName: `<${fn}.Arn>`, 'Payload.$': '$' },
      ResultSelector: expect.objectContaining({ 'written.$': '$.Payload.written', 'deleted.$': '$.Payload.deleted' }),
      End: true,
    });
    // Lambda's transient errors are retried with backoff; a slice's own failure is not.
    expect(task.Retry).toEqual([
      {
        ErrorEquals: [
          'Lambda.ClientExecutionTimeoutException',
          'Lambda.ServiceException',
          'Lambda.AWSLambdaException',
          'Lambda.SdkClientException',
        ],
        IntervalSeconds: 2,
        MaxAttempts: 6,
        BackoffRate: 2,
      },
    ]);
  });

  it('logs every execution event and traces with X-Ray (cdk-nag SF1, SF2)', () => {
    const { properties } = onlyResource(dev.template, 'AWS::StepFunctions::StateMachine', 'Backfill');
    expect(properties.TracingConfiguration).toEqual({ Enabled: true });
    expect(properties.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
  });

  it('gives each slice the most Lambda allows, and a whole vCPU', () => {
    for (const s of [dev, prod]) {
      const { properties } = onlyResource(s.template, 'AWS::Lambda::Function', 'BackfillFunction');
      expect(properties).toMatchObject({ Timeout: 900, MemorySize: 1769, Architectures: ['arm64'] });
      expect((properties.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
        ARCHIVE_BUFFER_SECONDS: '60',
        MAX_RECORD_AGE_SECONDS: s === dev ? '3600' : '86400',
        AGGREGATE_TTL_DAYS: s === dev ? '7' : '90',
      });
    }
  });

  it("gives the function exactly its calls: the archive's events, the table's Query, PutItem and DeleteItem", () => {
    const bucket = id(dev, 'AWS::S3::Bucket', 'ArchiveBucket');
    const table = id(dev, 'AWS::DynamoDB::GlobalTable', 'Aggregates');
    const logs = id(dev, 'AWS::Logs::LogGroup', 'BackfillLogGroup');
    expect(roleStatements(dev.template, id(dev, 'AWS::IAM::Role', 'BackfillRole'))).toEqual([
      { Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: ['*'] },
      { Action: ['s3:ListBucket'], Resource: [{ 'Fn::GetAtt': [bucket, 'Arn'] }] },
      { Action: ['s3:GetObject'], Resource: [{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, '/events/*']] }] },
      {
        Action: ['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:Query'],
        Resource: [{ 'Fn::GetAtt': [table, 'Arn'] }],
      },
      { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [{ 'Fn::GetAtt': [logs, 'Arn'] }] },
    ]);
    const list = Object.values(
      dev.template.findResources('AWS::IAM::Policy') as Record<
        string,
        { Properties: { PolicyDocument: { Statement: { Action: unknown; Condition?: unknown }[] } } }
      >,
    )
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .find((s) => s.Action === 's3:ListBucket' && JSON.stringify(s).includes(bucket));
    expect(list?.Condition).toEqual({ StringLike: { 's3:prefix': ['events/*'] } });
  });

  it('lets the state machine invoke that one function, and log and trace', () => {
    const fn = id(dev, 'AWS::Lambda::Function', 'BackfillFunction');
    const { properties } = onlyResource(dev.template, 'AWS::StepFunctions::StateMachine', 'Backfill');
    const role = (properties.RoleArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    const statements = roleStatements(dev.template, role);
    expect(statements).toContainEqual({
      Action: ['lambda:InvokeFunction'],
      Resource: [{ 'Fn::GetAtt': [fn, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [fn, 'Arn'] }, ':*']] }],
    });
    const others = statements.filter((s) => !s.Action.includes('lambda:InvokeFunction'));
    for (const s of others) {
      expect(s.Resource).toEqual(['*']);
      for (const action of s.Action)
        expect(action).toMatch(
          /^(logs:(\w*LogDelivery|\w*LogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)|xray:\w+)$/,
        );
    }
    expect(statements.flatMap((s) => s.Action).filter((a) => a.startsWith('lambda:'))).toEqual([
      'lambda:InvokeFunction',
    ]);
  });

  it('outputs what npm run backfill -- --stack reads', () => {
    const outputs = dev.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.BackfillStateMachineArn.Value).toEqual({
      Ref: id(dev, 'AWS::StepFunctions::StateMachine', 'Backfill'),
    });
    expect(outputs.AggregateTtlDays.Value).toBe('7');
    expect(outputs.ArchiveBufferSeconds.Value).toBe('60');
    expect(outputs.MaxRecordAgeSeconds.Value).toBe('3600');
  });
});
