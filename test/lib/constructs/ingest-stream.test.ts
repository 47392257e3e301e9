import { describe, expect, it } from 'vitest';
import { onlyResource, synthPipeline } from '../../support/synth';

describe('IngestStream', () => {
  it('is on-demand and KMS-encrypted with aws/kinesis by default', () => {
    const { properties } = onlyResource(synthPipeline().template, 'AWS::Kinesis::Stream');
    expect(properties).toMatchObject({
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      RetentionPeriodHours: 24,
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
    expect(properties.ShardCount).toBeUndefined();
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
