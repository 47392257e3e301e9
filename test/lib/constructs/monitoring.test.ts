import { PROJECT_AGGREGATES_FILE } from '../../../lambda/shared/declarations-file';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EbsDeviceVolumeType } from 'aws-cdk-lib/aws-ec2';
import { Domain, EngineVersion } from 'aws-cdk-lib/aws-opensearchservice';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { AccessLogsBucket } from '../../../lib/constructs/access-logs-bucket';
import { AggregatesTable } from '../../../lib/constructs/aggregates-table';
import { Aggregator } from '../../../lib/constructs/aggregator';
import { ArchiveDelivery } from '../../../lib/constructs/archive-delivery';
import { IngestStream } from '../../../lib/constructs/ingest-stream';
import { aggregatorQueries } from '../../../lib/constructs/log-queries';
import { METRICS_STACK_ENV, aggregatorMetricDimensions } from '../../../lambda/shared/constants';
import { Monitoring, type MonitoringProps, streamReaderTexts } from '../../../lib/constructs/monitoring';
import { synthPipeline } from '../../support/synth';

const FEATURE_FLAGS = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  }
).context;

const SEARCH_DELIVERY = 'search-delivery';

interface Built {
  readonly stack: Stack;
  readonly template: Template;
  readonly monitoring: Monitoring;
  /** Resolved references to the monitored resources, as they appear in the template. */
  readonly refs: Record<string, unknown>;
}

/**
 * The real pipeline constructs the stack monitors, plus a minimal OpenSearch domain standing in for
 * the search sink, synthesized with the cdk-nag packs (synth throws on any open finding).
 */
