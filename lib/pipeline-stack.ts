import { CfnOutput, Duration, Fn, RemovalPolicy, Stack, type StackProps, Token, Validations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { DEFAULT_WINDOW_SECONDS } from '../lambda/shared/aggregate-item';
import { BY_KEY, type Declarations, findAggregate } from '../lambda/shared/declarations';
import { type PipelineConfig, aggregatesFilePath } from './config';
import { AccessLogsBucket } from './constructs/access-logs-bucket';
import { AccessPolicies } from './constructs/access-policies';
import { AggregatesTable } from './constructs/aggregates-table';
import { ArchiveDelivery } from './constructs/archive-delivery';
import { ArchiveQuery } from './constructs/archive-query';
import { Backfill } from './constructs/backfill';
import { Aggregator } from './constructs/aggregator';
import { IngestStream } from './constructs/ingest-stream';
import { Monitoring } from './constructs/monitoring';
import { SearchSink } from './constructs/search-sink';

export interface PipelineStackProps extends StackProps {
  readonly config: PipelineConfig;
  /** The validated declarations of `config.aggregates.file`. */
  readonly declarations: Declarations;
}

/** Search documents carry the window start of `by_key`, so a document and its aggregate line up. */
function searchWindowSeconds(declarations: Declarations): number {
  return findAggregate(declarations, BY_KEY)?.windowSeconds[0] ?? DEFAULT_WINDOW_SECONDS;
}

/** Composition only: each concern lives in its construct under lib/constructs. */
export class PipelineStack extends Stack {
  readonly ingest: IngestStream;
  readonly aggregates: AggregatesTable;
  readonly aggregator: Aggregator;
  readonly archive: ArchiveDelivery;
  readonly search?: SearchSink;
  readonly monitoring: Monitoring;

  /**
   * Env-agnostic synth knows only two zones; a three-zone search domain needs three. The stack
   * then picks them at deploy with Fn::GetAZs, as the VPC does for two.
   */
  override get availabilityZones(): string[] {
    if (!Token.isUnresolved(this.account) && !Token.isUnresolved(this.region)) return super.availabilityZones;
    return [0, 1, 2].map((i) => Fn.select(i, Fn.getAzs()));
  }

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const c = props.config;
    const removalPolicy = c.removal === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    const accessLogs = new AccessLogsBucket(this, 'AccessLogs', { removalPolicy });
    this.ingest = new IngestStream(this, 'Ingest', {
      mode: c.stream.mode,
      shardCount: c.stream.shardCount,
      retention: Duration.hours(c.stream.retentionHours),
      encryption: c.stream.encryption,
      removalPolicy,
    });
    this.aggregates = new AggregatesTable(this, 'Aggregates', {
      removalPolicy,
      byTypeIndex: c.aggregates.byTypeIndex,
    });
    this.aggregator = new Aggregator(this, 'Aggregator', {
      stream: this.ingest.stream,
      consumer: c.aggregator.consumer === 'efo' ? this.ingest.addConsumer('aggregator') : undefined,
      table: this.aggregates.table,
      accessLogsBucket: accessLogs.bucket,
      aggregatesFile: aggregatesFilePath(c),
      byTypeIndex: c.aggregates.byTypeIndex,
      ttlDays: c.aggregates.ttlDays,
      batchSize: c.aggregator.batchSize,
      maxBatchingWindow: Duration.seconds(c.aggregator.maxBatchingWindowSeconds),
      parallelizationFactor: c.aggregator.parallelizationFactor,
      retryAttempts: c.aggregator.retryAttempts,
      maxRecordAge: Duration.seconds(c.aggregator.maxRecordAgeSeconds),
      memorySize: c.aggregator.memoryMb,
      timeout: Duration.seconds(c.aggregator.timeoutSeconds),
      logRetention: c.aggregator.logRetentionDays,
      deadLetterExpiry: Duration.days(c.deadLetter.expireDays),
      removalPolicy,
    });

    this.archive = new ArchiveDelivery(this, 'Archive', {
      stream: this.ingest.stream,
      format: c.archive.format,
      accessLogsBucket: accessLogs.bucket,
      bufferMiB: c.archive.bufferMiB,
      bufferInterval: Duration.seconds(c.archive.bufferSeconds),
      transitionToIa: Duration.days(c.archive.transitionToIaDays),
      expiry: Duration.days(c.archive.expireDays),
      versioned: c.removal === 'retain',
      logRetention: c.aggregator.logRetentionDays,
      removalPolicy,
    });

    const backfill = new Backfill(this, 'Backfill', {
      table: this.aggregates.table,
      archiveBucket: this.archive.bucket,
      aggregatesFile: aggregatesFilePath(c),
      ttlDays: c.aggregates.ttlDays,
      byTypeIndex: c.aggregates.byTypeIndex,
      archiveBufferInterval: Duration.seconds(c.archive.bufferSeconds),
      maxRecordAge: Duration.seconds(c.aggregator.maxRecordAgeSeconds),
      logRetention: c.aggregator.logRetentionDays,
      removalPolicy,
    });
    // What `npm run backfill -- --stack` reads: where to run, and the margins a closed window needs.
    new CfnOutput(this, 'BackfillStateMachineArn', { value: backfill.stateMachine.stateMachineArn });
    new CfnOutput(this, 'AggregateTtlDays', { value: String(c.aggregates.ttlDays) });
    new CfnOutput(this, 'ArchiveBufferSeconds', { value: String(c.archive.bufferSeconds) });
    new CfnOutput(this, 'MaxRecordAgeSeconds', { value: String(c.aggregator.maxRecordAgeSeconds) });

    const archiveQuery = new ArchiveQuery(this, 'ArchiveQuery', {
      table: this.archive.table.table,
      databaseName: this.archive.table.databaseName,
      accessLogsBucket: accessLogs.bucket,
      removalPolicy,
    });

    if (c.search.enabled) {
      this.search = new SearchSink(this, 'Search', {
        ...c.search,
        stream: this.ingest.stream,
        backupBucket: this.archive.bucket,
        windowSeconds: searchWindowSeconds(props.declarations),
        bufferInterval: Duration.seconds(c.search.bufferSeconds),
        retryDuration: Duration.seconds(c.search.retrySeconds),
        logRetention: c.aggregator.logRetentionDays,
        removalPolicy,
      });
      new CfnOutput(this, 'SearchDomainEndpoint', { value: this.search.domain.domain.domainEndpoint });
      new CfnOutput(this, 'SearchDeliveryStreamName', { value: this.search.delivery.deliveryStream.ref });
    }

    const m = c.monitoring;
    this.monitoring = new Monitoring(this, 'Monitoring', {
      stream: this.ingest.stream,
      aggregator: {
        function: this.aggregator.function,
        timeout: Duration.seconds(c.aggregator.timeoutSeconds),
        eventSourceMapping: this.aggregator.eventSourceMapping,
        failureQueue: this.aggregator.failureQueue,
        logGroup: this.aggregator.logGroup,
        consumer: this.aggregator.consumer,
      },
      table: this.aggregates.table,
      archive: {
        deliveryStreamName: this.archive.deliveryStream.ref,
        bufferInterval: Duration.seconds(c.archive.bufferSeconds),
      },
      search:
        this.search === undefined
          ? undefined
          : {
              domain: this.search.domain.domain,
              deliveryStreamName: this.search.delivery.deliveryStream.ref,
              bufferInterval: Duration.seconds(c.search.bufferSeconds),
              volumeGiB: c.search.volumeGiB,
            },
      alarmEmail: m.alarmEmail,
      iteratorAge: Duration.millis(m.iteratorAgeMs),
      durationPercentOfTimeout: m.durationPercentOfTimeout,
      throttleMinutes: m.throttleMinutes,
      poisonRecordsPer5Min: m.poisonRecordsPer5Min,
      freshnessMargin: Duration.seconds(m.freshnessMarginSeconds),
      freeStoragePercent: m.freeStoragePercent,
      jvmMemoryPressurePercent: m.jvmMemoryPressurePercent,
      cpuUtilizationPercent: m.cpuUtilizationPercent,
      removalPolicy,
    });
    new CfnOutput(this, 'DashboardUrl', { value: this.monitoring.dashboardUrl });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn });

    if (c.stream.encryption === 'customer-managed') {
      Validations.of(this.ingest.stream).acknowledge({
        id: 'AwsSolutions::AwsSolutions-KDS3',
        reason:
          'stream.encryption=customer-managed was chosen in config: a key of the stack, whose use is audited, over aws/kinesis.',
      });
    }

    new CfnOutput(this, 'StreamName', { value: this.ingest.stream.streamName });
    new CfnOutput(this, 'StreamArn', { value: this.ingest.stream.streamArn });
    new CfnOutput(this, 'AggregatesTableName', { value: this.aggregates.table.tableName });
    new CfnOutput(this, 'DeadLetterBucketName', { value: this.aggregator.deadLetterBucket.bucketName });
    new CfnOutput(this, 'FailureQueueUrl', { value: this.aggregator.failureQueue.queueUrl });
    new CfnOutput(this, 'AggregatorFunctionName', { value: this.aggregator.function.functionName });
    new CfnOutput(this, 'ArchiveBucketName', { value: this.archive.bucket.bucketName });
    new CfnOutput(this, 'AthenaWorkGroup', { value: archiveQuery.workGroup.ref });
    new CfnOutput(this, 'ByTypeIndex', { value: String(c.aggregates.byTypeIndex) });

    // For the producers and readers outside the stack: docs/deploy.md says how to attach them.
    const access = new AccessPolicies(this, 'Access', {
      stream: this.ingest.stream,
      table: this.aggregates.table,
      byTypeIndex: c.aggregates.byTypeIndex,
      deadLetterBucket: this.aggregator.deadLetterBucket,
      failureQueue: this.aggregator.failureQueue,
    });
    new CfnOutput(this, 'ProducerPolicyArn', { value: access.producer.managedPolicyArn });
    new CfnOutput(this, 'ReaderPolicyArn', { value: access.reader.managedPolicyArn });
    new CfnOutput(this, 'RedrivePolicyArn', { value: access.redrive.managedPolicyArn });
  }
}
