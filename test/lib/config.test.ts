import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, PROFILES, loadConfig, loadDeclarations } from '../../lib/config';

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
    [
      { 'aggregator.consumer': 'push' },
      /^aggregator\.consumer: must be polling \(the mapping polls the stream, sharing its read throughput\) or efo \(an enhanced fan-out consumer of its own\), got "push"/,
    ],
    [{ 'aggregator.consumer': 'EFO' }, /^aggregator\.consumer: must be polling .* or efo .*, got "EFO"/],
    [{ 'aggregates.windowSeconds': 60 }, /^aggregates\.windowSeconds: no such setting/],
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

  it('polls the stream in dev and reads through enhanced fan-out in prod, either overridable', () => {
    expect(PROFILES.dev.aggregator.consumer).toBe('polling');
    expect(PROFILES.prod.aggregator.consumer).toBe('efo');
    expect(load({ 'aggregator.consumer': 'efo' }).aggregator.consumer).toBe('efo');
    expect(load({ stage: 'prod', 'aggregator.consumer': 'polling' }).aggregator.consumer).toBe('polling');
  });

  it('accepts a parallelization factor above 1 when producers partition by the aggregate key', () => {
    const c = load({ 'aggregator.parallelizationFactor': 4, 'aggregator.partitionKeyIsAggregateKey': true });
    expect(c.aggregator.parallelizationFactor).toBe(4);
  });

  it('reads the declared aggregates, and stops on a mistake naming the file and the JSON path', () => {
    expect(loadDeclarations(load({})).aggregates.map((a) => a.name)).toContain('by_key');
    const dir = mkdtempSync(join(tmpdir(), 'aggregates-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        version: 2,
        aggregates: [{ name: 'p', types: ['*'], windows: ['1m'], measures: { p: { op: 'quantiles', of: 'type' } } }],
      }),
    );
    expect(() => loadDeclarations(load({ 'aggregates.file': bad }))).toThrow(
      /^aggregates\.file: bad\.json: aggregates\[0\]\.measures\.p\.of: "type": quantiles needs a number/,
    );
    expect(() => loadDeclarations(load({ 'aggregates.file': join(dir, 'missing.json') }))).toThrow(
      /^aggregates\.file: .*missing\.json: cannot be read: ENOENT/,
    );
  });

  it('refuses, above a parallelization factor of 1, a declaration that does not group by key', () => {
    const c = load({ 'aggregator.parallelizationFactor': 2, 'aggregator.partitionKeyIsAggregateKey': true });
    expect(() => loadDeclarations(c)).toThrow(/^aggregates\[1\]\.groupBy: "by_type" does not group by key/);
    expect(() =>
      loadDeclarations({ ...c, aggregates: { ...c.aggregates, file: 'test/fixtures/keyed-aggregates.json' } }),
    ).not.toThrow();
  });

  it('ignores context that is not config, such as CDK feature flags', () => {
    expect(() => load({ '@aws-cdk/core:newStyleStackSynthesis': true })).not.toThrow();
  });
});

describe('search config', () => {
  it('sizes the domain by profile and leaves the leg on in both', () => {
    expect(PROFILES.dev.search).toMatchObject({
      enabled: true,
      dataNodeType: 't3.small.search',
      dataNodes: 1,
      masterNodes: 0,
      volumeGiB: 10,
      availabilityZones: 1,
      vpc: 'none',
      fineGrainedAccessControl: false,
    });
    expect(PROFILES.prod.search).toMatchObject({
      enabled: true,
      dataNodes: 3,
      masterNodes: 3,
      availabilityZones: 3,
      vpc: 'create',
      fineGrainedAccessControl: true,
    });
    expect(load({ 'search.enabled': 'false' }).search.enabled).toBe(false);
    expect(load({ stage: 'prod', 'search.vpc': 'vpc-0123456789abcdef0' }).search.vpc).toBe('vpc-0123456789abcdef0');
  });

  it.each([
    [{ 'search.dataNodeType': 'r7g.large' }, /^search\.dataNodeType: must be an OpenSearch instance type/],
    [{ 'search.masterNodes': 2 }, /^search\.masterNodes: must be 0, 3 or 5/],
    [
      { stage: 'prod', 'search.dataNodes': 4 },
      /^search\.dataNodes: 4 must be a multiple of search\.availabilityZones \(3\)/,
    ],
    [{ 'search.availabilityZones': 4 }, /^search\.availabilityZones: must be an integer from 1 to 3/],
    [{ 'search.volumeGiB': 5 }, /^search\.volumeGiB: must be an integer from 10/],
    [{ 'search.vpc': 'default' }, /^search\.vpc: must be none, create or a VPC id/],
    [{ 'search.readerRoleArn': 'analysts' }, /^search\.readerRoleArn: must be empty or an IAM role ARN/],
    [{ 'search.bufferMiB': 101 }, /^search\.bufferMiB: must be an integer from 1 to 100/],
    [{ 'search.retrySeconds': 7201 }, /^search\.retrySeconds: must be an integer from 0 to 7200/],
    [{ 'search.enabled': 'yes' }, /^search\.enabled: expected true or false/],
  ])('refuses %o, naming the field', (context, message) => {
    expect(() => load(context)).toThrow(ConfigError);
    expect(() => load(context)).toThrow(message);
  });
});

