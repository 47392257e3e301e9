import { PRIVATE_BUCKET } from './private-bucket';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { CfnNamedQuery, CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import type { CfnTable } from 'aws-cdk-lib/aws-glue';
import { Bucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ARCHIVE_TABLE } from './archive-table';

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
  /** The Glue table of the archive; queries run in its database. */
  readonly table: CfnTable;
  readonly databaseName: string;
  readonly accessLogsBucket: IBucket;
  /**
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Athena over the archive's Glue table: a workgroup whose results are encrypted in a bucket of
 * their own, and saved queries.
 */
export class ArchiveQuery extends Construct {
  readonly workGroup: CfnWorkGroup;
  readonly resultsBucket: IBucket;

  constructor(scope: Construct, id: string, props: ArchiveQueryProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const baseName = props.databaseName;

    this.resultsBucket = new Bucket(this, 'ResultsBucket', {
      ...PRIVATE_BUCKET,
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
      query.node.addDependency(props.table);
    }
  }
}