function build(
  options: { searchLeg?: boolean; stackName?: string } & Partial<Omit<MonitoringProps, 'search'>> = {},
): Built {
  const { searchLeg, stackName, ...overrides } = options;
  const app = new App({ context: { ...FEATURE_FLAGS, 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Monitored', stackName === undefined ? {} : { stackName });
  const removalPolicy = RemovalPolicy.DESTROY;
  const accessLogs = new AccessLogsBucket(stack, 'AccessLogs', { removalPolicy });
  const ingest = new IngestStream(stack, 'Ingest', { removalPolicy });
  const aggregates = new AggregatesTable(stack, 'Aggregates', { removalPolicy });
  const aggregator = new Aggregator(stack, 'Aggregator', {
    stream: ingest.stream,
    table: aggregates.table,
    accessLogsBucket: accessLogs.bucket,
    aggregatesFile: PROJECT_AGGREGATES_FILE,
    timeout: Duration.seconds(60),
    removalPolicy,
  });
  const archive = new ArchiveDelivery(stack, 'Archive', {
    stream: ingest.stream,
    accessLogsBucket: accessLogs.bucket,
    bufferInterval: Duration.seconds(60),
    removalPolicy,
  });

  let search: MonitoringProps['search'];
  if (searchLeg !== false) {
    const domain = new Domain(stack, 'Domain', {
      version: EngineVersion.OPENSEARCH_2_19,
      capacity: { dataNodes: 1, dataNodeInstanceType: 't3.small.search', multiAzWithStandbyEnabled: false },
      ebs: { volumeSize: 10, volumeType: EbsDeviceVolumeType.GP3 },
      encryptionAtRest: { enabled: true },
      nodeToNodeEncryption: true,
      enforceHttps: true,
      removalPolicy,
    });
    for (const rule of [
      'OS1',
      'OS3',
      'OS4',
      'OS5',
      'OS7',
      'OS9[LogExport::SEARCH_SLOW_LOGS]',
      'OS9[LogExport::INDEX_SLOW_LOGS]',
    ]) {
      Validations.of(domain).acknowledge({
        id: `AwsSolutions::AwsSolutions-${rule}`,
        reason: 'A stand-in for the search sink, which has its own tests and acknowledgements.',
      });
    }
    search = { domain, deliveryStreamName: SEARCH_DELIVERY, bufferInterval: Duration.seconds(120), volumeGiB: 10 };
  }

  const monitoring = new Monitoring(stack, 'Monitoring', {
    stream: ingest.stream,
    aggregator: {
      function: aggregator.function,
      timeout: Duration.seconds(60),
      eventSourceMapping: aggregator.eventSourceMapping,
      failureQueue: aggregator.failureQueue,
      logGroup: aggregator.logGroup,
    },
    table: aggregates.table,
    archive: { deliveryStreamName: archive.deliveryStream.ref, bufferInterval: Duration.seconds(60) },
    search,
    removalPolicy,
    ...overrides,
  });

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  app.synth();
  const refs: Record<string, unknown> = {
    stream: stack.resolve(ingest.stream.streamName),
    function: stack.resolve(aggregator.function.functionName),
    mapping: stack.resolve(aggregator.eventSourceMapping.eventSourceMappingId),
    queue: stack.resolve(aggregator.failureQueue.queueName),
    table: stack.resolve(aggregates.table.tableName),
    archive: stack.resolve(archive.deliveryStream.ref),
    logGroup: stack.resolve(aggregator.logGroup.logGroupName),
    topic: stack.resolve(monitoring.topic.topicArn),
  };
  if (search !== undefined) refs.domain = stack.resolve(search.domain.domainName);
  return { stack, template: Template.fromStack(stack), monitoring, refs };
}

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

function resources(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

function alarmsByName(template: Template): Map<string, Record<string, unknown>> {
  return new Map(
    Object.values(resources(template, 'AWS::CloudWatch::Alarm')).map((r) => [
      r.Properties.AlarmName as string,
      r.Properties,
    ]),
  );
}

/** The dashboard body with every CloudFormation token replaced by a readable placeholder, parsed. */
function dashboardBody(template: Template): { widgets: Widget[] } {
  const [dashboard] = Object.values(resources(template, 'AWS::CloudWatch::Dashboard'));
  const body = dashboard.Properties.DashboardBody as string | { 'Fn::Join': [string, unknown[]] };
  if (typeof body === 'string') return JSON.parse(body) as { widgets: Widget[] };
  const text = body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : placeholder(part))).join('');
  return JSON.parse(text) as { widgets: Widget[] };
}

function placeholder(token: unknown): string {
  const t = token as { Ref?: string; 'Fn::GetAtt'?: string[] };
  if (t.Ref !== undefined) return `{Ref:${t.Ref}}`;
  if (t['Fn::GetAtt'] !== undefined) return `{GetAtt:${t['Fn::GetAtt'].join('.')}}`;
  throw new Error(`unexpected token in the dashboard body: ${JSON.stringify(token)}`);
}

interface Widget {
  type: string;
  properties: {
    title?: string;
    markdown?: string;
    metrics?: unknown[][];
    alarms?: string[];
    annotations?: { horizontal?: { value: number }[] };
  };
}

/** "namespace metricName dimension=value ..." of every metric drawn on the dashboard. */
function dashboardMetrics(widgets: Widget[]): Set<string> {
  const out = new Set<string>();
  for (const w of widgets) {
    for (const m of w.properties.metrics ?? []) {
      const strings = m.filter((x): x is string => typeof x === 'string');
      if (strings.length < 2) continue;
      const [namespace, name, ...dims] = strings;
      const pairs: string[] = [];
      for (let i = 0; i < dims.length; i += 2) pairs.push(`${dims[i]}=${dims[i + 1]}`);
      out.add([namespace, name, ...pairs.sort()].join(' '));
    }
  }
  return out;
}

function metricKey(namespace: string, name: string, dims: Record<string, unknown>): string {
  const pairs = Object.entries(dims)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : placeholder(v)}`)
    .sort();
  return [namespace, name, ...pairs].join(' ');
}

let withSearch: Built;
let withoutSearch: Built;

beforeAll(() => {
  withSearch = build({ alarmEmail: 'ops@example.com' });
  withoutSearch = build({ searchLeg: false, throttleMinutes: 3, poisonRecordsPer5Min: 50, name: 'custom-name' });
});

const ESM_METRICS = [
  'PolledEventCount',
  'InvokedEventCount',
  'FailedInvokeEventCount',
  'DroppedEventCount',
  'OnFailureDestinationDeliveredEventCount',
];

interface Expected {
  namespace: string;
  metric: string;
  dims: (r: Record<string, unknown>) => Record<string, unknown>;
  stat: string;
  period: number;
  threshold: number;
  comparison: string;
  evaluationPeriods: number;
  datapoints?: number;
  missing: 'notBreaching' | 'missing';
  critical: boolean;
}

const stream = (r: Record<string, unknown>) => ({ StreamName: r.stream });
const fn = (r: Record<string, unknown>) => ({ FunctionName: r.function });
const mapping = (r: Record<string, unknown>) => ({ EventSourceMappingUUID: r.mapping });
const table = (r: Record<string, unknown>) => ({ TableName: r.table });
const archiveStream = (r: Record<string, unknown>) => ({ DeliveryStreamName: r.archive });
const searchStream = () => ({ DeliveryStreamName: SEARCH_DELIVERY });
const domain = (r: Record<string, unknown>) => ({ DomainName: r.domain, ClientId: { Ref: 'AWS::AccountId' } });
const GTE = 'GreaterThanOrEqualToThreshold';
const GT = 'GreaterThanThreshold';
const sustained = (minutes: number) => ({
  stat: 'Sum',
  period: 60,
  threshold: 1,
  comparison: GTE,
  evaluationPeriods: minutes,
  datapoints: minutes,
  missing: 'notBreaching' as const,
  critical: false,
});

function expectedAlarms(throttleMinutes: number, poison: number): Record<string, Expected> {
  const s = sustained(throttleMinutes);
  return {
    StreamIteratorAge: {
      namespace: 'AWS/Kinesis',
      metric: 'GetRecords.IteratorAgeMilliseconds',
      dims: stream,
      stat: 'Maximum',
      period: 60,
      threshold: 60_000,
      comparison: GT,
      evaluationPeriods: 5,
      datapoints: 5,
      missing: 'notBreaching',
      critical: true,
    },
    StreamWriteThrottled: {
      namespace: 'AWS/Kinesis',
      metric: 'WriteProvisionedThroughputExceeded',
      dims: stream,
      ...s,
    },
    StreamReadThrottled: { namespace: 'AWS/Kinesis', metric: 'ReadProvisionedThroughputExceeded', dims: stream, ...s },
    PutRecordsFailed: { namespace: 'AWS/Kinesis', metric: 'PutRecords.FailedRecords', dims: stream, ...s },
    AggregatorIteratorAge: {
      namespace: 'AWS/Lambda',
      metric: 'IteratorAge',
      dims: fn,
      stat: 'Maximum',
      period: 60,
      threshold: 60_000,
      comparison: GT,
      evaluationPeriods: 5,
      datapoints: 5,
      missing: 'notBreaching',
      critical: true,
    },
    AggregatorErrors: {
      namespace: 'AWS/Lambda',
      metric: 'Errors',
      dims: fn,
      stat: 'Sum',
      period: 300,
      threshold: 1,
      comparison: GTE,
      evaluationPeriods: 1,
      missing: 'notBreaching',
      critical: true,
    },
    AggregatorThrottles: { namespace: 'AWS/Lambda', metric: 'Throttles', dims: fn, ...s },
    AggregatorDuration: {
      namespace: 'AWS/Lambda',
      metric: 'Duration',
      dims: fn,
      stat: 'p90',
      period: 300,
      threshold: 48_000,
      comparison: GTE,
      evaluationPeriods: 3,
      datapoints: 3,
      missing: 'notBreaching',
      critical: false,
    },
    MappingFailedInvokes: {
      namespace: 'AWS/Lambda',
      metric: 'FailedInvokeEventCount',
      dims: mapping,
      stat: 'Sum',
      period: 300,
      threshold: 1,
      comparison: GTE,
      evaluationPeriods: 1,
      missing: 'notBreaching',
      critical: false,
    },
    MappingDroppedEvents: {
      namespace: 'AWS/Lambda',
      metric: 'DroppedEventCount',
      dims: mapping,
      stat: 'Sum',
      period: 60,
      threshold: 1,
      comparison: GTE,
      evaluationPeriods: 1,
      missing: 'notBreaching',
      critical: true,
    },
    FailureQueueMessages: {
      namespace: 'AWS/SQS',
      metric: 'ApproximateNumberOfMessagesVisible',
      dims: (r) => ({ QueueName: r.queue }),
      stat: 'Maximum',
      period: 60,
      threshold: 1,
      comparison: GTE,
      evaluationPeriods: 1,
      missing: 'notBreaching',
      critical: true,
    },
    PoisonRecords: {
      namespace: 'StreamingPipeline',
      metric: 'PoisonRecords',
      dims: () => ({ service: 'aggregator', stack: 'Monitored' }),
      stat: 'Sum',
      period: 300,
      threshold: poison,
      comparison: GTE,
      evaluationPeriods: 1,
      missing: 'notBreaching',
      critical: false,
    },
    TableReadThrottles: { namespace: 'AWS/DynamoDB', metric: 'ReadThrottleEvents', dims: table, ...s },
    TableWriteThrottles: { namespace: 'AWS/DynamoDB', metric: 'WriteThrottleEvents', dims: table, ...s },
    ArchiveFreshness: {
      namespace: 'AWS/Firehose',
      metric: 'DeliveryToS3.DataFreshness',
      dims: archiveStream,
      stat: 'Maximum',
      period: 300,
      threshold: 360,
      comparison: GT,
      evaluationPeriods: 1,
      missing: 'notBreaching',
      critical: true,
    },
    ArchiveSuccess: {
      namespace: 'AWS/Firehose',
      metric: 'DeliveryToS3.Success',
      dims: archiveStream,
      stat: 'Average',
      period: 300,
      threshold: 1,
      comparison: 'LessThanThreshold',
      evaluationPeriods: 3,
      datapoints: 3,
      missing: 'notBreaching',
      critical: true,
    },
    ArchiveThrottledReads: { namespace: 'AWS/Firehose', metric: 'ThrottledGetRecords', dims: archiveStream, ...s },
  };
}

function expectedSearchAlarms(throttleMinutes: number): Record<string, Expected> {
  const flag = (metric: string, period: number, missing: 'notBreaching' | 'missing', critical: boolean): Expected => ({
    namespace: 'AWS/ES',
    metric,
    dims: domain,
    stat: 'Maximum',
    period,
    threshold: 1,
    comparison: GTE,
    evaluationPeriods: 1,
    missing,
    critical,
  });
  return {
    SearchFreshness: {
      namespace: 'AWS/Firehose',
      metric: 'DeliveryToAmazonOpenSearchService.DataFreshness',
      dims: searchStream,
      stat: 'Maximum',
      period: 300,
      threshold: 420,
      comparison: GT,
      evaluationPeriods: 1,
      missing: 'notBreaching',
      critical: true,
    },
    SearchSuccess: {
      namespace: 'AWS/Firehose',
      metric: 'DeliveryToAmazonOpenSearchService.Success',
      dims: searchStream,
      stat: 'Average',
      period: 300,
      threshold: 1,
      comparison: 'LessThanThreshold',
      evaluationPeriods: 3,
      datapoints: 3,
      missing: 'notBreaching',
      critical: true,
    },
    SearchTransformSuccess: {
      namespace: 'AWS/Firehose',
      metric: 'ExecuteProcessing.Success',
      dims: searchStream,
      stat: 'Average',
      period: 300,
      threshold: 1,
      comparison: 'LessThanThreshold',
      evaluationPeriods: 3,
      datapoints: 3,
      missing: 'notBreaching',
      critical: true,
    },
    SearchThrottledReads: {
      namespace: 'AWS/Firehose',
      metric: 'ThrottledGetRecords',
      dims: searchStream,
      ...sustained(throttleMinutes),
    },
    SearchClusterRed: flag('ClusterStatus.red', 60, 'missing', true),
    SearchWritesBlocked: flag('ClusterIndexWritesBlocked', 300, 'missing', true),
    SearchFreeStorage: {
      namespace: 'AWS/ES',
      metric: 'FreeStorageSpace',
      dims: domain,
      stat: 'Minimum',
      period: 60,
      // 25% of a 10 GiB volume, in MiB.
      threshold: 2_560,
      comparison: 'LessThanOrEqualToThreshold',
      evaluationPeriods: 1,
      missing: 'missing',
      critical: true,
    },
    SearchJvmMemoryPressure: {
      namespace: 'AWS/ES',
      metric: 'JVMMemoryPressure',
      dims: domain,
      stat: 'Maximum',
      period: 60,
      threshold: 95,
      comparison: GTE,
      evaluationPeriods: 3,
      datapoints: 3,
      missing: 'missing',
      critical: false,
    },
    SearchCpu: {
      namespace: 'AWS/ES',
      metric: 'CPUUtilization',
      dims: domain,
      stat: 'Maximum',
      period: 900,
      threshold: 80,
      comparison: GTE,
      evaluationPeriods: 3,
      datapoints: 3,
      missing: 'missing',
      critical: false,
    },
    SearchSnapshotFailure: flag('AutomatedSnapshotFailure', 60, 'notBreaching', false),
    SearchKmsKeyError: flag('KMSKeyError', 60, 'notBreaching', true),
    SearchKmsKeyInaccessible: flag('KMSKeyInaccessible', 60, 'notBreaching', true),
  };
}

function checkAlarm(built: Built, name: string, e: Expected): void {
  const alarm = alarmsByName(built.template).get(name);
  expect(alarm, name).toBeDefined();
  const statistic = /^p\d/.test(e.stat) ? { ExtendedStatistic: e.stat } : { Statistic: e.stat };
  expect(alarm, name).toMatchObject({
    Namespace: e.namespace,
    MetricName: e.metric,
    ...statistic,
    Period: e.period,
    Threshold: e.threshold,
    ComparisonOperator: e.comparison,
    EvaluationPeriods: e.evaluationPeriods,
    TreatMissingData: e.missing,
    AlarmActions: [built.refs.topic],
    OKActions: [built.refs.topic],
  });
  expect(alarm?.DatapointsToAlarm, name).toBe(e.datapoints);
  const dims = Object.fromEntries(
    (alarm?.Dimensions as { Name: string; Value: unknown }[]).map((d) => [d.Name, d.Value]),
  );
  expect(dims, name).toEqual(e.dims(built.refs));
  expect(alarm?.AlarmDescription, name).toMatch(/First check: /);
}

describe('Monitoring alarms', () => {
  const all = { ...expectedAlarms(5, 1), ...expectedSearchAlarms(5) };

  it.each(Object.entries(all))('%s: metric, statistic, threshold, periods, missing data, actions', (id, e) => {
    checkAlarm(withSearch, `Monitored-${id}`, e);
  });

  it('alarms on DynamoDB system errors of every operation the pipeline calls, summed', () => {
    const alarm = alarmsByName(withSearch.template).get('Monitored-TableSystemErrors')!;
    expect(alarm).toMatchObject({
      Threshold: 1,
      ComparisonOperator: GTE,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [withSearch.refs.topic],
      OKActions: [withSearch.refs.topic],
    });
    const metrics = alarm.Metrics as {
      Id: string;
      Expression?: string;
      MetricStat?: {
        Metric: { Namespace: string; MetricName: string; Dimensions: unknown[] };
        Stat: string;
        Period: number;
      };
    }[];
    expect(metrics.find((m) => m.Expression !== undefined)?.Expression).toBe(
      'FILL(getitem, 0) + FILL(updateitem, 0) + FILL(putitem, 0) + FILL(query, 0)',
    );
    const stats = metrics.filter((m) => m.MetricStat !== undefined).map((m) => m.MetricStat!);
    expect(stats).toHaveLength(4);
    for (const [i, op] of ['GetItem', 'UpdateItem', 'PutItem', 'Query'].entries()) {
      expect(stats[i]).toEqual({
        Metric: {
          Namespace: 'AWS/DynamoDB',
          MetricName: 'SystemErrors',
          Dimensions: expect.arrayContaining([
            { Name: 'TableName', Value: withSearch.refs.table },
            { Name: 'Operation', Value: op },
          ]) as unknown,
        },
        Stat: 'Sum',
        Period: 300,
      });
    }
  });

  it('has exactly these alarms, and no yellow one (a one-node domain is always yellow)', () => {
    const names = [...alarmsByName(withSearch.template).keys()].sort();
    expect(names).toEqual([...Object.keys(all), 'TableSystemErrors'].map((id) => `Monitored-${id}`).sort());
    expect(Object.keys(withSearch.monitoring.alarms).sort()).toEqual([...Object.keys(all), 'TableSystemErrors'].sort());
    expect(JSON.stringify(withSearch.template.toJSON())).not.toContain('ClusterStatus.yellow"');
  });

  it('leaves the search alarms out without the search leg, and takes thresholds and names from props', () => {
    const names = [...alarmsByName(withoutSearch.template).keys()].sort();
    const base = { ...expectedAlarms(3, 50) };
    expect(names).toEqual([...Object.keys(base), 'TableSystemErrors'].map((id) => `custom-name-${id}`).sort());
    for (const [id, e] of Object.entries(base)) checkAlarm(withoutSearch, `custom-name-${id}`, e);
  });
});

describe('Monitoring pipeline health', () => {
  function ruleAlarms(built: Built): string[] {
    const [composite] = Object.values(resources(built.template, 'AWS::CloudWatch::CompositeAlarm'));
    const rule = composite.Properties.AlarmRule as { 'Fn::Join': [string, unknown[]] };
    const text = rule['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : placeholder(p))).join('');
    expect(text).toMatch(/^\(ALARM\("\{GetAtt:\w+\.Arn\}"\)( OR ALARM\("\{GetAtt:\w+\.Arn\}"\))*\)$/);
    const ids = [...text.matchAll(/\{GetAtt:(\w+)\.Arn\}/g)].map((m) => m[1]);
    const alarms = resources(built.template, 'AWS::CloudWatch::Alarm');
    return ids.map((id) => alarms[id].Properties.AlarmName as string).sort();
  }

  it('is ALARM when any critical alarm is, and notifies like the others', () => {
    const critical = Object.entries({ ...expectedAlarms(5, 1), ...expectedSearchAlarms(5) })
      .filter(([, e]) => e.critical)
      .map(([id]) => `Monitored-${id}`)
      .sort();
    expect(ruleAlarms(withSearch)).toEqual(critical);
    const [composite] = Object.values(resources(withSearch.template, 'AWS::CloudWatch::CompositeAlarm'));
    expect(composite.Properties).toMatchObject({
      AlarmName: 'Monitored-PipelineHealth',
      AlarmActions: [withSearch.refs.topic],
      OKActions: [withSearch.refs.topic],
    });
    expect(withSearch.stack.resolve(withSearch.monitoring.healthAlarm.alarmArn)).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^MonitoringPipelineHealth/) as unknown, 'Arn'],
    });
  });

  it('covers only the legs that exist', () => {
    const critical = Object.entries(expectedAlarms(3, 50))
      .filter(([, e]) => e.critical)
      .map(([id]) => `custom-name-${id}`)
      .sort();
    expect(ruleAlarms(withoutSearch)).toEqual(critical);
  });
});

describe('Monitoring topic', () => {
  it('is encrypted with a rotated key of the stack that CloudWatch may use', () => {
    const [keyId, key] = Object.entries(resources(withSearch.template, 'AWS::KMS::Key'))[0];
    expect(Object.keys(resources(withSearch.template, 'AWS::KMS::Key'))).toHaveLength(1);
    expect(key.Properties.EnableKeyRotation).toBe(true);
    const statements = (key.Properties.KeyPolicy as { Statement: Record<string, unknown>[] }).Statement;
    expect(statements).toContainEqual({
      Sid: 'CloudWatchAlarmsPublishToTheEncryptedTopic',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
    });
    withSearch.template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
  });

  it('refuses requests without TLS and lets only this account’s alarms publish', () => {
    const [policy] = Object.values(resources(withSearch.template, 'AWS::SNS::TopicPolicy'));
    const statements = (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        Resource: withSearch.refs.topic,
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: 'CloudWatchAlarmsOfThisAccount',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: withSearch.refs.topic,
        Condition: {
          ArnLike: {
            'aws:SourceArn': expect.objectContaining({ 'Fn::Join': expect.any(Array) as unknown }) as unknown,
          },
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        },
      }),
    );
  });

  it('subscribes the configured email, and nobody without one', () => {
    withSearch.template.resourceCountIs('AWS::SNS::Subscription', 1);
    withSearch.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: withSearch.refs.topic,
    });
    withoutSearch.template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('Monitoring dashboard', () => {
  it('starts with the status of every alarm, then one row per leg, in order', () => {
    const { widgets } = dashboardBody(withSearch.template);
    expect(widgets[0].type).toBe('alarm');
    const alarmIds = Object.keys(resources(withSearch.template, 'AWS::CloudWatch::Alarm'));
    const compositeIds = Object.keys(resources(withSearch.template, 'AWS::CloudWatch::CompositeAlarm'));
    expect(widgets[0].properties.alarms).toEqual([...compositeIds, ...alarmIds].map((id) => `{GetAtt:${id}.Arn}`));
    const headers = widgets.filter((w) => w.type === 'text').map((w) => w.properties.markdown?.split(':')[0]);
    expect(headers).toEqual(['### Ingest', '### Processing', '### Storage', '### Delivery', '### Search']);
    const without = dashboardBody(withoutSearch.template).widgets;
    expect(without.filter((w) => w.type === 'text').map((w) => w.properties.markdown?.split(':')[0])).toEqual([
      '### Ingest',
      '### Processing',
      '### Storage',
      '### Delivery',
    ]);
  });

  it('draws the metric of every alarm', () => {
    for (const built of [withSearch, withoutSearch]) {
      const drawn = dashboardMetrics(dashboardBody(built.template).widgets);
      for (const alarm of Object.values(resources(built.template, 'AWS::CloudWatch::Alarm'))) {
        const p = alarm.Properties;
        const metrics =
          p.MetricName !== undefined
            ? [{ Namespace: p.Namespace, MetricName: p.MetricName, Dimensions: p.Dimensions }]
            : (p.Metrics as { MetricStat?: { Metric: Record<string, unknown> } }[])
                .filter((m) => m.MetricStat !== undefined)
                .map((m) => m.MetricStat!.Metric);
        for (const m of metrics) {
          const dims = Object.fromEntries(
            (m.Dimensions as { Name: string; Value: unknown }[]).map((d) => [d.Name, d.Value]),
          );
          expect(drawn, p.AlarmName as string).toContain(
            metricKey(m.Namespace as string, m.MetricName as string, dims),
          );
        }
      }
    }
  });

  it('draws the rows the issue asks for', () => {
    const drawn = dashboardMetrics(dashboardBody(withSearch.template).widgets);
    const ref = (v: unknown): string => placeholder(v);
    const r = withSearch.refs;
    const s = `StreamName=${ref(r.stream)}`;
    const f = `FunctionName=${ref(r.function)}`;
    const t = `TableName=${ref(r.table)}`;
    const a = `DeliveryStreamName=${ref(r.archive)}`;
    const d = `ClientId={Ref:AWS::AccountId} DomainName=${ref(r.domain)}`;
    const expected = [
      // Ingest: incoming records and bytes, put latency, throttles.
      `AWS/Kinesis IncomingRecords ${s}`,
      `AWS/Kinesis IncomingBytes ${s}`,
      `AWS/Kinesis PutRecords.Latency ${s}`,
      `AWS/Kinesis PutRecords.ThrottledRecords ${s}`,
      // Processing: iterator age, duration, errors, concurrency, user records, poison, writes, batch lag.
      `AWS/Lambda Invocations ${f}`,
      `AWS/Lambda ConcurrentExecutions ${f}`,
      ...['RecordsIn', 'UserRecords', 'AggregateWrites', 'ConditionalReplays', 'BatchLag', 'BatchDuration'].map(
        (m) => `StreamingPipeline ${m} service=aggregator stack=Monitored`,
      ),
      ...ESM_METRICS.map((m) => `AWS/Lambda ${m} EventSourceMappingUUID=${ref(r.mapping)}`),
      // Storage: consumed capacity, throttles.
      `AWS/DynamoDB ConsumedReadCapacityUnits ${t}`,
      `AWS/DynamoDB ConsumedWriteCapacityUnits ${t}`,
      ...['GetItem', 'UpdateItem', 'PutItem', 'Query'].map(
        (op) => `AWS/DynamoDB SuccessfulRequestLatency Operation=${op} ${t}`,
      ),
      // Delivery: freshness, success, bytes to S3.
      `AWS/Firehose DeliveryToS3.Bytes ${a}`,
      `AWS/Firehose DataReadFromKinesisStream.Bytes ${a}`,
      // Search: cluster health, indexing rate, free storage.
      `AWS/ES ClusterStatus.green ${d}`,
      `AWS/ES ClusterStatus.yellow ${d}`,
      `AWS/ES IndexingRate ${d}`,
      `AWS/ES SearchableDocuments ${d}`,
      `AWS/Firehose DeliveryToAmazonOpenSearchService.Records DeliveryStreamName=${SEARCH_DELIVERY}`,
    ];
    for (const m of expected) expect(drawn).toContain(m);
    const withoutDrawn = [...dashboardMetrics(dashboardBody(withoutSearch.template).widgets)];
    expect(withoutDrawn.filter((m) => m.startsWith('AWS/ES') || m.includes(SEARCH_DELIVERY))).toEqual([]);
  });

  it('marks alarm thresholds on the graphs', () => {
    const { widgets } = dashboardBody(withSearch.template);
    const byTitle = new Map(widgets.map((w) => [w.properties.title, w]));
    expect(byTitle.get('Duration (ms)')?.properties.annotations?.horizontal).toEqual([
      expect.objectContaining({ value: 48_000 }),
    ]);
    expect(byTitle.get('Free storage (MiB)')?.properties.annotations?.horizontal).toEqual([
      expect.objectContaining({ value: 2_560 }),
    ]);
  });

  it('is named after the stack, and its URL points at it', () => {
    withSearch.template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'Monitored' });
    withoutSearch.template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'custom-name' });
    expect(JSON.stringify(withSearch.stack.resolve(withSearch.monitoring.dashboardUrl))).toMatch(
      /console\.aws\.amazon\.com\/cloudwatch\/home\?region=.*#dashboards:name=/,
    );
  });
});

describe('Monitoring saved queries', () => {
  it('saves errors by type, poison records by reason and slowest batches on the aggregator log group', () => {
    const queries = Object.values(resources(withSearch.template, 'AWS::Logs::QueryDefinition')).map(
      (q) => q.Properties,
    );
    expect(queries.map((q) => q.Name).sort()).toEqual([
      'Monitored/aggregator errors by type',
      'Monitored/aggregator poison records by reason',
      'Monitored/aggregator slowest batches',
    ]);
    for (const q of queries) {
      expect(q.LogGroupNames).toEqual([withSearch.refs.logGroup]);
      expect(q.QueryString).toBe(
        aggregatorQueries('Monitored')[(q.Name as string).replace('Monitored/aggregator ', '')],
      );
    }
  });

  it('reads the fields the aggregator writes', () => {
    const handler = readFileSync(join(__dirname, '..', '..', '..', 'lambda', 'aggregator', 'handler.ts'), 'utf8');
    const queries = aggregatorQueries('Monitored');
    expect(queries['poison records by reason']).toContain('filter message = "poison records"');
    expect(handler).toContain("logger.info('poison records', { reason, records: count })");
    for (const metric of [
      'BatchDuration',
      'RecordsIn',
      'UserRecords',
      'PoisonRecords',
      'AggregateWrites',
      'BatchLag',
    ]) {
      expect(queries['slowest batches']).toContain(metric);
      expect(handler).toContain(`metrics.addMetric('${metric}'`);
    }
  });
});

/** Every metric of the custom namespace an alarm or a dashboard widget reads, with its dimensions. */
function customMetrics(template: Template): { where: string; dims: Record<string, unknown> }[] {
  const found: { where: string; dims: Record<string, unknown> }[] = [];
  const byPairs = (d: { Name: string; Value: unknown }[]): Record<string, unknown> =>
    Object.fromEntries(d.map((x) => [x.Name, x.Value]));
  for (const alarm of Object.values(resources(template, 'AWS::CloudWatch::Alarm'))) {
    const p = alarm.Properties;
    const metrics =
      p.MetricName !== undefined
        ? [{ Namespace: p.Namespace, MetricName: p.MetricName, Dimensions: p.Dimensions }]
        : (p.Metrics as { MetricStat?: { Metric: Record<string, unknown> } }[])
            .filter((m) => m.MetricStat !== undefined)
            .map((m) => m.MetricStat!.Metric);
    for (const m of metrics) {
      if (m.Namespace !== 'StreamingPipeline') continue;
      found.push({
        where: `alarm ${p.AlarmName as string} ${m.MetricName as string}`,
        dims: byPairs(m.Dimensions as { Name: string; Value: unknown }[]),
      });
    }
  }
  for (const w of dashboardBody(template).widgets) {
    for (const m of w.properties.metrics ?? []) {
      const strings = m.filter((x): x is string => typeof x === 'string');
      if (strings[0] !== 'StreamingPipeline') continue;
      const [, name, ...rest] = strings;
      const dims: Record<string, unknown> = {};
      for (let i = 0; i < rest.length; i += 2) dims[rest[i]] = rest[i + 1];
      found.push({ where: `widget ${w.properties.title ?? ''} ${name}`, dims });
    }
  }
  return found;
}

describe('Monitoring custom metrics, by stack', () => {
  it('reads every custom metric with the service and the stack name, the whole set the aggregator publishes', () => {
    for (const built of [withSearch, withoutSearch]) {
      const found = customMetrics(built.template);
      // PoisonRecords in its alarm; RecordsIn, UserRecords, PoisonRecords, AggregateWrites,
      // AggregateReads, ConditionalReplays, LateEvents, BatchLag and BatchDuration in widgets.
      expect(found.filter((f) => f.where.startsWith('alarm'))).toHaveLength(1);
      expect(found.filter((f) => f.where.startsWith('widget')).length).toBeGreaterThanOrEqual(9);
      // The stack name, not the dashboard name: withoutSearch is named custom-name.
      for (const f of found) expect(f.dims, f.where).toEqual(aggregatorMetricDimensions('Monitored'));
    }
  });

  it('tells the aggregator the same stack name it queries', () => {
    for (const built of [withSearch, withoutSearch]) {
      const [fn] = Object.values(resources(built.template, 'AWS::Lambda::Function')).filter(
        (f) => (f.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.TABLE_NAME,
      );
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables[METRICS_STACK_ENV]).toBe('Monitored');
    }
  });

  it('follows the CloudFormation stack name, so two stages in one account and Region read their own', () => {
    const prod = build({ searchLeg: false, stackName: 'streaming-pipeline-prod' });
    const found = customMetrics(prod.template);
    expect(found.length).toBeGreaterThan(0);
    for (const f of found) expect(f.dims, f.where).toEqual(aggregatorMetricDimensions('streaming-pipeline-prod'));
    const alarm = alarmsByName(prod.template).get('streaming-pipeline-prod-PoisonRecords');
    expect(alarm?.Dimensions).toEqual([
      { Name: 'service', Value: 'aggregator' },
      { Name: 'stack', Value: 'streaming-pipeline-prod' },
    ]);
    const fn = Object.values(resources(prod.template, 'AWS::Lambda::Function')).find(
      (f) => (f.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.TABLE_NAME,
    );
    expect((fn?.Properties.Environment as { Variables: Record<string, unknown> }).Variables[METRICS_STACK_ENV]).toBe(
      'streaming-pipeline-prod',
    );
    const slowest = Object.values(resources(prod.template, 'AWS::Logs::QueryDefinition')).find((q) =>
      (q.Properties.Name as string).endsWith('slowest batches'),
    );
    expect(slowest?.Properties.QueryString).toMatch(
      /^filter ispresent\(BatchDuration\) and stack = "streaming-pipeline-prod"\n/,
    );
  });

  it('keeps only this stack’s EMF lines in the slowest-batches query', () => {
    expect(aggregatorQueries('Monitored')['slowest batches'].split('\n')[0]).toBe(
      'filter ispresent(BatchDuration) and stack = "Monitored"',
    );
  });
});

describe('Monitoring stream reader alarms, by consumer mode', () => {
  let polling: Template;
  let efo: Template;
  beforeAll(() => {
    polling = synthPipeline().template;
    efo = synthPipeline({ 'aggregator.consumer': 'efo' }).template;
  });

  const description = (template: Template, alarm: string): string => {
    const found = [...alarmsByName(template)].find(([name]) => name.endsWith(`-${alarm}`));
    expect(found, alarm).toBeDefined();
    return found![1].AlarmDescription as string;
  };

  it('points the failure-queue alarm at npm run redrive for this stack', () => {
    expect(description(polling, 'FailureQueueMessages')).toContain('npm run redrive -- --stack StreamingPipeline');
  });

  it('with polling, counts the aggregator among the readers that share GetRecords limits', () => {
    expect(description(polling, 'StreamIteratorAge')).toMatch(
      /polls it with GetRecords \(the aggregator or a Firehose/,
    );
    expect(description(polling, 'StreamReadThrottled')).toMatch(/shared by the aggregator and every Firehose delivery/);
    expect(description(polling, 'StreamReadThrottled')).toContain('aggregator.consumer=efo');
    expect(description(polling, 'ArchiveThrottledReads')).toContain('shares with the aggregator');
  });

  it('with enhanced fan-out, leaves the aggregator out of the GetRecords metrics and points at its own alarm', () => {
    const age = description(efo, 'StreamIteratorAge');
    expect(age).toMatch(/^A Firehose delivery, which polls the stream/);
    expect(age).toContain('AggregatorIteratorAge');
    const throttled = description(efo, 'StreamReadThrottled');
    expect(throttled).toMatch(/aggregator reads through its enhanced fan-out consumer, with its own 2 MiB per second/);
    expect(throttled).not.toMatch(/shared by the aggregator/);
    expect(description(efo, 'ArchiveThrottledReads')).not.toContain('shares with the aggregator');
  });

  it('words each text for its mode only', () => {
    expect(streamReaderTexts(false)).not.toEqual(streamReaderTexts(true));
    expect(streamReaderTexts(true).iteratorAge).not.toMatch(/\(the aggregator or/);
  });
});