describe('monitoring config', () => {
  it('documents its defaults in both profiles, with no email subscription', () => {
    const shared = {
      alarmEmail: '',
      iteratorAgeMs: 60_000,
      durationPercentOfTimeout: 80,
      throttleMinutes: 5,
      freshnessMarginSeconds: 300,
      freeStoragePercent: 25,
      jvmMemoryPressurePercent: 95,
      cpuUtilizationPercent: 80,
    };
    expect(PROFILES.dev.monitoring).toEqual({ ...shared, poisonRecordsPer5Min: 1 });
    expect(PROFILES.prod.monitoring).toEqual({ ...shared, poisonRecordsPer5Min: 10 });
  });

  it('takes an email and thresholds from context', () => {
    const c = load({
      stage: 'prod',
      'monitoring.alarmEmail': 'oncall@example.com',
      'monitoring.iteratorAgeMs': '120000',
      'monitoring.throttleMinutes': 3,
    });
    expect(c.monitoring).toMatchObject({
      alarmEmail: 'oncall@example.com',
      iteratorAgeMs: 120_000,
      throttleMinutes: 3,
    });
    expect(load({ 'monitoring.alarmEmail': '' }).monitoring.alarmEmail).toBe('');
  });

  it.each([
    [{ 'monitoring.alarmEmail': 'oncall' }, /^monitoring\.alarmEmail: must be empty or an email address/],
    [{ 'monitoring.alarmEmail': 5 }, /^monitoring\.alarmEmail: expected a string/],
    [{ 'monitoring.iteratorAgeMs': 999 }, /^monitoring\.iteratorAgeMs: must be an integer from 1000/],
    [
      { 'monitoring.iteratorAgeMs': 3_600_000 },
      /^monitoring\.iteratorAgeMs: 3600000 must be below aggregator\.maxRecordAgeSeconds \(3600 s\)/,
    ],
    [
      { 'monitoring.durationPercentOfTimeout': 101 },
      /^monitoring\.durationPercentOfTimeout: must be an integer from 1 to 100/,
    ],
    [{ 'monitoring.throttleMinutes': 0 }, /^monitoring\.throttleMinutes: must be an integer from 1 to 60/],
    [{ 'monitoring.poisonRecordsPer5Min': 0 }, /^monitoring\.poisonRecordsPer5Min: must be an integer from 1/],
    [{ 'monitoring.freshnessMarginSeconds': -1 }, /^monitoring\.freshnessMarginSeconds: must be an integer from 0/],
    [{ 'monitoring.freeStoragePercent': 100 }, /^monitoring\.freeStoragePercent: must be an integer from 1 to 99/],
    [{ 'monitoring.jvmMemoryPressurePercent': 0 }, /^monitoring\.jvmMemoryPressurePercent:/],
    [{ 'monitoring.cpuUtilizationPercent': 'high' }, /^monitoring\.cpuUtilizationPercent: expected a number/],
    [{ 'monitoring.email': 'a@b.c' }, /^monitoring\.email: no such setting/],
  ])('refuses %o, naming the field', (context, message) => {
    expect(() => load(context)).toThrow(ConfigError);
    expect(() => load(context)).toThrow(message);
  });
});
