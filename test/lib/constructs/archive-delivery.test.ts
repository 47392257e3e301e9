import { beforeAll, describe, expect, it } from 'vitest';
import { type Synthesized, onlyResource, roleStatements, synthPipeline } from '../../support/synth';

let dev: Synthesized;
let prod: Synthesized;

beforeAll(() => {
  dev = synthPipeline();
  prod = synthPipeline({ stage: 'prod', 'archive.bufferMiB': 128, 'archive.bufferSeconds': 300 });
});

function id(s: Synthesized, type: string, prefix: string): string {
  return Object.keys(s.template.findResources(type)).find((k) => k.startsWith(prefix))!;
}

describe('ArchiveDelivery', () => {
  it('reads the stream and writes GZIP NDJSON under Hive-style time prefixes, errors apart', () => {
    const { properties } = onlyResource(dev.template, 'AWS::KinesisFirehose::DeliveryStream', 'Archive');
    const role = id(dev, 'AWS::IAM::Role', 'ArchiveRole');
    const bucket = id(dev, 'AWS::S3::Bucket', 'ArchiveBucket');
    expect(properties.DeliveryStreamType).toBe('KinesisStreamAsSource');
    expect(properties.KinesisStreamSourceConfiguration).toEqual({
      KinesisStreamARN: { 'Fn::GetAtt': [id(dev, 'AWS::Kinesis::Stream', 'Ingest'), 'Arn'] },
      RoleARN: { 'Fn::GetAtt': [role, 'Arn'] },
    });
    expect(properties.ExtendedS3DestinationConfiguration).toMatchObject({
      BucketARN: { 'Fn::GetAtt': [bucket, 'Arn'] },
      RoleARN: { 'Fn::GetAtt': [role, 'Arn'] },
      BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 60 },
      CompressionFormat: 'GZIP',
      Prefix: 'events/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/',
      ErrorOutputPrefix:
        'errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/',
      ProcessingConfiguration: { Enabled: true, Processors: [{ Type: 'AppendDelimiterToRecord' }] },
      CloudWatchLoggingOptions: { Enabled: true },
    });
  });

  it('takes its buffering from config', () => {
    expect(
      onlyResource(prod.template, 'AWS::KinesisFirehose::DeliveryStream', 'Archive').properties
        .ExtendedS3DestinationConfiguration,
    ).toMatchObject({
      BufferingHints: { SizeInMBs: 128, IntervalInSeconds: 300 },
    });
  });

  it('gives its role exactly the actions AWS documents for a Kinesis source and an S3 destination', () => {
    const bucket = id(dev, 'AWS::S3::Bucket', 'ArchiveBucket');
    const statements = roleStatements(dev.template, id(dev, 'AWS::IAM::Role', 'ArchiveRole'));
    const objects = (prefix: string): unknown => ({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, `/${prefix}/*`]],
    });
    expect(statements).toEqual([
      {
        Action: ['kinesis:DescribeStream', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'],
        Resource: [{ 'Fn::GetAtt': [id(dev, 'AWS::Kinesis::Stream', 'Ingest'), 'Arn'] }],
      },
      {
        Action: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        Resource: [{ 'Fn::GetAtt': [bucket, 'Arn'] }],
      },
      {
        Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
        Resource: [objects('errors'), objects('events')],
      },
      { Action: ['logs:PutLogEvents'], Resource: [expect.objectContaining({ 'Fn::Join': expect.any(Array) })] },
    ]);
    const flat = JSON.stringify(statements);
    expect(flat).not.toMatch(/DeleteObject|s3:\*|kms:\*|"\*"/);
  });

  it('trusts only Firehose, for this account', () => {
    const role = dev.template.toJSON().Resources[id(dev, 'AWS::IAM::Role', 'ArchiveRole')];
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'firehose.amazonaws.com' },
        Condition: { StringEquals: { 'sts:ExternalId': { Ref: 'AWS::AccountId' } } },
      },
    ]);
  });

  it('keeps the archive encrypted, private, logged, tiered and expiring; versioned in prod', () => {
    const bucket = dev.template.toJSON().Resources[id(dev, 'AWS::S3::Bucket', 'ArchiveBucket')].Properties;
    expect(
      bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm,
    ).toBe('AES256');
    expect(bucket.PublicAccessBlockConfiguration.RestrictPublicBuckets).toBe(true);
    expect(bucket.LoggingConfiguration.LogFilePrefix).toBe('archive-bucket/');
    expect(bucket.LifecycleConfiguration.Rules[0]).toMatchObject({
      ExpirationInDays: 90,
      Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
    });
    expect(bucket.VersioningConfiguration).toBeUndefined();
    const prodBucket = prod.template.toJSON().Resources[id(prod, 'AWS::S3::Bucket', 'ArchiveBucket')].Properties;
    expect(prodBucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(prodBucket.LifecycleConfiguration.Rules[0]).toMatchObject({
      ExpirationInDays: 730,
      NoncurrentVersionExpiration: { NoncurrentDays: 30 },
    });
  });

  it('is created after the role policy it needs', () => {
    const ds = dev.template.toJSON().Resources[id(dev, 'AWS::KinesisFirehose::DeliveryStream', 'Archive')] as {
      DependsOn: string[];
    };
    expect(ds.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^ArchiveRoleDefaultPolicy/)]));
  });

  it('converts to Parquet with the Glue table as schema when asked, and may read only that table', () => {
    const s = synthPipeline({ 'archive.format': 'parquet' });
    const dest = onlyResource(s.template, 'AWS::KinesisFirehose::DeliveryStream', 'Archive').properties
      .ExtendedS3DestinationConfiguration as Record<string, unknown>;
    expect(dest).toMatchObject({
      CompressionFormat: 'UNCOMPRESSED',
      FileExtension: '.parquet',
      DataFormatConversionConfiguration: {
        Enabled: true,
        InputFormatConfiguration: { Deserializer: { OpenXJsonSerDe: { CaseInsensitive: true } } },
        OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: 'SNAPPY' } } },
        SchemaConfiguration: { DatabaseName: 'streamingpipeline_archive', TableName: 'events', VersionId: 'LATEST' },
      },
    });
    expect(dest.ProcessingConfiguration).toBeUndefined();
    const glue = roleStatements(s.template, id(s, 'AWS::IAM::Role', 'ArchiveRole')).find((st) =>
      st.Action[0].startsWith('glue:'),
    )!;
    expect(glue.Action).toEqual(['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions']);
    expect(JSON.stringify(glue.Resource)).toMatch(
      /:catalog".*:database\/streamingpipeline_archive".*:table\/streamingpipeline_archive\/events"/,
    );
    const table = onlyResource(s.template, 'AWS::Glue::Table').properties as {
      TableInput: { StorageDescriptor: { SerdeInfo: unknown } };
    };
    expect(table.TableInput.StorageDescriptor.SerdeInfo).toEqual({
      SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
    });
  });
});
