import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmRule,
  AlarmState,
  AlarmStatusWidget,
  ComparisonOperator,
  CompositeAlarm,
  Dashboard,
  GraphWidget,
  type IMetric,
  type IWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IStream, IStreamConsumer } from 'aws-cdk-lib/aws-kinesis';
import type { IEventSourceMapping, IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { IDomain } from 'aws-cdk-lib/aws-opensearchservice';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, aggregatorMetricDimensions } from '../../lambda/shared/constants';
import { AlarmTopic } from './alarm-topic';
import { LogQueries } from './log-queries';

/** The parts of the aggregator that have metrics or logs. */
export interface MonitoredAggregator {
  readonly function: IFunction;
  /** The function's timeout: the `Duration` alarm is a share of it. */
  readonly timeout: Duration;
  /** Its metrics config must include `EventCount` for the mapping's metrics to exist. */
  readonly eventSourceMapping: IEventSourceMapping;
  readonly failureQueue: IQueue;
  readonly logGroup: ILogGroup;
  /**
   * The enhanced fan-out consumer the mapping reads through: the aggregator then has its own read
   * throughput and is out of the stream's GetRecords metrics, which the alarm texts say.
   * @default none: the aggregator polls the stream with GetRecords
   */
  readonly consumer?: IStreamConsumer;
}

/** A Firehose delivery stream, by name, and how long it buffers before it writes. */
export interface MonitoredDelivery {
  readonly deliveryStreamName: string;
  readonly bufferInterval: Duration;
}

export interface MonitoredSearch extends MonitoredDelivery {
  readonly domain: IDomain;
  /** EBS volume of one data node: `FreeStorageSpace` is alarmed per node. */
  readonly volumeGiB: number;
}

export interface MonitoringProps {
  readonly stream: IStream;
  readonly aggregator: MonitoredAggregator;
  readonly table: ITableV2;
  /** The archive delivery (Firehose to S3). */
  readonly archive: MonitoredDelivery;
  /**
   * The search leg (Firehose to OpenSearch); its alarms and dashboard row exist only when it is given.
   * @default no search alarms or widgets
   */
  readonly search?: MonitoredSearch;
  /**
   * Subscribed to the alarm topic by email.
   * @default no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Oldest-record age that alarms, for the stream's readers and for the aggregator.
   * @default Duration.minutes(1)
   */
  readonly iteratorAge?: Duration;
  /**
   * The aggregator's p90 `Duration` alarm, as a percentage of its timeout.
   * @default 80
   */
  readonly durationPercentOfTimeout?: number;
  /**
   * Consecutive minutes with throttling before a throttle alarm fires.
   * @default 5
   */
  readonly throttleMinutes?: number;
  /**
   * Poison records in five minutes that raise the poison warning.
   * @default 1
   */
  readonly poisonRecordsPer5Min?: number;
  /**
   * Added to each delivery stream's buffer interval to make its `DataFreshness` threshold.
   * @default Duration.minutes(5)
   */
  readonly freshnessMargin?: Duration;
  /**
   * `FreeStorageSpace` alarm as a percentage of one data node's volume.
   * @default 25
   */
  readonly freeStoragePercent?: number;
  /**
   * @default 95
   */
  readonly jvmMemoryPressurePercent?: number;
  /**
   * @default 80
   */
  readonly cpuUtilizationPercent?: number;
  /**
   * Dashboard name, and the prefix of every alarm's name and of the saved queries' folder.
   * @default the stack name
   */
  readonly name?: string;
  /**
   * Of the alarm topic's KMS key.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

interface AlarmSpec {
  readonly metric: IMetric;
  readonly threshold: number;
  readonly comparison: ComparisonOperator;
  readonly evaluationPeriods?: number;
  readonly datapointsToAlarm?: number;
  readonly treatMissingData: TreatMissingData;
  /** Part of the pipeline health alarm: data is late, lost or cannot be written. */
  readonly critical: boolean;
  readonly description: string;
}

/**
 * The stream-level reader alarms' texts. `GetRecords.IteratorAgeMilliseconds` and
 * `ReadProvisionedThroughputExceeded` count GetRecords calls only (CloudWatch User Guide, "Amazon
 * Kinesis Data Streams metrics and dimensions"); an enhanced fan-out consumer receives through
 * SubscribeToShard with its own 2 MB/s per shard, not shared with other readers (Kinesis Developer
 * Guide, "Develop enhanced fan-out consumers with dedicated throughput"), so with one the aggregator
 * is in neither metric.
 */
