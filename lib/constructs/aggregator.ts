import { PRIVATE_BUCKET } from './private-bucket';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IStream, IStreamConsumer } from 'aws-cdk-lib/aws-kinesis';
import { EventSourceMapping, type IEventSourceDlq, MetricType, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket, type CfnBucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { AGGREGATOR_SERVICE, DEAD_LETTER_PREFIX, METRICS_NAMESPACE } from '../../lambda/shared/constants';
import { declarationsHooks, pipelineFunctionProps, SOURCE_MAPS_ENV } from './pipeline-function';

export const KINESIS_READ_ACTIONS = [
  'kinesis:DescribeStream',
  'kinesis:DescribeStreamSummary',
  'kinesis:GetRecords',
  'kinesis:GetShardIterator',
  'kinesis:ListShards',
];

export interface AggregatorProps {
  readonly stream: IStream;
  /**
   * An enhanced fan-out consumer of `stream` to read through (IngestStream.addConsumer): the
   * mapping's event source is then the consumer, which Kinesis pushes records to.
   * @default none: the mapping polls the stream, sharing its read throughput with other readers
   */
  readonly consumer?: IStreamConsumer;
  readonly table: ITableV2;
  /** Receives the dead-letter bucket's server access logs. */
  readonly accessLogsBucket: IBucket;
  /**
   * The declared aggregates, already validated (lib/config.ts does it before any construct): the
   * file is bundled beside the handler, which reads it at start.
   */
  readonly aggregatesFile: string;
  /**
   * The table has the optional `byType` index, so `by_key` items carry its keys.
   * @default false
   */
  readonly byTypeIndex?: boolean;
  /**
   * Days an aggregate item is kept after its window closes.
   * @default 30
   */
  readonly ttlDays?: number;
  /**
   * @default 500
   */
  readonly batchSize?: number;
  /**
   * @default Duration.seconds(1)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Only above 1 when producers partition by the event key; lib/config.ts checks it.
   * @default 1
   */
  readonly parallelizationFactor?: number;
  /**
   * @default 10
   */
  readonly retryAttempts?: number;
  /**
   * @default Duration.hours(1)
   */
  readonly maxRecordAge?: Duration;
  /**
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * @default Duration.seconds(60)
   */
  readonly timeout?: Duration;
  /**
   * @default RetentionDays.ONE_WEEK
   */
  readonly logRetention?: RetentionDays;
  /**
   * How long poison records stay in the dead-letter bucket.
   * @default Duration.days(14)
   */
  readonly deadLetterExpiry?: Duration;
  /**
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The aggregator's entry, runtime and bundling, which bench/aggregator-bundle.bench.ts builds too:
 * - the packages' ES module builds first ("module" before "main"): esbuild drops unused code from
 *   ES modules only;
 * - an ES module bundle (index.mjs): Lambda's runtime loads a handler with import() (its
 *   runtime interface client's module-loader.ts tries import() before require), and Node imports
 *   this bundle as CommonJS markedly slower than the same code as an ES module;
 * - a banner defining the two CommonJS names the sources use, from import.meta (Node 20.11 and
 *   later). Nothing in the bundle calls require; the bundle test fails if esbuild's
 *   dynamic-require shim appears.
 */
export function aggregatorBundleProps(): ReturnType<typeof pipelineFunctionProps> {
  const props = pipelineFunctionProps('aggregator/handler.ts');
  return {
    ...props,
    bundling: { ...props.bundling, format: OutputFormat.ESM, mainFields: ['module', 'main'], banner: ESM_BANNER },
  };
}

export const ESM_BANNER = 'const __filename = import.meta.filename; const __dirname = import.meta.dirname;';

/**
 * The aggregator Lambda and its event source mapping on the stream, with the places a bad record
 * can go: poison user records to the dead-letter bucket (written by the function), and batches that
 * exhaust their retries to the on-failure queue (written by Lambda). Its role holds exactly what the
 * code and the mapping call.
 */
export class Aggregator extends Construct {
  readonly function: NodejsFunction;
  /** The enhanced fan-out consumer the mapping reads through; undefined when it polls the stream. */
  readonly consumer?: IStreamConsumer;
  readonly role: Role;
  readonly eventSourceMapping: EventSourceMapping;
  readonly failureQueue: IQueue;
  readonly deadLetterBucket: IBucket;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: AggregatorProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.consumer = props.consumer;
    const timeout = props.timeout ?? Duration.seconds(60);

    this.failureQueue = new Queue(this, 'FailureQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
    for (const rule of ['AwsSolutions::AwsSolutions-SQS3', 'Serverless::Serverless-SQSRedrivePolicy']) {
      Validations.of(this.failureQueue).acknowledge({
        id: rule,
        reason:
          'This queue is the dead-letter destination of the Kinesis event source mapping (records of batches that exhausted their retries); a queue behind it would only move the same messages.',
      });
    }

    this.deadLetterBucket = new Bucket(this, 'DeadLetterBucket', {
      ...PRIVATE_BUCKET,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'dead-letter-bucket/',
      lifecycleRules: [
        {
          expiration: props.deadLetterExpiry ?? Duration.days(14),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy,
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
    });

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? RetentionDays.ONE_WEEK,
      removalPolicy,
    });

    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Aggregator: reads the stream, writes aggregates, poison records and failed-batch notices',
    });

    const functionProps = aggregatorBundleProps();
    this.function = new NodejsFunction(this, 'Function', {
      ...functionProps,
      bundling: {
        ...functionProps.bundling,
        commandHooks: declarationsHooks(props.aggregatesFile),
      },
      memorySize: props.memorySize ?? 512,
      timeout,
      role: this.role,
      logGroup: this.logGroup,
      description: 'Kinesis consumer keeping exactly-once running aggregates in DynamoDB',
      environment: {
        TABLE_NAME: props.table.tableName,
        DEAD_LETTER_BUCKET: this.deadLetterBucket.bucketName,
        AGGREGATE_TTL_DAYS: String(props.ttlDays ?? 30),
        ...(props.byTypeIndex === true ? { BY_TYPE_INDEX: 'true' } : {}),
        POWERTOOLS_SERVICE_NAME: AGGREGATOR_SERVICE,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        // METRICS_STACK_ENV: the `stack` dimension of every custom metric, which Monitoring's
        // alarms and widgets and the dashboard CLI query.
        METRICS_STACK: Stack.of(this).stackName,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...SOURCE_MAPS_ENV,
      },
    });

    this.role.addToPrincipalPolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: KINESIS_READ_ACTIONS, resources: [props.stream.streamArn] }),
    );
    if (props.stream.encryptionKey !== undefined) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['kms:Decrypt'], resources: [props.stream.encryptionKey.keyArn] }),
      );
    }
    this.role.addToPrincipalPolicy(
      // PutItem rewrites sketch items whole, conditional on the version read.
      new PolicyStatement({
        actions: ['dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
        resources: [props.table.tableArn],
      }),
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.deadLetterBucket.arnForObjects(`${DEAD_LETTER_PREFIX}*`)],
      }),
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.failureQueue.queueArn] }),
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    const onFailure: IEventSourceDlq = {
      // Not SqsDlq: it would also grant GetQueueAttributes and GetQueueUrl, which the mapping does not call.
      bind: () => ({ destination: this.failureQueue.queueArn }),
    };
    if (props.consumer !== undefined) {
      // Exactly the Lambda guide's list for a mapping on a stream consumer ("Process Amazon Kinesis
      // Data Streams records with Lambda", services-kinesis-create): the stream actions above plus
      // kinesis:SubscribeToShard, which the Service Authorization Reference authorizes on the consumer
      // ARN. AWSLambdaKinesisExecutionRole, AWS's managed policy for a function that reads Kinesis, has
      // no kinesis:DescribeStreamConsumer either (aws-cdk-lib's StreamConsumer.grantRead adds it).
      this.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['kinesis:SubscribeToShard'], resources: [props.consumer.streamConsumerArn] }),
      );
    }
    this.eventSourceMapping = new EventSourceMapping(this, 'EventSource', {
      target: this.function,
      // A consumer ARN makes the mapping an enhanced fan-out reader (CloudFormation,
      // AWS::Lambda::EventSourceMapping EventSourceArn: "The ARN of the data stream or a stream consumer").
      eventSourceArn: props.consumer?.streamConsumerArn ?? props.stream.streamArn,
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: props.batchSize ?? 500,
      maxBatchingWindow: props.maxBatchingWindow ?? Duration.seconds(1),
      parallelizationFactor: props.parallelizationFactor ?? 1,
      retryAttempts: props.retryAttempts ?? 10,
      maxRecordAge: props.maxRecordAge ?? Duration.hours(1),
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      onFailure,
      metricsConfig: { metrics: [MetricType.EVENT_COUNT] },
    });
    // The mapping checks the role's stream permissions when it is created.
    this.eventSourceMapping.node.addDependency(this.role);

    const policy = this.role.node.findChild('DefaultPolicy');
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions. Every other statement names its resource.',
    });
    Validations.of(policy).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.deadLetterBucket.node.defaultChild as CfnBucket)}.Arn>/${DEAD_LETTER_PREFIX}*]`,
      reason:
        'Each poison record is one object whose key is made from its shard position at run time; the grant is PutObject only, limited to the poison/ prefix.',
    });
    Validations.of(this.function).acknowledge({
      id: 'Serverless::Serverless-LambdaDLQ',
      reason:
        "Stream-invoked: a function DLQ applies to asynchronous invocations only. Failed batches go to the event source mapping's on-failure SQS queue, poison records to the dead-letter bucket.",
    });
  }
}
