import { describe, expect, it } from 'vitest';
import { ConfigError, PROFILES, loadConfig } from '../../lib/config';

function load(context: Record<string, unknown>): ReturnType<typeof loadConfig> {
  return loadConfig((name) => context[name], Object.keys(context));
}

describe('loadConfig', () => {
  it('defaults to the dev profile', () => {
    expect(load({})).toEqual(PROFILES.dev);
  });

  it('chooses the profile named by stage', () => {
    const prod = load({ stage: 'prod' });
    expect(prod.stage).toBe('prod');
    expect(prod.removal).toBe('retain');
    expect(load({ stage: 'dev' }).removal).toBe('destroy');
  });

  it('overrides any field from context, coercing CLI strings', () => {
    const c = load({
      stage: 'prod',
      'aggregator.batchSize': '250',
      'stream.mode': 'provisioned',
      'stream.shardCount': 4,
      'aggregator.partitionKeyIsAggregateKey': 'true',
      'aggregator.parallelizationFactor': '3',
      removal: 'destroy',
    });
    expect(c.aggregator.batchSize).toBe(250);
    expect(c.stream).toMatchObject({ mode: 'provisioned', shardCount: 4 });
    expect(c.aggregator.parallelizationFactor).toBe(3);
    expect(c.removal).toBe('destroy');
    expect(PROFILES.prod.aggregator.batchSize).toBe(1_000);
  });

  it.each([
    [{ stage: 'qa' }, /^stage: must be one of dev, prod/],
    [{ 'stream.mode': 'serverless' }, /^stream\.mode: must be one of on-demand, provisioned/],
    [{ 'stream.shardCount': '0' }, /^stream\.shardCount: must be an integer from 1 to 500/],
    [{ 'stream.retentionHours': 12 }, /^stream\.retentionHours: must be an integer from 24 to 8760/],
    [{ 'stream.encryption': 'none' }, /^stream\.encryption: must be one of customer-managed, aws-managed/],
    [{ 'aggregator.batchSize': 'lots' }, /^aggregator\.batchSize: expected a number/],
    [{ 'aggregator.batchSize': 10_001 }, /^aggregator\.batchSize: must be an integer from 1 to 10000/],
    [{ 'aggregator.maxBatchingWindowSeconds': 301 }, /^aggregator\.maxBatchingWindowSeconds:/],
    [{ 'aggregator.parallelizationFactor': 11 }, /^aggregator\.parallelizationFactor: must be an integer from 1 to 10/],
    [
      { 'aggregator.parallelizationFactor': 2 },
      /^aggregator\.parallelizationFactor: above 1 needs aggregator\.partitionKeyIsAggregateKey=true/,
    ],
    [{ 'aggregator.retryAttempts': -1 }, /^aggregator\.retryAttempts: must be an integer from 0 to 10000/],
    [{ 'aggregator.maxRecordAgeSeconds': -1 }, /^aggregator\.maxRecordAgeSeconds: must be an integer from 60/],
    [
      { 'aggregator.maxRecordAgeSeconds': 200_000 },
      /^aggregator\.maxRecordAgeSeconds: 200000 exceeds the stream's retention of 24 hours/,
    ],
    [
      { 'aggregator.partitionKeyIsAggregateKey': 'yes' },
      /^aggregator\.partitionKeyIsAggregateKey: expected true or false/,
    ],
    [{ 'aggregator.logRetentionDays': 10 }, /^aggregator\.logRetentionDays: must be one of 1, 3, 5/],
    [{ 'aggregator.memoryMb': 64 }, /^aggregator\.memoryMb:/],
    [{ 'aggregator.timeoutSeconds': 901 }, /^aggregator\.timeoutSeconds:/],
    [{ 'aggregates.windowSeconds': 7 }, /^aggregates\.windowSeconds: must divide a day evenly/],
    [{ 'aggregates.ttlDays': 0 }, /^aggregates\.ttlDays:/],
    [{ 'deadLetter.expireDays': 0 }, /^deadLetter\.expireDays:/],
    [{ removal: 'snapshot' }, /^removal: must be one of destroy, retain/],
    [{ 'archive.format': 'orc' }, /^archive\.format: must be one of gzip, parquet/],
    [
      { 'archive.format': 'parquet', 'archive.bufferMiB': 32 },
      /^archive\.bufferMiB: Parquet conversion needs at least 64/,
    ],
    [{ 'archive.bufferMiB': 129 }, /^archive\.bufferMiB: must be an integer from 1 to 128/],
    [{ 'archive.bufferSeconds': 901 }, /^archive\.bufferSeconds:/],
    [{ 'archive.transitionToIaDays': 10 }, /^archive\.transitionToIaDays: must be an integer from 30/],
    [{ 'archive.expireDays': 20 }, /^archive\.expireDays: 20 must be later than archive\.transitionToIaDays/],
    [{ 'aggregator.batchsize': 5 }, /^aggregator\.batchsize: no such setting/],
    [{ 'stream.mode.extra': 5 }, /^stream\.mode\.extra: no such setting/],
  ])('refuses %j, naming the field and what it accepts', (context, message) => {
    expect(() => load(context)).toThrow(ConfigError);
    expect(() => load(context)).toThrow(message);
  });

  it('accepts a parallelization factor above 1 when producers partition by the aggregate key', () => {
    const c = load({ 'aggregator.parallelizationFactor': 4, 'aggregator.partitionKeyIsAggregateKey': true });
    expect(c.aggregator.parallelizationFactor).toBe(4);
  });

  it('ignores context that is not config, such as CDK feature flags', () => {
    expect(() => load({ '@aws-cdk/core:newStyleStackSynthesis': true })).not.toThrow();
  });
});
