import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { IngestStream } from '../../../lib/constructs/ingest-stream';
import { onlyResource, synthPipeline } from '../../support/synth';

describe('IngestStream', () => {
  it('is on-demand and KMS-encrypted with aws/kinesis by default, with no registered consumer', () => {
    const { template } = synthPipeline();
    const { properties } = onlyResource(template, 'AWS::Kinesis::Stream');
    expect(properties).toMatchObject({
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      RetentionPeriodHours: 24,
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
    expect(properties.ShardCount).toBeUndefined();
    template.resourceCountIs('AWS::Kinesis::StreamConsumer', 0);
  });

  it('is provisioned with the configured shards and a rotated key of its own when asked', () => {
    const { template } = synthPipeline({
      stage: 'prod',
      'stream.mode': 'provisioned',
      'stream.shardCount': 4,
      'stream.encryption': 'customer-managed',
    });
    const key = onlyResource(template, 'AWS::KMS::Key', 'Ingest');
    expect(key.properties.EnableKeyRotation).toBe(true);
    expect(onlyResource(template, 'AWS::Kinesis::Stream').properties).toMatchObject({
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      ShardCount: 4,
      RetentionPeriodHours: 168,
      StreamEncryption: { EncryptionType: 'KMS', KeyId: { 'Fn::GetAtt': [key.id, 'Arn'] } },
    });
  });
});

describe('IngestStream enhanced fan-out consumers', () => {
  /** The ConsumerName of the one consumer registered for `reader` in a stack of that name, on that stack's stream. */
  function consumerName(stackName: string, reader: string): unknown {
    const stack = new Stack(new App(), 'Test', { stackName });
    new IngestStream(stack, 'Ingest').addConsumer(reader);
    const template = Template.fromStack(stack);
    const stream = onlyResource(template, 'AWS::Kinesis::Stream').id;
    const { properties } = onlyResource(template, 'AWS::Kinesis::StreamConsumer');
    expect(properties.StreamARN).toEqual({ 'Fn::GetAtt': [stream, 'Arn'] });
    return properties.ConsumerName;
  }

  it('names a consumer after the stack and its reader, as CloudFormation requires a name', () => {
    // A required property cannot be left to CloudFormation to generate, as the pipeline's other names are.
    const spec = loadAwsServiceSpecSync().lookup(
      'resource',
      'cloudFormationType',
      'equals',
      'AWS::Kinesis::StreamConsumer',
    );
    expect(spec).toHaveLength(1);
    expect(spec[0].properties.ConsumerName.required).toBe(true);

    expect(consumerName('streaming-pipeline-prod', 'aggregator')).toBe('streaming-pipeline-prod-aggregator');
  });

  it('keeps the name within the 128 characters Kinesis accepts when the stack name is long', () => {
    const name = consumerName(`s${'x'.repeat(127)}`, 'aggregator');
    expect(name).toMatch(/^sx+-aggregator$/);
    expect(name).toHaveLength(128);
  });
});
