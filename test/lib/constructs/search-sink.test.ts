import { App, Stack } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { domainNamePrefix, ec2Arn, nagResource } from '../../../lib/constructs/search-domain';
import { type Synthesized, onlyResource, roleStatements, synthPipeline } from '../../support/synth';

let dev: Synthesized;
let prod: Synthesized;
const READER = 'arn:aws:iam::123456789012:role/analysts';

beforeAll(() => {
  dev = synthPipeline();
  prod = synthPipeline({ stage: 'prod', 'search.readerRoleArn': READER });
});

function id(s: Synthesized, type: string, prefix: string): string {
  const found = Object.keys(s.template.findResources(type)).filter((k) => k.startsWith(prefix));
  if (found.length !== 1) throw new Error(`expected one ${type} ${prefix}, found ${found.join(', ')}`);
  return found[0];
}

const att = (logicalId: string, name = 'Arn'): unknown => ({ 'Fn::GetAtt': [logicalId, name] });
const under = (logicalId: string, path: string): unknown => ({
  'Fn::Join': ['', [att(logicalId), `/${path}`]],
});

interface AccessStatement {
  Effect: string;
  Principal: { AWS: unknown };
  Action: string | string[];
  Resource: unknown;
}

/** The access policy set on the domain resource itself. */
function accessPolicy(s: Synthesized): AccessStatement[] {
  const { properties } = onlyResource(s.template, 'AWS::OpenSearchService::Domain');
  return (properties.AccessPolicies as { Statement: AccessStatement[] }).Statement;
}

