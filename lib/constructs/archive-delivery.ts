import { PRIVATE_BUCKET } from './private-bucket';
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import { acknowledgeKinesisSourceEncryption, firehoseRole } from './firehose-role';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import { CfnDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import { LogGroup, LogStream, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket, type CfnBucket, type IBucket, StorageClass } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { type ArchiveFormat, ArchiveTable } from './archive-table';

export const ARCHIVE_PREFIX = 'events/';
export const ARCHIVE_ERROR_PREFIX = 'errors/';
const TIME_PREFIX = 'year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/';

export interface ArchiveDeliveryProps {
  readonly stream: IStream;
  /**
   * `gzip`: GZIP NDJSON, one record a line, poison included. `parquet`: Firehose converts each record
   * to Parquet (SNAPPY) with the Glue table's schema; records it cannot convert go to the error prefix.
   * @default 'gzip'
   */
  readonly format?: ArchiveFormat;
  /** Receives the archive bucket's server access logs. */
  readonly accessLogsBucket: IBucket;
  /**
   * @default 64
   */
  readonly bufferMiB?: number;
  /**
   * @default Duration.seconds(60)
   */
  readonly bufferInterval?: Duration;
  /**
   * @default Duration.days(30)
   */
  readonly transitionToIa?: Duration;
  /**
   * @default Duration.days(365)
   */
  readonly expiry?: Duration;
  /**
   * Keep object versions (prod): an overwritten or deleted archive object can be recovered.
   * @default false
   */
  readonly versioned?: boolean;
  /**
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Firehose reading the stream and archiving every record to S3 as GZIP NDJSON under a Hive-style
 * time prefix, with failures under an error prefix named for their kind.
 *
 * Written with the L1 delivery stream: the L2's Kinesis source and S3 destination grant the role
 * more than Firehose calls (`s3:DeleteObject*`, `s3:List*` and every object of the bucket), and
 * cannot be narrowed. Here the role holds exactly the actions AWS documents for a Kinesis source and
 * an S3 destination, on the stream, the bucket and its two prefixes.
 */
export class ArchiveDelivery extends Construct {
  readonly bucket: IBucket;
  readonly role: Role;
  readonly deliveryStream: CfnDeliveryStream;
  readonly logGroup: LogGroup;
  /** The Glue table describing the archive (and, for Parquet, the conversion's schema). */
  readonly table: ArchiveTable;

  constructor(scope: Construct, id: string, props: ArchiveDeliveryProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const stack = Stack.of(this);

    this.bucket = new Bucket(this, 'Bucket', {
      ...PRIVATE_BUCKET,
      versioned: props.versioned ?? false,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'archive-bucket/',
      lifecycleRules: [
        {
          transitions: [
            {
              storageClass: StorageClass.INFREQUENT_ACCESS,
              transitionAfter: props.transitionToIa ?? Duration.days(30),
            },
          ],
          expiration: props.expiry ?? Duration.days(365),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
          ...(props.versioned === true ? { noncurrentVersionExpiration: Duration.days(30) } : {}),
        },
      ],
      removalPolicy,
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
    });

    const parquet = props.format === 'parquet';
    this.table = new ArchiveTable(this, 'Schema', {
      bucket: this.bucket,
      prefix: ARCHIVE_PREFIX,
      format: props.format,
    });

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy,
    });
    const logStream = new LogStream(this, 'S3Delivery', { logGroup: this.logGroup, removalPolicy });

    this.role = firehoseRole(this, 'Role', {
      stream: props.stream,
      bucket: this.bucket,
      prefixes: [ARCHIVE_PREFIX, ARCHIVE_ERROR_PREFIX],
      description: 'Archive delivery: reads the stream, writes the archive bucket',
    });
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['logs:PutLogEvents'],
        resources: [
          stack.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: `${this.logGroup.logGroupName}:log-stream:${logStream.logStreamName}`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );

    if (parquet) {
      // Record format conversion reads the table's schema as Firehose's role.
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'],
          resources: [
            stack.formatArn({ service: 'glue', resource: 'catalog' }),
            stack.formatArn({ service: 'glue', resource: 'database', resourceName: this.table.databaseName }),
            stack.formatArn({
              service: 'glue',
              resource: 'table',
              resourceName: `${this.table.databaseName}/${this.table.tableName}`,
            }),
          ],
        }),
      );
    }

    this.deliveryStream = new CfnDeliveryStream(this, 'DeliveryStream', {
      deliveryStreamType: 'KinesisStreamAsSource',
      kinesisStreamSourceConfiguration: { kinesisStreamArn: props.stream.streamArn, roleArn: this.role.roleArn },
      extendedS3DestinationConfiguration: {
        bucketArn: this.bucket.bucketArn,
        roleArn: this.role.roleArn,
        bufferingHints: {
          sizeInMBs: props.bufferMiB ?? 64,
          intervalInSeconds: (props.bufferInterval ?? Duration.seconds(60)).toSeconds(),
        },
        // Parquet compresses inside the file (SNAPPY); Firehose must not compress it again.
        compressionFormat: parquet ? 'UNCOMPRESSED' : 'GZIP',
        ...(parquet
          ? {
              fileExtension: '.parquet',
              dataFormatConversionConfiguration: {
                enabled: true,
                inputFormatConfiguration: { deserializer: { openXJsonSerDe: { caseInsensitive: true } } },
                outputFormatConfiguration: { serializer: { parquetSerDe: { compression: 'SNAPPY' } } },
                schemaConfiguration: {
                  catalogId: stack.account,
                  databaseName: this.table.databaseName,
                  tableName: this.table.tableName,
                  region: stack.region,
                  roleArn: this.role.roleArn,
                  versionId: 'LATEST',
                },
              },
            }
          : {
              // One event per line: the archive is NDJSON that Athena and `zcat | jq` read as they are.
              processingConfiguration: { enabled: true, processors: [{ type: 'AppendDelimiterToRecord' }] },
            }),
        prefix: `${ARCHIVE_PREFIX}${TIME_PREFIX}`,
        errorOutputPrefix: `${ARCHIVE_ERROR_PREFIX}!{firehose:error-output-type}/${TIME_PREFIX}`,
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: this.logGroup.logGroupName,
          logStreamName: logStream.logStreamName,
        },
      },
    });
    // Firehose checks the role's permissions, and the conversion its table, when the stream is created.
    this.deliveryStream.node.addDependency(this.role, this.table);

    acknowledgeKinesisSourceEncryption(this.deliveryStream, 'the SSE-S3 archive bucket');
    const policy = this.role.node.findChild('DefaultPolicy');
    const bucketId = stack.getLogicalId(this.bucket.node.defaultChild as CfnBucket);
    for (const prefix of [ARCHIVE_PREFIX, ARCHIVE_ERROR_PREFIX]) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
        reason: `Firehose names each object at delivery time under ${prefix}; the grant is limited to that prefix and to the object actions AWS documents for an S3 destination.`,
      });
    }
  }
}
