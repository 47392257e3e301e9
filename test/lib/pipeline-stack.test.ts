import { describe, expect, it } from 'vitest';
import { normalizedTemplate, synthPipeline } from '../support/synth';

const PROFILES = [
  ['dev', {}],
  ['prod', { stage: 'prod' }],
  [
    'prod, provisioned, own stream key',
    { stage: 'prod', 'stream.mode': 'provisioned', 'stream.encryption': 'customer-managed' },
  ],
] as const;

describe('PipelineStack', () => {
  it.each(PROFILES)('synthesizes %s with no cdk-nag finding left open in either pack', (_name, context) => {
    const { report } = synthPipeline(context);
    expect(report.pluginReports.map((p) => p.pluginName).sort()).toEqual(['AwsSolutions', 'Serverless']);
    for (const plugin of report.pluginReports) {
      expect(plugin.violations, plugin.pluginName).toEqual([]);
      expect(plugin.conclusion).toBe('success');
      for (const acknowledged of plugin.suppressedViolations) {
        // Each acknowledgement is for one resource and says why.
        expect(acknowledged.violatingConstructs).toHaveLength(1);
        expect(acknowledged.reason.length).toBeGreaterThan(40);
      }
    }
  });

  it('acknowledges only the findings that the design explains', () => {
    const { report } = synthPipeline();
    const acknowledged = report.pluginReports
      .flatMap((p) => p.suppressedViolations)
      .map((v) => `${v.ruleName} @ ${v.violatingConstructs[0].constructPath}`)
      .sort();
    expect(acknowledged).toEqual([
      'AwsSolutions-IAM5[Resource::*] @ StreamingPipeline/Access/ReaderPolicy/Resource',
      'AwsSolutions-IAM5[Resource::*] @ StreamingPipeline/Aggregator/Role/DefaultPolicy/Resource',
      'AwsSolutions-IAM5[Resource::*] @ StreamingPipeline/Backfill/Role/DefaultPolicy/Resource',
      'AwsSolutions-IAM5[Resource::*] @ StreamingPipeline/Backfill/StateMachine/Role/DefaultPolicy/Resource',
      'AwsSolutions-IAM5[Resource::*] @ StreamingPipeline/Search/Delivery/TransformRole/DefaultPolicy/Resource',
      'AwsSolutions-IAM5[Resource::*] @ StreamingPipeline/Search/Domain/SetupRole/DefaultPolicy/Resource',
      'AwsSolutions-IAM5[Resource::<AggregatorDeadLetterBucket5BA31173.Arn>/poison/*] @ StreamingPipeline/Aggregator/Role/DefaultPolicy/Resource',
      'AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/errors/*] @ StreamingPipeline/Archive/Role/DefaultPolicy/Resource',
      'AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/events/*] @ StreamingPipeline/Archive/Role/DefaultPolicy/Resource',
      'AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/events/*] @ StreamingPipeline/Backfill/Role/DefaultPolicy/Resource',
      'AwsSolutions-IAM5[Resource::<ArchiveBucket49F1AC64.Arn>/search-failed/*] @ StreamingPipeline/Search/Delivery/Role/DefaultPolicy/Resource',
      'AwsSolutions-IAM5[Resource::<BackfillFunction19A2381B.Arn>:*] @ StreamingPipeline/Backfill/StateMachine/Role/DefaultPolicy/Resource',
      'AwsSolutions-IAM5[Resource::<SearchDomain9F503D0E.Arn>/*] @ StreamingPipeline/Search/Delivery/Role/DefaultPolicy/Resource',
      'AwsSolutions-IAM5[Resource::<SearchDomain9F503D0E.Arn>/_index_template/*] @ StreamingPipeline/Search/Domain/SetupRole/DefaultPolicy/Resource',
      'AwsSolutions-IAM5[Resource::<SearchDomain9F503D0E.Arn>/_nodes/*/stats] @ StreamingPipeline/Search/Delivery/Role/DefaultPolicy/Resource',
      'AwsSolutions-IAM5[Resource::<SearchDomain9F503D0E.Arn>/_plugins/_security/*] @ StreamingPipeline/Search/Domain/SetupRole/DefaultPolicy/Resource',
      'AwsSolutions-IAM5[Resource::<SearchDomain9F503D0E.Arn>/events*/_mapping/*] @ StreamingPipeline/Search/Delivery/Role/DefaultPolicy/Resource',
      'AwsSolutions-IAM5[Resource::<SearchDomain9F503D0E.Arn>/events*/_stats] @ StreamingPipeline/Search/Delivery/Role/DefaultPolicy/Resource',
      'AwsSolutions-KDF1 @ StreamingPipeline/Archive/DeliveryStream',
      'AwsSolutions-KDF1 @ StreamingPipeline/Search/Delivery/DeliveryStream',
      'AwsSolutions-OS1 @ StreamingPipeline/Search/Domain/Domain/Resource',
      'AwsSolutions-OS3 @ StreamingPipeline/Search/Domain/Domain/Resource',
      'AwsSolutions-OS4 @ StreamingPipeline/Search/Domain/Domain/Resource',
      'AwsSolutions-OS7 @ StreamingPipeline/Search/Domain/Domain/Resource',
      'AwsSolutions-SQS3 @ StreamingPipeline/Aggregator/FailureQueue/Resource',
      'Serverless-LambdaDLQ @ StreamingPipeline/Aggregator/Function/Resource',
      'Serverless-LambdaDLQ @ StreamingPipeline/Backfill/Function/Resource',
      'Serverless-LambdaDLQ @ StreamingPipeline/Search/Delivery/Transform/Resource',
      'Serverless-LambdaDLQ @ StreamingPipeline/Search/Domain/SetupFunction/Resource',
      'Serverless-SQSRedrivePolicy @ StreamingPipeline/Aggregator/FailureQueue/Resource',
    ]);
  });

  it('destroys everything in dev and retains every stateful resource in prod', () => {
    const statefulTypes = [
      'AWS::Kinesis::Stream',
      'AWS::DynamoDB::GlobalTable',
      'AWS::S3::Bucket',
      'AWS::SQS::Queue',
      'AWS::Logs::LogGroup',
    ];
    for (const [context, policy] of [
      [{}, 'Delete'],
      [{ stage: 'prod' }, 'Retain'],
    ] as const) {
      const resources = synthPipeline(context).template.toJSON().Resources as Record<
        string,
        { Type: string; DeletionPolicy?: string }
      >;
      const stateful = Object.entries(resources).filter(([, r]) => statefulTypes.includes(r.Type));
      expect(stateful.length).toBeGreaterThanOrEqual(statefulTypes.length);
      for (const [id, r] of stateful) expect(r.DeletionPolicy ?? 'Delete', id).toBe(policy);
      const autoDelete = Object.values(resources).filter((r) => r.Type === 'Custom::S3AutoDeleteObjects');
      expect(autoDelete).toHaveLength(policy === 'Delete' ? 4 : 0);
    }
  });

  it('outputs what the dashboard, the load generator and an operator need', () => {
    const outputs = Object.keys(synthPipeline().template.toJSON().Outputs as object);
    expect(outputs.sort()).toEqual(
      [
        'AggregatesTableName',
        'ArchiveBucketName',
        'AggregatorFunctionName',
        'AlarmTopicArn',
        'DashboardUrl',
        'AthenaWorkGroup',
        'DeadLetterBucketName',
        'FailureQueueUrl',
        'SearchDeliveryStreamName',
        'SearchDomainEndpoint',
        'StreamArn',
        'StreamName',
        'ByTypeIndex',
        'ProducerPolicyArn',
        'ReaderPolicyArn',
        'RedrivePolicyArn',
        'BackfillStateMachineArn',
        'AggregateTtlDays',
        'ArchiveBufferSeconds',
        'MaxRecordAgeSeconds',
      ].sort(),
    );
  });

  it('hard-codes no physical names; the ones CloudFormation requires are made from the stack name', () => {
    const resources = synthPipeline().template.toJSON().Resources as Record<
      string,
      { Type: string; Properties?: Record<string, unknown> }
    >;
    for (const r of Object.values(resources)) {
      // Athena requires a workgroup name; a saved query's name is its title inside the workgroup.
      if (r.Type === 'AWS::Athena::WorkGroup') expect(r.Properties?.Name).toMatch(/^streamingpipeline_/);
      if (r.Type === 'AWS::Athena::WorkGroup' || r.Type === 'AWS::Athena::NamedQuery') continue;
      // CloudWatch Logs requires a resource policy name, unique in the region.
      if (r.Type === 'AWS::Logs::ResourcePolicy') expect(r.Properties?.PolicyName).toMatch(/^StreamingPipeline-/);
      // Alarm, dashboard and saved-query names are what an operator reads in a notification or
      // the console: each begins with the stack name, so two stages never collide.
      for (const name of ['AlarmName', 'DashboardName']) {
        if (r.Properties?.[name] !== undefined) expect(r.Properties[name]).toMatch(/^StreamingPipeline/);
      }
      if (r.Type === 'AWS::Logs::QueryDefinition') {
        expect(r.Properties?.Name).toMatch(/^StreamingPipeline/);
        continue;
      }
      for (const name of ['TableName', 'BucketName', 'QueueName', 'FunctionName', 'Name', 'LogGroupName', 'RoleName']) {
        const value = r.Properties?.[name];
        if (value !== undefined) expect(typeof value, name).not.toBe('string');
      }
    }
  });

  it('matches the dev snapshot, asset hashes aside', () => {
    expect(normalizedTemplate(synthPipeline().template)).toMatchSnapshot();
  });

  // `cdk synth` without credentials may know the region and not the account: still three zones.
  it.each([{}, { region: 'eu-west-1' }, { account: '123456789012', region: 'eu-west-1' }])(
    'puts the prod search domain in three zones with env %o',
    (env) => {
      const { template } = synthPipeline({ stage: 'prod' }, { env });
      expect(Object.keys(template.findResources('AWS::EC2::Subnet'))).toHaveLength(3);
      template.hasResourceProperties('AWS::OpenSearchService::Domain', {
        ClusterConfig: { ZoneAwarenessConfig: { AvailabilityZoneCount: 3 } },
      });
    },
  );
});