/** 12 hex digits of the stack id's UUID: its first two groups. */
const STACK_UUID = { 'Fn::Split': ['-', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }] };
const DOMAIN_NAME = {
  'Fn::Join': ['', ['streamingpipeli-', { 'Fn::Select': [0, STACK_UUID] }, { 'Fn::Select': [1, STACK_UUID] }]],
};
/** The domain's ARN built from that name, `suffix` appended. */
const domainArn = (suffix = ''): unknown => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':es:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ':domain/streamingpipeli-',
      { 'Fn::Select': [0, STACK_UUID] },
      { 'Fn::Select': [1, STACK_UUID] },
      ...(suffix === '' ? [] : [suffix]),
    ],
  ],
});
const ec2 = (type: string, id: unknown): unknown => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':ec2:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:${type}/`,
      id,
    ],
  ],
});
const NETWORK_INTERFACES = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':ec2:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ':network-interface/*',
    ],
  ],
};

describe('SearchDomain', () => {
  it('dev: one t3.small.search data node, gp3 10 GiB, no masters, no zone awareness, public endpoint', () => {
    const { properties } = onlyResource(dev.template, 'AWS::OpenSearchService::Domain');
    expect(properties.ClusterConfig).toEqual({
      InstanceCount: 1,
      InstanceType: 't3.small.search',
      DedicatedMasterEnabled: false,
      MultiAZWithStandbyEnabled: false,
      ZoneAwarenessEnabled: false,
    });
    expect(properties.EBSOptions).toEqual({ EBSEnabled: true, VolumeSize: 10, VolumeType: 'gp3' });
    expect(properties.VPCOptions).toBeUndefined();
    expect(properties.AdvancedSecurityOptions).toBeUndefined();
    expect(dev.template.toJSON().Resources[id(dev, 'AWS::OpenSearchService::Domain', 'Search')].DeletionPolicy).toBe(
      'Delete',
    );
  });

  it('prod: three zones, three dedicated masters, in private subnets of its own VPC, fine-grained access control', () => {
    const { properties } = onlyResource(prod.template, 'AWS::OpenSearchService::Domain');
    expect(properties.ClusterConfig).toEqual({
      InstanceCount: 3,
      InstanceType: 'r7g.large.search',
      DedicatedMasterEnabled: true,
      DedicatedMasterCount: 3,
      DedicatedMasterType: 'm7g.large.search',
      MultiAZWithStandbyEnabled: false,
      ZoneAwarenessEnabled: true,
      ZoneAwarenessConfig: { AvailabilityZoneCount: 3 },
    });
    expect(properties.EBSOptions).toEqual({ EBSEnabled: true, VolumeSize: 100, VolumeType: 'gp3' });
    const subnets = Object.entries(prod.template.findResources('AWS::EC2::Subnet'));
    expect(subnets).toHaveLength(3);
    expect(subnets.map(([, s]) => (s.Properties as { AvailabilityZone: unknown }).AvailabilityZone)).toEqual(
      [0, 1, 2].map((i) => ({ 'Fn::Select': [i, { 'Fn::GetAZs': '' }] })),
    );
    expect(properties.VPCOptions).toEqual({
      SubnetIds: subnets.map(([subnet]) => ({ Ref: subnet })),
      SecurityGroupIds: [att(id(prod, 'AWS::EC2::SecurityGroup', 'SearchDomainDomainSecurityGroup'), 'GroupId')],
    });
    // Isolated subnets, no NAT: the only way out is the S3 gateway endpoint the setup function answers through.
    expect(prod.template.findResources('AWS::EC2::NatGateway')).toEqual({});
    expect(prod.template.findResources('AWS::EC2::InternetGateway')).toEqual({});
    prod.template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' });
    prod.template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL' });
    expect(properties.AdvancedSecurityOptions).toEqual({
      Enabled: true,
      InternalUserDatabaseEnabled: false,
      MasterUserOptions: { MasterUserARN: att(id(prod, 'AWS::IAM::Role', 'SearchDomainSetupRole')) },
    });
    expect(prod.template.toJSON().Resources[id(prod, 'AWS::OpenSearchService::Domain', 'Search')].DeletionPolicy).toBe(
      'Retain',
    );
  });

  it('prod: keeps what a retained domain still uses, and the S3 route until the setup has answered', () => {
    const resources = prod.template.toJSON().Resources as Record<
      string,
      { Type: string; DeletionPolicy?: string; DependsOn?: string[] }
    >;
    const kept = Object.entries(resources).filter(
      ([id, r]) =>
        [
          'AWS::EC2::VPC',
          'AWS::EC2::Subnet',
          'AWS::EC2::RouteTable',
          'AWS::EC2::SecurityGroup',
          'AWS::EC2::VPCEndpoint',
        ].includes(r.Type) || id.startsWith('SearchDomainSetupRole'),
    );
    expect(kept.length).toBeGreaterThanOrEqual(9);
    for (const [logicalId, r] of kept) expect(r.DeletionPolicy, logicalId).toBe('Retain');
    const setup = id(prod, 'Custom::SearchSetup', 'Search');
    expect(resources[setup].DependsOn).toEqual(expect.arrayContaining([id(prod, 'AWS::EC2::VPCEndpoint', 'Search')]));
    prod.template.hasResourceProperties('AWS::Lambda::Function', {
      Role: att(id(prod, 'AWS::IAM::Role', 'SearchDomainSetupRole')),
      Timeout: 900,
    });
  });

  it.each([
    ['dev', () => dev],
    ['prod', () => prod],
  ])(
    '%s: the log resource policy goes with the stack, under a name a redeploy after cdk destroy can take again',
    (_, s) => {
      const t = s();
      const policyId = id(t, 'AWS::Logs::ResourcePolicy', 'SearchDomain');
      const policy = (t.template.toJSON().Resources as Record<string, Record<string, unknown>>)[policyId];
      // It holds no data, and an account keeps at most 10 per Region: a retained one would keep a slot
      // and, under this name, block the next deploy of the stack.
      expect(policy.DeletionPolicy).toBe('Delete');
      expect(policy.UpdateReplacePolicy).toBe('Delete');
      expect((policy.Properties as { PolicyName: unknown }).PolicyName).toMatch(
        /^StreamingPipeline-[0-9a-f]{8}-search-logs$/,
      );
      // The domain's log groups, which hold the logs, follow the stack's removal policy.
      const groups = Object.values(
        onlyResource(t.template, 'AWS::OpenSearchService::Domain').properties.LogPublishingOptions as Record<
          string,
          { CloudWatchLogsLogGroupArn: { 'Fn::GetAtt': [string, string] } }
        >,
      ).map((o) => o.CloudWatchLogsLogGroupArn['Fn::GetAtt'][0]);
      for (const g of groups) {
        expect((t.template.toJSON().Resources as Record<string, { DeletionPolicy: string }>)[g].DeletionPolicy).toBe(
          t === prod ? 'Retain' : 'Delete',
        );
      }
    },
  );

  it('admits HTTPS to the domain only from its clients in the VPC', () => {
    const domainSg = id(prod, 'AWS::EC2::SecurityGroup', 'SearchDomainDomainSecurityGroup');
    const clientSg = id(prod, 'AWS::EC2::SecurityGroup', 'SearchDomainClientSecurityGroup');
    const ingress = Object.values(prod.template.findResources('AWS::EC2::SecurityGroupIngress')).map(
      (r) => r.Properties as Record<string, unknown>,
    );
    expect(ingress).toEqual([
      expect.objectContaining({
        GroupId: att(domainSg, 'GroupId'),
        SourceSecurityGroupId: att(clientSg, 'GroupId'),
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
      }),
    ]);
  });

  it.each([
    ['dev', () => dev],
    ['prod', () => prod],
  ])('%s: encrypts at rest and between nodes, HTTPS with TLS 1.2+ only, slow and error logs in CloudWatch', (_, s) => {
    const t = s();
    const { properties } = onlyResource(t.template, 'AWS::OpenSearchService::Domain');
    expect(properties.EncryptionAtRestOptions).toEqual({ Enabled: true });
    expect(properties.NodeToNodeEncryptionOptions).toEqual({ Enabled: true });
    expect(properties.DomainEndpointOptions).toEqual({
      EnforceHTTPS: true,
      TLSSecurityPolicy: 'Policy-Min-TLS-1-2-PFS-2023-10',
    });
    expect(properties.EngineVersion).toBe('OpenSearch_2.19');
    const logs = properties.LogPublishingOptions as Record<
      string,
      { Enabled: boolean; CloudWatchLogsLogGroupArn: unknown }
    >;
    expect(Object.keys(logs).sort()).toEqual(['ES_APPLICATION_LOGS', 'INDEX_SLOW_LOGS', 'SEARCH_SLOW_LOGS']);
    const groups = Object.values(logs).map((l) => l.CloudWatchLogsLogGroupArn);
    // The service may write only to these groups, and only for this account.
    const policy = JSON.stringify(onlyResource(t.template, 'AWS::Logs::ResourcePolicy').properties);
    for (const g of groups) expect(policy).toContain(JSON.stringify(g));
    expect(policy).toContain('es.amazonaws.com');
    expect(policy).toContain('aws:SourceAccount');
    // No custom resource just for the log policy: the native resource does it.
    expect(t.template.findResources('Custom::CloudwatchLogResourcePolicy')).toEqual({});
  });

  it('sets the access policy on the domain itself: the pipeline roles only, on the ARN of its own name', () => {
    for (const s of [dev, prod]) {
      const setupRole = att(id(s, 'AWS::IAM::Role', 'SearchDomainSetupRole'));
      const deliveryRole = att(id(s, 'AWS::IAM::Role', 'SearchDeliveryRole'));
      const { properties } = onlyResource(s.template, 'AWS::OpenSearchService::Domain');
      expect(properties.DomainName).toEqual(DOMAIN_NAME);
      expect(properties.AccessPolicies).toMatchObject({ Version: '2012-10-17' });
      expect(accessPolicy(s)).toEqual([
        { Effect: 'Allow', Principal: { AWS: setupRole }, Action: 'es:ESHttpPut', Resource: domainArn('/*') },
        ...(s === prod
          ? [
              {
                Effect: 'Allow',
                Principal: { AWS: READER },
                Action: ['es:ESHttpGet', 'es:ESHttpHead'],
                Resource: domainArn('/*'),
              },
              {
                Effect: 'Allow',
                Principal: { AWS: READER },
                Action: 'es:ESHttpPost',
                Resource: [domainArn('/events-*/_count'), domainArn('/events-*/_search')],
              },
            ]
          : []),
        {
          Effect: 'Allow',
          Principal: { AWS: deliveryRole },
          Action: ['es:ESHttpGet', 'es:ESHttpPost', 'es:ESHttpPut'],
          Resource: [domainArn('/*'), domainArn()],
        },
      ]);
      expect(JSON.stringify(accessPolicy(s))).not.toMatch(/"\*"|"AWS":"\*"/);
    }
  });

  it.each([
    ['dev', () => dev],
    ['prod', () => prod],
  ])('%s: no custom resource or provider function sets the access policy after the domain exists', (_, s) => {
    const t = s();
    expect(t.template.findResources('Custom::OpenSearchAccessPolicy')).toEqual({});
    const resources = t.template.toJSON().Resources as Record<string, { Type: string }>;
    // The AwsCustomResource singleton provider (its UUID without dashes) and anything of it.
    expect(Object.keys(resources).filter((k) => k.startsWith('AWS679f53fac002430cb0da5b7982bd2287'))).toEqual([]);
    // Nor does anything acknowledge findings on such a provider any more.
    const acknowledged = t.report.pluginReports.flatMap((p) => p.suppressedViolations);
    expect(acknowledged.filter((v) => v.violatingConstructs.some((c) => c.constructPath.includes('AWS679f')))).toEqual(
      [],
    );
  });

  it('names the domain from the stack: a prefix of its name and 12 hex digits of its id, 28 characters at most', () => {
    expect(domainNamePrefix('streaming-pipeline-prod')).toBe('streaming-pipel');
    expect(domainNamePrefix('StreamingPipeline')).toBe('streamingpipeli');
    expect(domainNamePrefix('My_Stack.v2')).toBe('my-stack-v2');
    expect(domainNamePrefix('42-search--')).toBe('search');
    expect(domainNamePrefix('2024')).toBe('search');
    expect(domainNamePrefix('ab-cdefghijklm-opqrs')).toBe('ab-cdefghijklm');
    for (const name of ['streaming-pipeline-prod', 'x', 'A'.repeat(200), 'a-b-c-d-e-f-g-h-i-j']) {
      const prefix = domainNamePrefix(name);
      // OpenSearch's rule for the whole name, with the dash and 12 hex digits that follow.
      expect(`${prefix}-0123456789ab`).toMatch(/^[a-z][a-z0-9-]{2,27}$/);
      expect(prefix).not.toMatch(/-$/);
    }
  });

  it('applies the index template (and, with fine-grained access control, the role mappings) before delivery starts', () => {
    for (const [s, fgac, reader] of [
      [dev, 'false', ''],
      [prod, 'true', READER],
    ] as const) {
      const setup = onlyResource(s.template, 'Custom::SearchSetup');
      expect(setup.properties).toEqual({
        ServiceToken: att(id(s, 'AWS::Lambda::Function', 'SearchDomainSetupFunction')),
        // Above the function's 15 minutes, below CloudFormation's default hour.
        ServiceTimeout: '960',
        Endpoint: att(id(s, 'AWS::OpenSearchService::Domain', 'Search'), 'DomainEndpoint'),
        FineGrainedAccessControl: fgac,
        WriterRoleArn: att(id(s, 'AWS::IAM::Role', 'SearchDeliveryRole')),
        ReaderRoleArn: reader,
        Shards: fgac === 'true' ? '3' : '1',
        Replicas: fgac === 'true' ? '1' : '0',
      });
      const resources = s.template.toJSON().Resources as Record<string, { DependsOn?: string[] }>;
      // After the domain, whose own AccessPolicies name the setup role.
      expect(resources[setup.id].DependsOn).toEqual(
        expect.arrayContaining([id(s, 'AWS::OpenSearchService::Domain', 'Search')]),
      );
      expect(resources[id(s, 'AWS::KinesisFirehose::DeliveryStream', 'Search')].DependsOn).toEqual(
        expect.arrayContaining([setup.id]),
      );
    }
  });

  it('gives the setup function PUT on the template and security paths only', () => {
    const domain = id(dev, 'AWS::OpenSearchService::Domain', 'Search');
    const statements = roleStatements(dev.template, id(dev, 'AWS::IAM::Role', 'SearchDomainSetupRole'));
    expect(statements).toEqual([
      {
        Action: ['es:ESHttpPut'],
        Resource: [under(domain, '_index_template/*'), under(domain, '_plugins/_security/*')],
      },
      { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [expect.anything()] },
      { Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: ['*'] },
    ]);
    const prodStatements = roleStatements(prod.template, id(prod, 'AWS::IAM::Role', 'SearchDomainSetupRole'));
    const subnets = Object.keys(prod.template.findResources('AWS::EC2::Subnet')).map((k) => ({ Ref: k }));
    const clientSg = att(id(prod, 'AWS::EC2::SecurityGroup', 'SearchDomainClientSecurityGroup'), 'GroupId');
    // Lambda's network interface actions on the stack's subnets, security group and network
    // interfaces; only the Describe actions, which take no resource, share "*" with X-Ray.
    expect(prodStatements.filter((st) => st.Action.some((a) => a.startsWith('ec2:') || a.startsWith('xray:')))).toEqual(
      [
        {
          Action: ['ec2:CreateNetworkInterface'],
          Resource: [NETWORK_INTERFACES, ec2('security-group', clientSg), ...subnets.map((s) => ec2('subnet', s))],
        },
        {
          Action: ['ec2:AssignPrivateIpAddresses', 'ec2:DeleteNetworkInterface', 'ec2:UnassignPrivateIpAddresses'],
          Resource: [NETWORK_INTERFACES],
        },
        {
          Action: [
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'xray:PutTelemetryRecords',
            'xray:PutTraceSegments',
          ],
          Resource: ['*'],
        },
      ],
    );
    prod.template.hasResourceProperties('AWS::Lambda::Function', {
      Role: att(id(prod, 'AWS::IAM::Role', 'SearchDomainSetupRole')),
      VpcConfig: {
        SecurityGroupIds: [att(id(prod, 'AWS::EC2::SecurityGroup', 'SearchDomainClientSecurityGroup'), 'GroupId')],
      },
    });
  });
});

