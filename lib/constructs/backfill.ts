import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { CfnBucket, IBucket } from 'aws-cdk-lib/aws-s3';
import { DefinitionBody, LogLevel, Map as MapState, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ARCHIVE_EVENTS_PREFIX } from '../../lambda/backfill/core';
import { declarationsHooks, pipelineFunctionProps, SOURCE_MAPS_ENV } from './pipeline-function';

export interface BackfillProps {
  readonly table: ITableV2;
  /** The archive bucket; its objects under `events/` are read. */
  readonly archiveBucket: IBucket;
  /** The declarations, already validated: bundled beside the handler, as the aggregator's are. */
  readonly aggregatesFile: string;
  /** Days an aggregate item is kept after its window closes, and the default allowedLateness. */
  readonly ttlDays: number;
  /** The archive delivery's buffer interval: the margin between an object's time and its records' arrival. */
  readonly archiveBufferInterval: Duration;
  /** The aggregator's maximum record age: how long after arrival a live write can still come. */
  readonly maxRecordAge: Duration;
  /**
   * `by_key` items carry the `byType` index's keys.
   * @default false
   */
  readonly byTypeIndex?: boolean;
  /**
   * Slices run at once. Ten keep the bursts of writes (16 in flight per slice) within what an
   * on-demand table absorbs beside the live aggregator, and leave the account's Lambda concurrency to
   * the aggregator; S3 reads are far below its per-prefix request rates.
   * @default 10
   */
  readonly maxConcurrency?: number;
  /**
   * At 1,769 MB a function has the equivalent of one vCPU: the fold is CPU-bound, so each slice gets a
   * whole one, and the memory holds the windows still open to the archive (a day of 1-minute windows).
   * @default 1769
   */
  readonly memorySize?: number;
  /**
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Lambda's maximum: a slice that cannot finish in it fails and names its remedy, more slices. */
export const BACKFILL_TIMEOUT = Duration.minutes(15);

/**
 * Backfill at scale: a function that recomputes one slice of a range from the archive (the same
 * code as `npm run backfill`), and a state machine whose Map state fans the slices of one run out to
 * it. Each role holds exactly its calls: the function reads the archive's events and replaces items
 * in the table; the state machine invokes that one function.
 */
export class Backfill extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: BackfillProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const stack = Stack.of(this);

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Backfill: reads the archive, replaces aggregate items of closed windows',
    });
    const functionProps = pipelineFunctionProps('backfill/handler.ts');
    this.function = new NodejsFunction(this, 'Function', {
      ...functionProps,
      bundling: {
        ...functionProps.bundling,
        commandHooks: declarationsHooks(props.aggregatesFile),
      },
      memorySize: props.memorySize ?? 1769,
      timeout: BACKFILL_TIMEOUT,
      role: this.role,
      logGroup: this.logGroup,
      description: 'Recomputes one slice of a backfill from the S3 archive',
      environment: {
        TABLE_NAME: props.table.tableName,
        ARCHIVE_BUCKET: props.archiveBucket.bucketName,
        AGGREGATE_TTL_DAYS: String(props.ttlDays),
        ARCHIVE_BUFFER_SECONDS: String(props.archiveBufferInterval.toSeconds()),
        MAX_RECORD_AGE_SECONDS: String(props.maxRecordAge.toSeconds()),
        ...(props.byTypeIndex === true ? { BY_TYPE_INDEX: 'true' } : {}),
        ...SOURCE_MAPS_ENV,
      },
    });

    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [props.archiveBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${ARCHIVE_EVENTS_PREFIX}*`] } },
      }),
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [props.archiveBucket.arnForObjects(`${ARCHIVE_EVENTS_PREFIX}*`)],
      }),
    );
    if (props.archiveBucket.encryptionKey !== undefined) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['kms:Decrypt'], resources: [props.archiveBucket.encryptionKey.keyArn] }),
      );
    }
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
        resources: [props.table.tableArn],
      }),
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    const slice = new LambdaInvoke(this, 'Slice', {
      lambdaFunction: this.function,
      // Lambda's own transient errors are retried with backoff (the L2's default: ServiceException,
      // AWSLambdaException, SdkClientException, ClientExecutionTimeoutException); a slice that fails
      // on its own fails the run, which the CLI reports.
      retryOnServiceExceptions: true,
      // Only the counts: the Map's output holds one per slice, within the state payload limit.
      resultSelector: {
        'aggregate.$': '$.Payload.aggregate',
        'slice.$': '$.Payload.slice',
        'windows.$': '$.Payload.windows',
        'objects.$': '$.Payload.objects',
        'bytes.$': '$.Payload.bytes',
        'records.$': '$.Payload.records',
        'events.$': '$.Payload.events',
        'poison.$': '$.Payload.poison',
        'late.$': '$.Payload.late',
        'written.$': '$.Payload.written',
        'deleted.$': '$.Payload.deleted',
        'dryRun.$': '$.Payload.dryRun',
      },
    });
    const slices = new MapState(this, 'Slices', {
      itemsPath: '$.slices',
      maxConcurrency: props.maxConcurrency ?? 10,
      itemSelector: {
        'aggregate.$': '$.aggregate',
        'from.$': '$.from',
        'to.$': '$.to',
        'format.$': '$.format',
        'dryRun.$': '$.dryRun',
        'slice.$': '$$.Map.Item.Value',
      },
    });
    slices.itemProcessor(slice);

    const machineLogs = new LogGroup(this, 'StateMachineLogs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      definitionBody: DefinitionBody.fromChainable(slices),
      comment: 'Backfill: one Lambda invocation per slice of a range, at most maxConcurrency at once',
      // 1,000 slices of up to 15 minutes, ten at a time, take at most 25 hours.
      timeout: Duration.hours(48),
      tracingEnabled: true,
      logs: { destination: machineLogs, level: LogLevel.ALL, includeExecutionData: false },
    });

    const fnPolicy = this.role.node.findChild('DefaultPolicy');
    const bucketId = stack.getLogicalId(props.archiveBucket.node.defaultChild as CfnBucket);
    Validations.of(fnPolicy).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${ARCHIVE_EVENTS_PREFIX}*]`,
      reason:
        'Firehose names each archive object at delivery time under events/; the function reads objects (GetObject only) under that prefix and no other.',
    });
    Validations.of(fnPolicy).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions. Every other statement names its resource.',
    });
    Validations.of(this.function).acknowledge({
      id: 'Serverless::Serverless-LambdaDLQ',
      reason:
        "Invoked synchronously by the state machine's Map state, which sees each failure: a function DLQ applies to asynchronous invocations only.",
    });
    const machinePolicy = this.stateMachine.role.node.findChild('DefaultPolicy');
    Validations.of(machinePolicy).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'Logging and tracing: the CloudWatch Logs log-delivery actions and the X-Ray actions a state machine needs support no resource-level permissions (Service Authorization Reference). The invoke statement names the one backfill function.',
    });
    Validations.of(machinePolicy).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.function.node.defaultChild as CfnFunction)}.Arn>:*]`,
      reason:
        "The LambdaInvoke task's grant: the backfill function's own versions and aliases (its ARN with a qualifier), no other function.",
    });
  }
}