export function streamReaderTexts(aggregatorUsesEfo: boolean): { iteratorAge: string; readThrottled: string } {
  if (!aggregatorUsesEfo) {
    return {
      iteratorAge:
        "A reader of the stream that polls it with GetRecords (the aggregator or a Firehose delivery) is falling behind; records near the stream's retention are lost. First check: the aggregator's IteratorAge, Errors and Duration, then the delivery streams' freshness.",
      readThrottled:
        'The readers exceed the stream read limits (5 GetRecords calls and 2 MiB per second per shard, shared by the aggregator and every Firehose delivery, all of which poll). First check: how many readers the stream has; consider enhanced fan-out for the aggregator (aggregator.consumer=efo).',
    };
  }
  return {
    iteratorAge:
      "A Firehose delivery, which polls the stream with GetRecords, is falling behind; records near the stream's retention are lost. This metric leaves out the aggregator, which reads through its enhanced fan-out consumer: its lag is the AggregatorIteratorAge alarm. First check: the delivery streams' freshness and ThrottledGetRecords.",
    readThrottled:
      "The Firehose deliveries exceed the stream's shared read limits (5 GetRecords calls and 2 MiB per second per shard, shared by the readers that poll). The aggregator reads through its enhanced fan-out consumer, with its own 2 MiB per second per shard, and is not counted here. First check: how many readers poll the stream.",
  };
}

const ONE_MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);
const GTE = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
const GT = ComparisonOperator.GREATER_THAN_THRESHOLD;
const LT = ComparisonOperator.LESS_THAN_THRESHOLD;
const LTE = ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD;
// Most of these metrics are only published while something happens (a throttle, an invocation, a
// delivery): no data means nothing is wrong.
const QUIET_IS_OK = TreatMissingData.NOT_BREACHING;
// OpenSearch publishes its health every minute; a gap leaves the alarm INSUFFICIENT_DATA (grey on the
// dashboard) rather than paging or hiding it.
const GAP_IS_UNKNOWN = TreatMissingData.MISSING;

function firehoseMetric(
  deliveryStreamName: string,
  metricName: string,
  statistic: string,
  period: Duration,
  label: string,
): Metric {
  return new Metric({
    namespace: 'AWS/Firehose',
    metricName,
    dimensionsMap: { DeliveryStreamName: deliveryStreamName },
    statistic,
    period,
    label,
  });
}

/**
 * The metric without its dashboard label: a labelled metric makes the alarm a one-metric query
 * (`Metrics`), where the plain form (`MetricName`, `Statistic`) reads better in the console and the template.
 */
function unlabelled(metric: IMetric): IMetric {
  if (!(metric instanceof Metric) || metric.label === undefined) return metric;
  return new Metric({
    namespace: metric.namespace,
    metricName: metric.metricName,
    dimensionsMap: metric.dimensions,
    statistic: metric.statistic,
    period: metric.period,
    unit: metric.unit,
  });
}

/** A 6-unit-high graph; alarms given are drawn as threshold lines on the left axis. */
function graph(
  title: string,
  left: IMetric[],
  opts: { right?: IMetric[]; alarms?: Alarm[]; width?: number } = {},
): GraphWidget {
  return new GraphWidget({
    title,
    left,
    right: opts.right,
    leftAnnotations: (opts.alarms ?? []).map((a) => a.toAnnotation()),
    width: opts.width ?? 6,
    height: 6,
  });
}

/** The title line of a dashboard row. */
function header(markdown: string): TextWidget {
  return new TextWidget({ markdown, width: 24, height: 1 });
}

/**
 * Operations for the whole pipeline: an SNS topic (KMS, TLS only, optional email), an alarm for each
 * way the pipeline fails, each with an alarm and an OK action on the topic, a composite "pipeline
 * health" alarm over the critical ones, one dashboard in rows (ingest, processing, storage,
 * delivery, search), and saved Logs Insights queries on the aggregator's log group.
 *
 * Plain CloudWatch constructs rather than cdk-monitoring-constructs: half of the alarms here
 * (Firehose delivery, the event source mapping, the custom metrics) are outside that library, and the
 * rest are one line each.
 */
export class Monitoring extends Construct {
  readonly topic: ITopic;
  /** Every metric alarm, by id (also the suffix of its name). */
  readonly alarms: Readonly<Record<string, Alarm>>;
  /** Any critical alarm in ALARM. */
  readonly healthAlarm: CompositeAlarm;
  readonly dashboard: Dashboard;
  /** The dashboard in the CloudWatch console. */
  readonly dashboardUrl: string;
  readonly queries: LogQueries;

  private readonly alarmMap: Record<string, Alarm> = {};
  private readonly critical: Alarm[] = [];
  private readonly prefix: string;
  private readonly action: SnsAction;
  private readonly throttleMinutes: number;
  private readonly freshnessMargin: Duration;
  private readonly aggregatorPolls: boolean;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.prefix = props.name ?? stack.stackName;
    this.alarms = this.alarmMap;