describe('SearchDelivery', () => {
  it('reads the stream, transforms, writes the daily events index, and backs failures up under search-failed/', () => {
    const { properties } = onlyResource(dev.template, 'AWS::KinesisFirehose::DeliveryStream', 'Search');
    const role = att(id(dev, 'AWS::IAM::Role', 'SearchDeliveryRole'));
    expect(properties.DeliveryStreamType).toBe('KinesisStreamAsSource');
    expect(properties.KinesisStreamSourceConfiguration).toEqual({
      KinesisStreamARN: att(id(dev, 'AWS::Kinesis::Stream', 'Ingest')),
      RoleARN: role,
    });
    expect(properties.AmazonopensearchserviceDestinationConfiguration).toMatchObject({
      DomainARN: att(id(dev, 'AWS::OpenSearchService::Domain', 'Search')),
      IndexName: 'events',
      IndexRotationPeriod: 'OneDay',
      RoleARN: role,
      BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 60 },
      RetryOptions: { DurationInSeconds: 300 },
      S3BackupMode: 'FailedDocumentsOnly',
      S3Configuration: {
        BucketARN: att(id(dev, 'AWS::S3::Bucket', 'ArchiveBucket')),
        RoleARN: role,
        Prefix: 'search-failed/',
        ErrorOutputPrefix:
          'search-failed/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/',
        CompressionFormat: 'GZIP',
      },
      ProcessingConfiguration: {
        Enabled: true,
        Processors: [
          {
            Type: 'Lambda',
            Parameters: [
              {
                ParameterName: 'LambdaArn',
                ParameterValue: att(id(dev, 'AWS::Lambda::Function', 'SearchDeliveryTransform')),
              },
              { ParameterName: 'NumberOfRetries', ParameterValue: '3' },
            ],
          },
        ],
      },
      CloudWatchLoggingOptions: { Enabled: true },
    });
    expect(
      (properties.AmazonopensearchserviceDestinationConfiguration as Record<string, unknown>).VpcConfiguration,
    ).toBe(undefined);
  });

  it('takes its retry duration and buffering from config, and delivers into the VPC in prod', () => {
    const s = synthPipeline({
      stage: 'prod',
      'search.retrySeconds': 900,
      'search.bufferSeconds': 120,
      'search.bufferMiB': 10,
    });
    const dest = onlyResource(s.template, 'AWS::KinesisFirehose::DeliveryStream', 'Search').properties
      .AmazonopensearchserviceDestinationConfiguration as Record<string, unknown>;
    expect(dest.RetryOptions).toEqual({ DurationInSeconds: 900 });
    expect(dest.BufferingHints).toEqual({ SizeInMBs: 10, IntervalInSeconds: 120 });
    expect(dest.VpcConfiguration).toEqual({
      RoleARN: att(id(s, 'AWS::IAM::Role', 'SearchDeliveryRole')),
      SubnetIds: Object.keys(s.template.findResources('AWS::EC2::Subnet')).map((k) => ({ Ref: k })),
      SecurityGroupIds: [att(id(s, 'AWS::EC2::SecurityGroup', 'SearchDomainClientSecurityGroup'), 'GroupId')],
    });
  });

  it('gives its role exactly the documented actions for a Kinesis source, an S3 backup and an OpenSearch destination', () => {
    const domain = id(dev, 'AWS::OpenSearchService::Domain', 'Search');
    const bucket = id(dev, 'AWS::S3::Bucket', 'ArchiveBucket');
    const transform = id(dev, 'AWS::Lambda::Function', 'SearchDeliveryTransform');
    const statements = roleStatements(dev.template, id(dev, 'AWS::IAM::Role', 'SearchDeliveryRole'));
    expect(statements).toEqual([
      {
        Action: ['kinesis:DescribeStream', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'],
        Resource: [att(id(dev, 'AWS::Kinesis::Stream', 'Ingest'))],
      },
      { Action: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'], Resource: [att(bucket)] },
      {
        Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
        Resource: [under(bucket, 'search-failed/*')],
      },
      {
        Action: ['es:DescribeDomain', 'es:DescribeDomainConfig', 'es:DescribeDomains', 'es:ESHttpPost', 'es:ESHttpPut'],
        Resource: [att(domain), under(domain, '*')],
      },
      {
        Action: ['es:ESHttpGet'],
        Resource: [
          '',
          '_all/_settings',
          '_cluster/stats',
          '_nodes',
          '_nodes/*/stats',
          '_nodes/stats',
          '_stats',
          'events*/_mapping/*',
          'events*/_stats',
        ].map((p) => under(domain, p)),
      },
      {
        Action: ['lambda:GetFunctionConfiguration', 'lambda:InvokeFunction'],
        Resource: [att(transform), { 'Fn::Join': ['', [att(transform), ':$LATEST']] }],
      },
      { Action: ['logs:PutLogEvents'], Resource: [expect.anything(), expect.anything()] },
    ]);
    expect(JSON.stringify(statements)).not.toMatch(/DeleteObject|s3:\*|kms:\*|es:\*|"\*"/);
  });

  it('runs the transform as its own function with only its log group, newest runtime on arm64', () => {
    const transform = id(dev, 'AWS::Lambda::Function', 'SearchDeliveryTransform');
    const fn = dev.template.toJSON().Resources[transform].Properties;
    expect(fn.Architectures).toEqual(['arm64']);
    expect(fn.Runtime).toBe(
      dev.template.toJSON().Resources[id(dev, 'AWS::Lambda::Function', 'AggregatorFunction')].Properties.Runtime,
    );
    expect(fn.Environment.Variables.WINDOW_SECONDS).toBe('60');
    const statements = roleStatements(dev.template, id(dev, 'AWS::IAM::Role', 'SearchDeliveryTransformRole'));
    expect(statements.map((s) => s.Action)).toEqual([
      ['logs:CreateLogStream', 'logs:PutLogEvents'],
      ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
    ]);
  });

  it('acknowledges KDF1 on this stream: a Kinesis-sourced delivery stream cannot have its own encryption', () => {
    const suppressed = dev.report.pluginReports.flatMap((r) => r.suppressedViolations);
    const kdf1 = suppressed.filter((v) => v.ruleName.endsWith('KDF1'));
    expect(kdf1.flatMap((v) => v.violatingConstructs.map((c) => c.constructPath)).sort()).toEqual([
      'StreamingPipeline/Archive/DeliveryStream',
      'StreamingPipeline/Search/Delivery/DeliveryStream',
    ]);
  });
});

describe('search.enabled', () => {
  it('off removes the domain, its delivery, its functions and outputs', () => {
    const s = synthPipeline({ 'search.enabled': false });
    expect(s.template.findResources('AWS::OpenSearchService::Domain')).toEqual({});
    expect(Object.keys(s.template.findResources('AWS::KinesisFirehose::DeliveryStream'))).toEqual([
      id(s, 'AWS::KinesisFirehose::DeliveryStream', 'Archive'),
    ]);
    expect(
      Object.keys(s.template.findResources('AWS::Lambda::Function')).filter((k) => k.startsWith('Search')),
    ).toEqual([]);
    expect(Object.keys(s.template.findOutputs('*')).filter((k) => k.startsWith('Search'))).toEqual([]);
  });
});

describe('search.createServiceLinkedRole', () => {
  it('is off in both profiles: no service-linked role in either template', () => {
    for (const s of [dev, prod]) expect(s.template.findResources('AWS::IAM::ServiceLinkedRole')).toEqual({});
  });

  it('on, creates OpenSearch Service’s role before the domain and keeps it when the stack goes', () => {
    const s = synthPipeline({ stage: 'prod', 'search.createServiceLinkedRole': true });
    const slr = onlyResource(s.template, 'AWS::IAM::ServiceLinkedRole');
    expect(slr.properties.AWSServiceName).toBe('opensearchservice.amazonaws.com');
    const resources = s.template.toJSON().Resources as Record<
      string,
      { DependsOn?: string[]; DeletionPolicy?: string; UpdateReplacePolicy?: string }
    >;
    expect(resources[id(s, 'AWS::OpenSearchService::Domain', 'Search')].DependsOn).toEqual(
      expect.arrayContaining([slr.id]),
    );
    // The account's, shared by every VPC domain in it.
    expect(resources[slr.id].DeletionPolicy).toBe('Retain');
    expect(resources[slr.id].UpdateReplacePolicy).toBe('Retain');
  });

  it('is refused for a public domain, which does not use the role', () => {
    expect(() => synthPipeline({ 'search.createServiceLinkedRole': true })).toThrow(
      /^search\.createServiceLinkedRole: only a domain in a VPC needs/,
    );
  });
});

describe('EC2 network interface permissions', () => {
  /** Every Allow statement of every identity policy in the template. */
  function allStatements(s: Synthesized): { policy: string; Action: string[]; Resource: unknown[] }[] {
    return Object.entries(s.template.findResources('AWS::IAM::Policy')).flatMap(([policy, p]) =>
      ((p.Properties as { PolicyDocument: { Statement: Record<string, unknown>[] } }).PolicyDocument.Statement ?? [])
        .filter((st) => st.Effect === 'Allow')
        .map((st) => ({
          policy,
          Action: ([] as string[]).concat(st.Action as string | string[]),
          Resource: ([] as unknown[]).concat(st.Resource),
        })),
    );
  }

  it.each([
    ['dev', () => dev],
    ['prod', () => prod],
  ])('%s: no role has an EC2 action other than Describe* on "*"', (_, s) => {
    const onStar = allStatements(s())
      .filter((st) => st.Resource.includes('*'))
      .flatMap((st) => st.Action.filter((a) => a.startsWith('ec2:')).map((a) => `${st.policy} ${a}`));
    expect(onStar.filter((a) => !/ ec2:Describe[A-Za-z]+$/.test(a) || a.endsWith('ec2:DescribeVpcAttribute'))).toEqual(
      [],
    );
  });

  it('prod: the Firehose role has exactly the eight documented VPC actions, scoped where IAM allows', () => {
    const statements = roleStatements(prod.template, id(prod, 'AWS::IAM::Role', 'SearchDeliveryRole')).filter((st) =>
      st.Action.some((a) => a.startsWith('ec2:')),
    );
    const subnets = Object.keys(prod.template.findResources('AWS::EC2::Subnet')).map((k) => ({ Ref: k }));
    const clientSg = att(id(prod, 'AWS::EC2::SecurityGroup', 'SearchDomainClientSecurityGroup'), 'GroupId');
    expect(statements).toEqual([
      {
        Action: [
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeSubnets',
          'ec2:DescribeVpcs',
        ],
        Resource: ['*'],
      },
      {
        Action: ['ec2:DescribeVpcAttribute'],
        Resource: [ec2('vpc', { Ref: id(prod, 'AWS::EC2::VPC', 'SearchDomainVpc') })],
      },
      {
        Action: ['ec2:CreateNetworkInterface'],
        Resource: [NETWORK_INTERFACES, ec2('security-group', clientSg), ...subnets.map((s) => ec2('subnet', s))],
      },
      {
        Action: ['ec2:CreateNetworkInterfacePermission', 'ec2:DeleteNetworkInterface'],
        Resource: [NETWORK_INTERFACES],
      },
    ]);
    // The Firehose developer guide's list for an OpenSearch Service destination in a VPC, no more.
    expect(statements.flatMap((st) => st.Action).sort()).toEqual(
      [
        'ec2:DescribeVpcs',
        'ec2:DescribeVpcAttribute',
        'ec2:DescribeSubnets',
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeNetworkInterfaces',
        'ec2:CreateNetworkInterface',
        'ec2:CreateNetworkInterfacePermission',
        'ec2:DeleteNetworkInterface',
      ].sort(),
    );
  });

  it('prod: acknowledges the network-interface/* resource on the two roles that create interfaces, with a reason', () => {
    const suppressed = prod.report.pluginReports
      .flatMap((r) => r.suppressedViolations)
      .filter((v) => v.ruleName.includes(':network-interface/*]'));
    expect(suppressed.map((v) => v.violatingConstructs[0].constructPath).sort()).toEqual([
      'StreamingPipeline/Search/Delivery/Role/DefaultPolicy/Resource',
      'StreamingPipeline/Search/Domain/SetupRole/DefaultPolicy/Resource',
    ]);
    for (const v of suppressed) expect(v.reason).toMatch(/at run time/);
    // Resource::* on those two is for Describe (and X-Ray) only, and says so.
    const star = prod.report.pluginReports
      .flatMap((r) => r.suppressedViolations)
      .filter(
        (v) =>
          v.ruleName === 'AwsSolutions-IAM5[Resource::*]' &&
          v.violatingConstructs[0].constructPath.includes('/Search/'),
      )
      .map((v) => v.reason);
    for (const reason of star) expect(reason).not.toMatch(/network interface actions .*support no resource-level/);
  });

  it('writes a resource the way cdk-nag names it, with or without a concrete Region', () => {
    const agnostic = new Stack(new App(), 'Agnostic');
    expect(nagResource(agnostic, ec2Arn(agnostic, 'network-interface', '*'))).toBe(
      'arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*',
    );
    // A concrete Region and account stay as they are, as in cdk-nag's finding ids.
    const pinned = new Stack(new App(), 'Pinned', { env: { account: '123456789012', region: 'eu-west-1' } });
    expect(nagResource(pinned, ec2Arn(pinned, 'network-interface', '*'))).toMatch(
      /^arn:(aws|<AWS::Partition>):ec2:eu-west-1:123456789012:network-interface\/\*$/,
    );
  });
});
