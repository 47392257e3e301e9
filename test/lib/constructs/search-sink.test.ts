import { beforeAll, describe, expect, it } from 'vitest';
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

/** The access policy the L2's custom resource applies, with token references replaced by their logical ids. */
function accessPolicy(s: Synthesized): { Principal: { AWS: string }; Action: string | string[]; Resource: unknown }[] {
  const create = onlyResource(s.template, 'Custom::OpenSearchAccessPolicy').properties.Create as {
    'Fn::Join': [string, unknown[]];
  };
  const text = create['Fn::Join'][1]
    .map((part) =>
      typeof part === 'string' ? part : `<${JSON.stringify(part).replace(/"/g, "'").replace(/\\/g, '')}>`,
    )
    .join('');
  const request = JSON.parse(text) as { parameters: { AccessPolicies: string } };
  return (JSON.parse(request.parameters.AccessPolicies) as { Statement: never[] }).Statement;
}

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
          'AWS::Logs::ResourcePolicy',
        ].includes(r.Type) || id.startsWith('SearchDomainSetupRole'),
    );
    expect(kept.length).toBeGreaterThanOrEqual(10);
    for (const [logicalId, r] of kept) expect(r.DeletionPolicy, logicalId).toBe('Retain');
    const setup = id(prod, 'Custom::SearchSetup', 'Search');
    expect(resources[setup].DependsOn).toEqual(expect.arrayContaining([id(prod, 'AWS::EC2::VPCEndpoint', 'Search')]));
    prod.template.hasResourceProperties('AWS::Lambda::Function', {
      Role: att(id(prod, 'AWS::IAM::Role', 'SearchDomainSetupRole')),
      Timeout: 600,
    });
  });

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

  it('names only the pipeline roles in the access policy, never *', () => {
    for (const s of [dev, prod]) {
      const statements = accessPolicy(s);
      const principals = statements.map((st) => st.Principal.AWS);
      expect(principals.every((p) => p.startsWith("<{'Fn::GetAtt':[") || p === READER)).toBe(true);
      expect(JSON.stringify(statements)).not.toMatch(/"\*"|"AWS":"\*"/);
    }
    const devPrincipals = accessPolicy(dev).map((st) => st.Principal.AWS);
    expect(devPrincipals).toEqual([
      expect.stringContaining('SearchDomainSetupRole'),
      expect.stringContaining('SearchDeliveryRole'),
    ]);
    const reader = accessPolicy(prod).filter((st) => st.Principal.AWS === READER);
    expect(reader.map((st) => st.Action)).toEqual([['es:ESHttpGet', 'es:ESHttpHead'], 'es:ESHttpPost']);
    expect(JSON.stringify(reader[1].Resource)).toMatch(/events-\*\/_search.*events-\*\/_count/);
  });

  it('applies the index template (and, with fine-grained access control, the role mappings) before delivery starts', () => {
    for (const [s, fgac, reader] of [
      [dev, 'false', ''],
      [prod, 'true', READER],
    ] as const) {
      const setup = onlyResource(s.template, 'Custom::SearchSetup');
      expect(setup.properties).toEqual({
        ServiceToken: att(id(s, 'AWS::Lambda::Function', 'SearchDomainSetupFunction')),
        // Above the function's 10 minutes of retries, below CloudFormation's default hour.
        ServiceTimeout: '720',
        Endpoint: att(id(s, 'AWS::OpenSearchService::Domain', 'Search'), 'DomainEndpoint'),
        FineGrainedAccessControl: fgac,
        WriterRoleArn: att(id(s, 'AWS::IAM::Role', 'SearchDeliveryRole')),
        ReaderRoleArn: reader,
        Shards: fgac === 'true' ? '3' : '1',
        Replicas: fgac === 'true' ? '1' : '0',
      });
      const resources = s.template.toJSON().Resources as Record<string, { DependsOn?: string[] }>;
      expect(resources[setup.id].DependsOn).toEqual(
        expect.arrayContaining([id(s, 'Custom::OpenSearchAccessPolicy', 'Search')]),
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
    // Lambda's network interface actions, merged with X-Ray's: both have no resource scope.
    expect(prodStatements).toContainEqual({
      Action: [
        'ec2:AssignPrivateIpAddresses',
        'ec2:CreateNetworkInterface',
        'ec2:DeleteNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:UnassignPrivateIpAddresses',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ],
      Resource: ['*'],
    });
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