    const alarmTopic = new AlarmTopic(this, 'AlarmTopic', {
      email: props.alarmEmail,
      removalPolicy: props.removalPolicy,
    });
    this.topic = alarmTopic.topic;
    this.action = new SnsAction(this.topic);

    const iteratorAgeMs = (props.iteratorAge ?? Duration.minutes(1)).toMilliseconds();
    this.throttleMinutes = props.throttleMinutes ?? 5;
    this.aggregatorPolls = props.aggregator.consumer === undefined;
    this.freshnessMargin = props.freshnessMargin ?? Duration.minutes(5);
    const durationPercent = props.durationPercentOfTimeout ?? 80;
    const sustained = this.sustained.bind(this);

    // Ingest: the stream.
    const streamDims = { StreamName: props.stream.streamName };
    const kinesis = (name: string, statistic: string, label?: string): Metric =>
      new Metric({
        namespace: 'AWS/Kinesis',
        metricName: name,
        dimensionsMap: streamDims,
        statistic,
        period: ONE_MINUTE,
        label,
      });
    const streamIteratorAge = kinesis('GetRecords.IteratorAgeMilliseconds', 'Maximum', 'Oldest unread record (ms)');
    const writeThrottled = kinesis('WriteProvisionedThroughputExceeded', 'Sum', 'Write throttled');
    const readThrottled = kinesis('ReadProvisionedThroughputExceeded', 'Sum', 'Read throttled');
    const putFailed = kinesis('PutRecords.FailedRecords', 'Sum', 'PutRecords failed records');

    const readers = streamReaderTexts(!this.aggregatorPolls);
    const ingestAlarms = {
      StreamIteratorAge: this.alarm('StreamIteratorAge', {
        metric: streamIteratorAge,
        threshold: iteratorAgeMs,
        comparison: GT,
        evaluationPeriods: 5,
        datapointsToAlarm: 5,
        treatMissingData: QUIET_IS_OK,
        critical: true,
        description: readers.iteratorAge,
      }),
      StreamWriteThrottled: this.alarm(
        'StreamWriteThrottled',
        sustained(
          writeThrottled,
          false,
          'Producers write faster than the stream accepts. First check: IncomingRecords and IncomingBytes per shard; in provisioned mode add shards, on demand check for a hot partition key.',
        ),
      ),
      StreamReadThrottled: this.alarm('StreamReadThrottled', sustained(readThrottled, false, readers.readThrottled)),
      PutRecordsFailed: this.alarm(
        'PutRecordsFailed',
        sustained(
          putFailed,
          false,
          'PutRecords calls return failed records (throttling or internal errors); producers must retry them. First check: WriteProvisionedThroughputExceeded and the producers retry logs.',
        ),
      ),
    };

