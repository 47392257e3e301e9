import { describe, expect, it } from 'vitest';
import { TYPE_INDEX_SHARDS } from '../../../lambda/shared/aggregate-item';
import { aggregatesTableDefinition } from '../../../lambda/shared/table-definition';
import { onlyResource, synthPipeline } from '../../support/synth';

describe('AggregatesTable', () => {
  const dev = onlyResource(synthPipeline().template, 'AWS::DynamoDB::GlobalTable').properties;

  it('answers every read from the table keys alone, with no index by default', () => {
    expect(dev.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(dev.GlobalSecondaryIndexes).toBeUndefined();
    expect(dev.AttributeDefinitions).toEqual([
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ]);
  });

  it('adds the write-sharded byType index when config asks for it', () => {
    const withIndex = onlyResource(
      synthPipeline({ 'aggregates.byTypeIndex': true }).template,
      'AWS::DynamoDB::GlobalTable',
    ).properties;
    expect(withIndex.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'byType',
        KeySchema: [
          { AttributeName: 'typeShard', KeyType: 'HASH' },
          { AttributeName: 'windowKey', KeyType: 'RANGE' },
        ],
        Projection: {
          ProjectionType: 'INCLUDE',
          NonKeyAttributes: ['type', 'key', 'windowStart', 'count', 'sum', 'min', 'max'],
        },
      },
    ]);
    expect(TYPE_INDEX_SHARDS).toBeGreaterThan(1);
  });

  it('is on-demand, encrypted with KMS, recoverable to a point in time, and expires items by TTL', () => {
    expect(dev.BillingMode).toBe('PAY_PER_REQUEST');
    expect(dev.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    expect(dev.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(dev.Replicas).toEqual([
      expect.objectContaining({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: false,
      }),
    ]);
  });

  it('is protected from deletion in prod', () => {
    const prod = synthPipeline({ stage: 'prod' }).template;
    expect(onlyResource(prod, 'AWS::DynamoDB::GlobalTable').properties.Replicas).toEqual([
      expect.objectContaining({ DeletionProtectionEnabled: true }),
    ]);
  });

  it('matches the layout the emulators are given in local mode and tests', () => {
    const local = aggregatesTableDefinition('t');
    expect(local.KeySchema).toEqual(dev.KeySchema);
    expect(local.AttributeDefinitions).toEqual(dev.AttributeDefinitions);
    expect(local.GlobalSecondaryIndexes).toEqual(dev.GlobalSecondaryIndexes);
    const indexed = aggregatesTableDefinition('t', { byTypeIndex: true });
    expect(indexed.GlobalSecondaryIndexes?.[0].IndexName).toBe('byType');
  });
});
