import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { CfnNamedQuery, CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import { BlockPublicAccess, Bucket, BucketEncryption, type IBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ARCHIVE_PREFIX } from './archive-delivery';

/** The Glue columns of the archive, from the event contract (v1). */
export const ARCHIVE_COLUMNS = [
  { name: 'eventid', type: 'string' },
  // ISO-8601 or epoch milliseconds in the contract: a string holds both.
  { name: 'eventtime', type: 'string' },
  { name: 'type', type: 'string' },
  { name: 'key', type: 'string' },
  { name: 'value', type: 'double' },
  // Free-form in the contract: kept as its JSON text.
  { name: 'attributes', type: 'string' },
] as const;

export const ARCHIVE_PARTITIONS = ['year', 'month', 'day', 'hour'] as const;
export const ARCHIVE_TABLE = 'events';

const TODAY = `"year" = CAST(date_format(current_date, '%Y') AS integer)
  AND "month" = CAST(date_format(current_date, '%m') AS integer)
  AND "day" = CAST(date_format(current_date, '%d') AS integer)`;

/** Saved Athena queries: the long-range questions the DynamoDB aggregates do not keep. */
export const ARCHIVE_QUERIES = {
  countsPerTypePerHour: {
    description:
      'Events and value totals per type per hour, today (UTC); events without a value count 1, as in the aggregates',
    sql: `SELECT "type", "hour", count(*) AS events, sum(coalesce("value", 1)) AS total
FROM ${ARCHIVE_TABLE}
WHERE ${TODAY}
GROUP BY "type", "hour"
ORDER BY "hour", "type"`,
  },
  topKeys: {
    description: 'The 20 busiest keys per type today (UTC)',
    sql: `SELECT "type", "key", count(*) AS events, sum(coalesce("value", 1)) AS total
FROM ${ARCHIVE_TABLE}
WHERE ${TODAY}
GROUP BY "type", "key"
ORDER BY events DESC
LIMIT 20`,
  },
} as const;

export interface ArchiveQueryProps {
  readonly archiveBucket: IBucket;
  readonly accessLogsBucket: IBucket;
  /**
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Makes the archive queryable with Athena: a Glue table over the NDJSON with partition projection
 * (no crawler, no MSCK REPAIR), a workgroup whose results are encrypted in a bucket of their own,
 * and saved queries.
 */
export class ArchiveQuery extends Construct {
  readonly database: CfnDatabase;
  readonly table: CfnTable;
  readonly workGroup: CfnWorkGroup;
  readonly resultsBucket: IBucket;

  constructor(scope: Construct, id: string, props: ArchiveQueryProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const account = Stack.of(this).account;
    // Glue and Athena need names: made from the stack name, so dev and prod stacks never collide.
    const stackName = Stack.of(this).stackName;
    if (Token.isUnresolved(stackName)) throw new Error('ArchiveQuery needs a stack with a concrete stack name');
    const baseName = `${stackName}_${this.node.id}`.replace(/[^A-Za-z0-9_]/g, '_').toLowerCase();

    this.database = new CfnDatabase(this, 'Database', {
      catalogId: account,
      databaseInput: { name: baseName, description: 'Archive of the streaming pipeline' },
    });
    this.table = new CfnTable(this, 'Table', {
      catalogId: account,
      databaseName: baseName,
      tableInput: {
        name: ARCHIVE_TABLE,
        description: 'Every stream record, as archived by Firehose (GZIP NDJSON)',
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          classification: 'json',
          compressionType: 'gzip',
          'projection.enabled': 'true',
          'projection.year.type': 'integer',
          'projection.year.range': '2024,2124',
          'projection.month.type': 'integer',
          'projection.month.range': '1,12',
          'projection.month.digits': '2',
          'projection.day.type': 'integer',
          'projection.day.range': '1,31',
          'projection.day.digits': '2',
          'projection.hour.type': 'integer',
          'projection.hour.range': '0,23',
          'projection.hour.digits': '2',
          'storage.location.template': `s3://${props.archiveBucket.bucketName}/${ARCHIVE_PREFIX}year=\${year}/month=\${month}/day=\${day}/hour=\${hour}/`,
        },
        partitionKeys: ARCHIVE_PARTITIONS.map((name) => ({ name, type: 'int' })),
        storageDescriptor: {
          location: `s3://${props.archiveBucket.bucketName}/${ARCHIVE_PREFIX}`,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          columns: ARCHIVE_COLUMNS.map((c) => ({ name: c.name, type: c.type })),
          serdeInfo: {
            serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            // Poison lines stay in the archive; they must not fail a query over it.
            parameters: { 'ignore.malformed.json': 'true', 'case.insensitive': 'true' },
          },
        },
      },
    });
    this.table.node.addDependency(this.database);

    this.resultsBucket = new Bucket(this, 'ResultsBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'athena-results/',
      lifecycleRules: [{ expiration: Duration.days(30), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy,
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
    });
    this.workGroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: baseName,
      description: 'Queries over the pipeline archive',
      recursiveDeleteOption: removalPolicy === RemovalPolicy.DESTROY,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/results/`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
    for (const [name, q] of Object.entries(ARCHIVE_QUERIES)) {
      const query = new CfnNamedQuery(this, name.charAt(0).toUpperCase() + name.slice(1), {
        database: baseName,
        workGroup: this.workGroup.ref,
        name,
        description: q.description,
        queryString: q.sql,
      });
      query.node.addDependency(this.table);
    }
  }
}