    // Processing: the aggregator, its event source mapping, failure queue and custom metrics.
    const fn = props.aggregator.function;
    const lambda = (name: string, statistic: string, period = ONE_MINUTE, label?: string): Metric =>
      new Metric({
        namespace: 'AWS/Lambda',
        metricName: name,
        dimensionsMap: { FunctionName: fn.functionName },
        statistic,
        period,
        label,
      });
    const esm = (name: string, label: string): Metric =>
      new Metric({
        namespace: 'AWS/Lambda',
        metricName: name,
        dimensionsMap: { EventSourceMappingUUID: props.aggregator.eventSourceMapping.eventSourceMappingId },
        statistic: 'Sum',
        period: ONE_MINUTE,
        label,
      });
    // The aggregator publishes every custom metric with exactly these dimensions: its service and
    // the name of its stack (METRICS_STACK), so another stage in the account and Region is not read.
    const customDims = aggregatorMetricDimensions(stack.stackName);
    const custom = (name: string, statistic: string, period = ONE_MINUTE, label?: string): Metric =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: name,
        dimensionsMap: customDims,
        statistic,
        period,
        label,
      });
    const iteratorAge = lambda('IteratorAge', 'Maximum', ONE_MINUTE, 'Oldest record in a batch (ms)');
    const errors = lambda('Errors', 'Sum', FIVE_MINUTES, 'Errors');
    const throttles = lambda('Throttles', 'Sum', ONE_MINUTE, 'Throttles');
    const durationP90 = lambda('Duration', 'p90', FIVE_MINUTES, 'Duration p90 (ms)');
    const failedInvokes = esm('FailedInvokeEventCount', 'Failed invoke events');
    const dropped = esm('DroppedEventCount', 'Dropped events');
    const queueVisible = new Metric({
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensionsMap: { QueueName: props.aggregator.failureQueue.queueName },
      statistic: 'Maximum',
      period: ONE_MINUTE,
      label: 'Failed batches waiting',
    });
    const poison = custom('PoisonRecords', 'Sum', FIVE_MINUTES, 'Poison records');
    const timeoutMs = props.aggregator.timeout.toMilliseconds();

    const processingAlarms = {
      AggregatorIteratorAge: this.alarm('AggregatorIteratorAge', {
        metric: iteratorAge,
        threshold: iteratorAgeMs,
        comparison: GT,
        evaluationPeriods: 5,
        datapointsToAlarm: 5,
        treatMissingData: QUIET_IS_OK,
        critical: true,
        description:
          'The aggregator is behind the stream: aggregates are late, and records older than the maximum record age are given up. First check: Errors, Duration and Throttles of the function, DynamoDB throttles, then the slowest-batches query.',
      }),
      AggregatorErrors: this.whenAny(
        'AggregatorErrors',
        errors,
        true,
        QUIET_IS_OK,
        'The aggregator failed whole invocations (an exception or a timeout); Lambda retries and bisects the batch, which holds its shard back. First check: the errors-by-type query.',
      ),
      AggregatorThrottles: this.alarm(
        'AggregatorThrottles',
        sustained(
          throttles,
          false,
          'Lambda refuses to run the aggregator: the account or function concurrency is used up. First check: ConcurrentExecutions of the account and reserved concurrency of other functions.',
        ),
      ),
      AggregatorDuration: this.alarm('AggregatorDuration', {
        metric: durationP90,
        threshold: Math.round((timeoutMs * durationPercent) / 100),
        comparison: GTE,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: QUIET_IS_OK,
        critical: false,
        description: `One batch in ten takes ${durationPercent}% of the timeout (${timeoutMs} ms) or more, for 15 minutes; a slower batch times out and is retried. First check: the slowest-batches query and DynamoDB latency; lower the batch size or raise the memory.`,
      }),
      MappingFailedInvokes: this.whenAny(
        'MappingFailedInvokes',
        failedInvokes.with({ period: FIVE_MINUTES }),
        false,
        QUIET_IS_OK,
        'The event source mapping invoked the aggregator with events and the invocation failed; they will be retried. First check: the errors-by-type query.',
      ),
      MappingDroppedEvents: this.whenAny(
        'MappingDroppedEvents',
        dropped,
        true,
        QUIET_IS_OK,
        'Records were given up after the retries or the maximum record age and could not be sent to the failure queue: they are not in the aggregates and not recorded anywhere. First check: the function role can still sqs:SendMessage to the queue, then replay the time range from the archive.',
      ),
      FailureQueueMessages: this.whenAny(
        'FailureQueueMessages',
        queueVisible,
        true,
        QUIET_IS_OK,
        `A batch exhausted its retries or its maximum record age; its shard and sequence range is in the failure queue, and those records are not in the aggregates yet. First check: the errors-by-type query at that time; once the cause is fixed, apply them exactly once with npm run redrive -- --stack ${Stack.of(this).stackName} (docs/redrive.md).`,
      ),
      PoisonRecords: this.alarm('PoisonRecords', {
        metric: poison,
        threshold: props.poisonRecordsPer5Min ?? 1,
        comparison: GTE,
        evaluationPeriods: 1,
        treatMissingData: QUIET_IS_OK,
        critical: false,
        description:
          'Producers send records that break the event contract; they are parked whole in the dead-letter bucket and do not block the stream. First check: the poison-records-by-reason query, then the producer that sends them.',
      }),
    };

    // Storage: the aggregates table.
    const table = props.table;
    const dynamo = (name: string, statistic: string, extra: Record<string, string> = {}, label?: string): Metric =>
      new Metric({
        namespace: 'AWS/DynamoDB',
        metricName: name,
        dimensionsMap: { TableName: table.tableName, ...extra },
        statistic,
        period: ONE_MINUTE,
        label,
      });
    // The aggregator's GetItem, UpdateItem and PutItem (sketch items), and the dashboard API's Query.
    const operations = ['GetItem', 'UpdateItem', 'PutItem', 'Query'];
    const systemErrors = new MathExpression({
      expression: operations.map((op) => `FILL(${op.toLowerCase()}, 0)`).join(' + '),
      usingMetrics: Object.fromEntries(
        operations.map((op) => [
          op.toLowerCase(),
          dynamo('SystemErrors', 'Sum', { Operation: op }).with({ period: FIVE_MINUTES }),
        ]),
      ),
      label: 'System errors',
      period: FIVE_MINUTES,
    });
    const readThrottleEvents = dynamo('ReadThrottleEvents', 'Sum', {}, 'Read throttle events');
    const writeThrottleEvents = dynamo('WriteThrottleEvents', 'Sum', {}, 'Write throttle events');

    const storageAlarms = {
      TableReadThrottles: this.alarm(
        'TableReadThrottles',
        sustained(
          readThrottleEvents,
          false,
          'DynamoDB throttles reads of the aggregates table (the aggregator re-reading watermarks, the dashboard API querying). First check: ConsumedReadCapacityUnits and whether one type partition is hot.',
        ),
      ),
      TableWriteThrottles: this.alarm(
        'TableWriteThrottles',
        sustained(
          writeThrottleEvents,
          false,
          'DynamoDB throttles the aggregator writes: one aggregate item or partition takes more than 1,000 writes a second, or the byType index cannot keep up. First check: ConsumedWriteCapacityUnits and the keys of the busiest windows.',
        ),
      ),
      TableSystemErrors: this.whenAny(
        'TableSystemErrors',
        systemErrors,
        false,
        QUIET_IS_OK,
        'DynamoDB answered with internal errors (HTTP 500); the SDK retries them. First check: the AWS Health Dashboard for DynamoDB in this region.',
      ),
    };

    // Delivery: Firehose to S3 (and, below, to OpenSearch).
    const archive = this.deliveryAlarms('Archive', 'archive delivery (Firehose to S3)', props.archive, 'S3');
    const archiveName = props.archive.deliveryStreamName;

    // Search: the delivery to OpenSearch and the domain.
    let searchRows: IWidget[][] = [];
    if (props.search !== undefined) {
      searchRows = this.searchAlarmsAndWidgets(props.search, {
        freeStoragePercent: props.freeStoragePercent ?? 25,
        jvmMemoryPressurePercent: props.jvmMemoryPressurePercent ?? 95,
        cpuUtilizationPercent: props.cpuUtilizationPercent ?? 80,
      });
    }

    this.healthAlarm = new CompositeAlarm(this, 'PipelineHealth', {
      compositeAlarmName: `${this.prefix}-PipelineHealth`,
      alarmDescription: `The pipeline is late, losing data or cannot write: one of ${this.critical.length} critical alarms is in ALARM. First check: the alarm status at the top of the ${this.prefix} dashboard.`,
      alarmRule: AlarmRule.anyOf(...this.critical.map((a) => AlarmRule.fromAlarm(a, AlarmState.ALARM))),
    });
    this.healthAlarm.addAlarmAction(this.action);
    this.healthAlarm.addOkAction(this.action);

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: this.prefix,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new AlarmStatusWidget({
        title: 'Alarms (pipeline health first)',
        alarms: [this.healthAlarm, ...Object.values(this.alarmMap)],
        width: 24,
        height: 6,
      }),
    );

    this.dashboard.addWidgets(header('### Ingest: the Kinesis stream'));
    this.dashboard.addWidgets(
      graph('Incoming records (left) and bytes (right)', [kinesis('IncomingRecords', 'Sum', 'Records')], {
        right: [kinesis('IncomingBytes', 'Sum', 'Bytes')],
      }),
      graph('PutRecords latency (ms)', [
        kinesis('PutRecords.Latency', 'Average', 'Average'),
        kinesis('PutRecords.Latency', 'Maximum', 'Maximum'),
      ]),
      graph('Write throttles and failed records', [
        writeThrottled,
        putFailed,
        kinesis('PutRecords.ThrottledRecords', 'Sum', 'PutRecords throttled records'),
      ]),
      graph('Readers: iterator age (left), read throttles (right)', [streamIteratorAge], {
        right: [readThrottled],
        alarms: [ingestAlarms.StreamIteratorAge],
      }),
    );

    this.dashboard.addWidgets(header('### Processing: the aggregator, its event source mapping and failure queue'));
    this.dashboard.addWidgets(
      graph('Aggregator iterator age (ms)', [iteratorAge], {
        alarms: [processingAlarms.AggregatorIteratorAge],
        width: 8,
      }),
      graph(
        'Duration (ms)',
        [
          lambda('Duration', 'p50', FIVE_MINUTES, 'p50'),
          durationP90,
          lambda('Duration', 'Maximum', FIVE_MINUTES, 'Maximum'),
        ],
        { alarms: [processingAlarms.AggregatorDuration], width: 8 },
      ),
      graph('Errors and throttles (left), invocations (right)', [errors, throttles.with({ period: FIVE_MINUTES })], {
        right: [lambda('Invocations', 'Sum', FIVE_MINUTES, 'Invocations')],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      graph('Concurrent executions', [lambda('ConcurrentExecutions', 'Maximum', ONE_MINUTE, 'Concurrent executions')], {
        width: 8,
      }),
      graph(
        'Records in batches',
        [
          custom('RecordsIn', 'Sum', FIVE_MINUTES, 'Kinesis records'),
          custom('UserRecords', 'Sum', FIVE_MINUTES, 'User records'),
          poison,
        ],
        { alarms: [processingAlarms.PoisonRecords], width: 8 },
      ),
      graph(
        'Aggregate writes',
        [
          custom('AggregateWrites', 'Sum', FIVE_MINUTES, 'Write requests'),
          custom('AggregateReads', 'Sum', FIVE_MINUTES, 'Reads of sketch items'),
          custom('ConditionalReplays', 'Sum', FIVE_MINUTES, 'Conditional replays'),
          custom('LateEvents', 'Sum', FIVE_MINUTES, 'Late events (past allowedLateness)'),
        ],
        { width: 8 },
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Batch lag and batch duration (ms)',
        [
          custom('BatchLag', 'Maximum', ONE_MINUTE, 'Batch lag (max)'),
          custom('BatchDuration', 'Maximum', ONE_MINUTE, 'Batch duration (max)'),
        ],
        { width: 8 },
      ),
      graph(
        'Event source mapping',
        [
          esm('PolledEventCount', 'Polled'),
          esm('InvokedEventCount', 'Invoked'),
          failedInvokes,
          dropped,
          esm('OnFailureDestinationDeliveredEventCount', 'Sent to the failure queue'),
        ],
        { width: 8 },
      ),
      graph('Failure queue: failed batches waiting', [queueVisible], {
        alarms: [processingAlarms.FailureQueueMessages],
        width: 8,
      }),
    );

    this.dashboard.addWidgets(header('### Storage: the aggregates table'));
    this.dashboard.addWidgets(
      graph('Consumed capacity units', [
        dynamo('ConsumedWriteCapacityUnits', 'Sum', {}, 'Write'),
        dynamo('ConsumedReadCapacityUnits', 'Sum', {}, 'Read'),
      ]),
      graph('Throttle events', [writeThrottleEvents, readThrottleEvents]),
      graph('System errors', [systemErrors], { alarms: [storageAlarms.TableSystemErrors] }),
      graph(
        'Successful request latency (ms)',
        operations.map((op) => dynamo('SuccessfulRequestLatency', 'Average', { Operation: op }, op)),
      ),
    );

    this.dashboard.addWidgets(header('### Delivery: Firehose to the S3 archive'));
    this.dashboard.addWidgets(
      graph('Archive freshness (s)', [archive.freshness.metric], { alarms: [archive.freshness] }),
      graph('Archive delivery success', [archive.success.metric], { alarms: [archive.success] }),
      graph('Archive bytes read and delivered', [
        firehoseMetric(archiveName, 'DataReadFromKinesisStream.Bytes', 'Sum', FIVE_MINUTES, 'Read from the stream'),
        firehoseMetric(archiveName, 'DeliveryToS3.Bytes', 'Sum', FIVE_MINUTES, 'Delivered to S3'),
      ]),
      graph('Archive throttled GetRecords', [archive.throttled.metric]),
    );

    for (const row of searchRows) this.dashboard.addWidgets(...row);

    this.dashboardUrl = `https://${stack.region}.console.aws.amazon.com/cloudwatch/home?region=${stack.region}#dashboards:name=${this.dashboard.dashboardName}`;

    this.queries = new LogQueries(this, 'Queries', {
      logGroup: props.aggregator.logGroup,
      folder: this.prefix,
      metricsStack: stack.stackName,
    });
  }

  private searchAlarmsAndWidgets(
    search: MonitoredSearch,
    h: {
      freeStoragePercent: number;
      jvmMemoryPressurePercent: number;
      cpuUtilizationPercent: number;
    },
  ): IWidget[][] {
    const domain = search.domain;
    const es = (name: string, statistic: string, period = ONE_MINUTE, label?: string): Metric =>
      domain.metric(name, { statistic, period, label });
    const transformSuccess = firehoseMetric(
      search.deliveryStreamName,
      'ExecuteProcessing.Success',
      'Average',
      FIVE_MINUTES,
      'Transform invocations succeeded (ratio)',
    );
    const delivery = this.deliveryAlarms(
      'Search',
      'search delivery (Firehose to OpenSearch)',
      search,
      'AmazonOpenSearchService',
    );
    const freeStorageMiB = Math.floor((search.volumeGiB * 1024 * h.freeStoragePercent) / 100);

    // No yellow alarm: a one-node domain (dev) can never place its replicas and is always yellow.
    const red = es('ClusterStatus.red', 'Maximum', ONE_MINUTE, 'Red');
    const writesBlocked = es('ClusterIndexWritesBlocked', 'Maximum', FIVE_MINUTES, 'Index writes blocked');
    const freeStorage = es('FreeStorageSpace', 'Minimum', ONE_MINUTE, 'Free storage, least-free node (MiB)');
    const jvm = es('JVMMemoryPressure', 'Maximum', ONE_MINUTE, 'JVM memory pressure (%)');
    const cpu = es('CPUUtilization', 'Maximum', Duration.minutes(15), 'CPU (%)');
    const snapshot = es('AutomatedSnapshotFailure', 'Maximum', ONE_MINUTE, 'Automated snapshot failure');
    const kmsError = es('KMSKeyError', 'Maximum', ONE_MINUTE, 'KMS key error');
    const kmsInaccessible = es('KMSKeyInaccessible', 'Maximum', ONE_MINUTE, 'KMS key inaccessible');

    const alarms = {
      transform: this.alarm('SearchTransformSuccess', {
        metric: transformSuccess,
        threshold: 1,
        comparison: LT,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: QUIET_IS_OK,
        critical: true,
        description:
          'Firehose failed to invoke the search transform function in each of three 5-minute periods; it backs the records up to S3 instead of indexing them. First check: the transform function errors and its log group.',
      }),
      red: this.whenAny(
        'SearchClusterRed',
        red,
        true,
        GAP_IS_UNKNOWN,
        'At least one primary shard is unassigned: its index is partly unsearchable and writes to it fail. First check: GET _cluster/allocation/explain, FreeStorageSpace and JVMMemoryPressure.',
      ),
      writesBlocked: this.whenAny(
        'SearchWritesBlocked',
        writesBlocked,
        true,
        GAP_IS_UNKNOWN,
        'The domain refuses writes (ClusterBlockException): usually disk or JVM memory is short; Firehose backs the documents up to S3. First check: FreeStorageSpace and JVMMemoryPressure.',
      ),
      freeStorage: this.alarm('SearchFreeStorage', {
        metric: freeStorage,
        threshold: freeStorageMiB,
        comparison: LTE,
        evaluationPeriods: 1,
        treatMissingData: GAP_IS_UNKNOWN,
        critical: true,
        description: `A data node has ${h.freeStoragePercent}% of its ${search.volumeGiB} GiB volume (${freeStorageMiB} MiB) or less free; writes are blocked when it runs out. First check: index sizes (GET _cat/indices), then delete old indices or grow the volume.`,
      }),
      jvm: this.alarm('SearchJvmMemoryPressure', {
        metric: jvm,
        threshold: h.jvmMemoryPressurePercent,
        comparison: GTE,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: GAP_IS_UNKNOWN,
        critical: false,
        description: `JVM memory pressure at ${h.jvmMemoryPressurePercent}% or more for three minutes: the domain will start refusing requests. First check: shard count per node and heavy aggregations; scale the data node type up.`,
      }),
      cpu: this.alarm('SearchCpu', {
        metric: cpu,
        threshold: h.cpuUtilizationPercent,
        comparison: GTE,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: GAP_IS_UNKNOWN,
        critical: false,
        description: `CPU at ${h.cpuUtilizationPercent}% or more on a node for 45 minutes. First check: IndexingRate and search traffic; add data nodes or a larger type.`,
      }),
      snapshot: this.whenAny(
        'SearchSnapshotFailure',
        snapshot,
        false,
        QUIET_IS_OK,
        'An automated snapshot failed, usually because the cluster is red. First check: ClusterStatus.red, then GET _snapshot/cs-automated-enc/_all.',
      ),
      kmsError: this.whenAny(
        'SearchKmsKeyError',
        kmsError,
        true,
        QUIET_IS_OK,
        'The KMS key encrypting the domain at rest is disabled. First check: the key state in KMS; re-enable it.',
      ),
      kmsInaccessible: this.whenAny(
        'SearchKmsKeyInaccessible',
        kmsInaccessible,
        true,
        QUIET_IS_OK,
        'The KMS key encrypting the domain at rest was deleted or its grants revoked: the domain cannot read its data. First check: the key state and grants in KMS.',
      ),
    };
    const name = search.deliveryStreamName;
    return [
      [header('### Search: Firehose to OpenSearch, and the domain')],
      [
        graph(
          'Cluster status (a one-node domain is always yellow)',
          [
            es('ClusterStatus.green', 'Maximum', ONE_MINUTE, 'Green'),
            es('ClusterStatus.yellow', 'Maximum', ONE_MINUTE, 'Yellow'),
            red,
          ],
          { alarms: [alarms.red] },
        ),
        graph(
          'Indexing rate (left), searchable documents (right)',
          [es('IndexingRate', 'Average', ONE_MINUTE, 'Indexing operations per minute')],
          { right: [es('SearchableDocuments', 'Maximum', FIVE_MINUTES, 'Searchable documents')] },
        ),
        graph('Free storage (MiB)', [freeStorage], { alarms: [alarms.freeStorage] }),
        graph('JVM memory pressure and CPU (%)', [jvm, cpu], { alarms: [alarms.jvm, alarms.cpu] }),
      ],
      [
        graph('Writes blocked, snapshot and KMS failures', [writesBlocked, snapshot, kmsError, kmsInaccessible]),
        graph('Search delivery freshness (s)', [delivery.freshness.metric], { alarms: [delivery.freshness] }),
        graph(
          'Search delivery and transform success (left), records (right)',
          [delivery.success.metric, transformSuccess],
          {
            alarms: [delivery.success],
            right: [
              firehoseMetric(
                name,
                'DeliveryToAmazonOpenSearchService.Records',
                'Sum',
                FIVE_MINUTES,
                'Records delivered',
              ),
            ],
          },
        ),
        graph('Search throttled GetRecords', [delivery.throttled.metric]),
      ],
    ];
  }

  /** Throttles are retried by every client here; only throttling in every minute of a run is a problem. */
  private sustained(metric: IMetric, critical: boolean, description: string): AlarmSpec {
    return {
      metric,
      threshold: 1,
      comparison: GTE,
      evaluationPeriods: this.throttleMinutes,
      datapointsToAlarm: this.throttleMinutes,
      treatMissingData: QUIET_IS_OK,
      critical,
      description: `${description} Alarms when throttled in each of ${this.throttleMinutes} consecutive minutes.`,
    };
  }

  /** Freshness, success and read throttling of one Firehose delivery stream reading the stream. */
  private deliveryAlarms(
    idPrefix: string,
    what: string,
    delivery: MonitoredDelivery,
    destination: 'S3' | 'AmazonOpenSearchService',
  ): { freshness: Alarm; success: Alarm; throttled: Alarm } {
    const marginSeconds = this.freshnessMargin.toSeconds();
    const freshnessSeconds = delivery.bufferInterval.toSeconds() + marginSeconds;
    const name = delivery.deliveryStreamName;
    return {
      freshness: this.alarm(`${idPrefix}Freshness`, {
        metric: firehoseMetric(
          name,
          `DeliveryTo${destination}.DataFreshness`,
          'Maximum',
          FIVE_MINUTES,
          'Oldest record not delivered (s)',
        ),
        threshold: freshnessSeconds,
        comparison: GT,
        evaluationPeriods: 1,
        treatMissingData: QUIET_IS_OK,
        critical: true,
        description: `The ${what} holds records older than its buffer interval plus ${marginSeconds} s (${freshnessSeconds} s): delivery is failing or slow. First check: DeliveryTo${destination}.Success and the delivery stream's error logs.`,
      }),
      success: this.alarm(`${idPrefix}Success`, {
        metric: firehoseMetric(
          name,
          `DeliveryTo${destination}.Success`,
          'Average',
          FIVE_MINUTES,
          'Successful deliveries (ratio)',
        ),
        threshold: 1,
        comparison: LT,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: QUIET_IS_OK,
        critical: true,
        description: `Deliveries of the ${what} failed in each of three 5-minute periods; Firehose retries, then writes what it cannot deliver under its error prefix. First check: the delivery stream's error logs (permissions, the destination's health).`,
      }),
      throttled: this.alarm(
        `${idPrefix}ThrottledReads`,
        this.sustained(
          firehoseMetric(name, 'ThrottledGetRecords', 'Sum', ONE_MINUTE, 'Throttled GetRecords'),
          false,
          `The ${what} is throttled reading the stream, ${this.aggregatorPolls ? 'which it shares with the aggregator and any other delivery' : 'which it shares with any other delivery (the aggregator reads through its own enhanced fan-out consumer)'}. First check: ReadProvisionedThroughputExceeded of the stream and how many readers poll it.`,
        ),
      ),
    };
  }

  /** Alarms when the metric is at least 1 in one period: each such datapoint is an incident. */
  private whenAny(
    id: string,
    metric: IMetric,
    critical: boolean,
    treatMissingData: TreatMissingData,
    description: string,
  ): Alarm {
    return this.alarm(id, {
      metric,
      threshold: 1,
      comparison: GTE,
      evaluationPeriods: 1,
      treatMissingData,
      critical,
      description,
    });
  }

  private alarm(id: string, spec: AlarmSpec): Alarm {
    const alarm = new Alarm(this, id, {
      alarmName: `${this.prefix}-${id}`,
      alarmDescription: spec.description,
      metric: unlabelled(spec.metric),
      threshold: spec.threshold,
      comparisonOperator: spec.comparison,
      evaluationPeriods: spec.evaluationPeriods ?? 1,
      datapointsToAlarm: spec.datapointsToAlarm,
      treatMissingData: spec.treatMissingData,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarmMap[id] = alarm;
    if (spec.critical) this.critical.push(alarm);
    return alarm;
  }
}
