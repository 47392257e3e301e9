/**
 * AWS list prices, us-east-1 (N. Virginia), on-demand, in USD, the one place to update them.
 *
 * As of: PRICES_AS_OF below. These are the public list prices as the author last knew them; they
 * were not fetched by this code, and AWS changes them (DynamoDB on-demand halved its request prices
 * on 2024-11-01, for instance). Each line names its pricing page. Lines marked UNSURE are the
 * author's best knowledge with less confidence: check them against the page before quoting a total.
 *
 * Free tiers are ignored throughout, and so are Savings Plans, reserved instances and taxes.
 * "GB" is 2^30 bytes, as AWS bills data volume.
 */
export const PRICES_AS_OF = '2025-06 (list prices as known then; not fetched, see the source of each line)';
export const REGION = 'us-east-1';

const KINESIS = 'https://aws.amazon.com/kinesis/data-streams/pricing/';
const LAMBDA = 'https://aws.amazon.com/lambda/pricing/';
const DYNAMODB = 'https://aws.amazon.com/dynamodb/pricing/on-demand/';
const FIREHOSE = 'https://aws.amazon.com/firehose/pricing/';
const S3 = 'https://aws.amazon.com/s3/pricing/';
const OPENSEARCH = 'https://aws.amazon.com/opensearch-service/pricing/';
const CLOUDWATCH = 'https://aws.amazon.com/cloudwatch/pricing/';
const XRAY = 'https://aws.amazon.com/xray/pricing/';
const KMS = 'https://aws.amazon.com/kms/pricing/';

export interface Price {
  readonly usd: number;
  readonly per: string;
  readonly source: string;
  readonly note?: string;
}

const p = (usd: number, per: string, source: string, note?: string): Price => ({ usd, per, source, note });

export const PRICES = {
  kinesis: {
    shardHour: p(0.015, 'shard-hour', KINESIS, 'provisioned mode'),
    putPayloadUnits: p(0.014, 'million PUT payload units', KINESIS, 'provisioned; a unit is 25 KB of one record'),
    extendedRetentionShardHour: p(0.02, 'shard-hour', KINESIS, 'provisioned, retention 24 h..7 days'),
    longTermRetentionGbMonth: p(0.023, 'GB-month', KINESIS, 'beyond 7 days, both modes. UNSURE'),
    onDemandStreamHour: p(0.04, 'stream-hour', KINESIS, 'on-demand mode'),
    onDemandIngestGb: p(0.08, 'GB', KINESIS, 'on-demand, each record rounded up to 1 KB'),
    onDemandRetrievalGb: p(0.04, 'GB', KINESIS, 'on-demand, per shared-throughput consumer'),
    onDemandExtendedRetentionGbMonth: p(0.1, 'GB-month', KINESIS, 'on-demand, retention 24 h..7 days'),
    // Enhanced fan-out: "Kinesis charges for each shard and, for enhanced fan-out, data read from the
    // stream" (Lambda developer guide, "Using Lambda to process records from Amazon Kinesis Data
    // Streams"). Provisioned streams bill each registered consumer per shard-hour plus its data; on-demand
    // streams bill its data only, at their own rate.
    efoConsumerShardHour: p(
      0.015,
      'consumer-shard-hour',
      KINESIS,
      'provisioned, enhanced fan-out, per consumer per shard',
    ),
    efoRetrievalGb: p(0.013, 'GB', KINESIS, 'provisioned, enhanced fan-out data retrieval'),
    onDemandEfoRetrievalGb: p(0.05, 'GB', KINESIS, 'on-demand, enhanced fan-out data retrieval. UNSURE'),
  },
  lambda: {
    requests: p(0.2, 'million requests', LAMBDA),
    armGbSecond: p(0.0000133334, 'GB-second', LAMBDA, 'arm64, first 7.5 billion GB-s a month'),
  },
  dynamodb: {
    writeRequestUnits: p(0.625, 'million write request units', DYNAMODB, 'on-demand, since the 2024-11-01 price cut'),
    readRequestUnits: p(0.125, 'million read request units', DYNAMODB, 'on-demand, since the 2024-11-01 price cut'),
    storageGbMonth: p(0.25, 'GB-month', DYNAMODB, 'Standard table class'),
    pitrGbMonth: p(0.2, 'GB-month', DYNAMODB, 'continuous backups (point-in-time recovery)'),
  },
  firehose: {
    ingestionGb: p(0.029, 'GB', FIREHOSE, 'first 500 TB a month; each record rounded up to 5 KB'),
    formatConversionGb: p(
      0.018,
      'GB',
      FIREHOSE,
      'JSON to Parquet/ORC conversion. UNSURE whether 5 KB rounding applies',
    ),
    vpcDeliveryAzHour: p(0.01, 'AZ-hour', FIREHOSE, 'delivery into a VPC, per AZ of the destination. UNSURE'),
    vpcDeliveryGb: p(0.01, 'GB', FIREHOSE, 'delivery into a VPC, data processed. UNSURE'),
  },
  s3: {
    standardGbMonth: p(0.023, 'GB-month', S3, 'S3 Standard, first 50 TB'),
    standardIaGbMonth: p(0.0125, 'GB-month', S3, 'S3 Standard-IA'),
    putRequests: p(0.005, 'thousand requests', S3, 'PUT, COPY, POST, LIST (Standard)'),
    iaTransitionRequests: p(0.01, 'thousand requests', S3, 'lifecycle transitions into Standard-IA'),
  },
  opensearch: {
    instanceHour: {
      't3.small.search': p(0.036, 'instance-hour', OPENSEARCH),
      't3.medium.search': p(0.073, 'instance-hour', OPENSEARCH),
      'm6g.large.search': p(0.128, 'instance-hour', OPENSEARCH),
      'r6g.large.search': p(0.167, 'instance-hour', OPENSEARCH),
      // The Graviton3 (7g) rates below are the 6g rates plus the ~6 % premium EC2 lists for 7g. UNSURE.
      'm7g.large.search': p(0.136, 'instance-hour', OPENSEARCH, 'UNSURE'),
      'r7g.large.search': p(0.177, 'instance-hour', OPENSEARCH, 'UNSURE'),
    } as Readonly<Record<string, Price>>,
    gp3GbMonth: p(0.122, 'GB-month', OPENSEARCH, 'gp3 EBS, baseline 3,000 IOPS and 125 MiB/s included'),
  },
  cloudwatch: {
    standardAlarm: p(0.1, 'alarm-month', CLOUDWATCH, 'standard resolution, per metric in the alarm'),
    compositeAlarm: p(0.5, 'alarm-month', CLOUDWATCH),
    dashboard: p(3, 'dashboard-month', CLOUDWATCH),
    customMetric: p(0.3, 'metric-month', CLOUDWATCH, 'first 10,000 metrics'),
    logsIngestGb: p(0.5, 'GB', CLOUDWATCH, 'Standard log class ingestion (Lambda logs: first tier)'),
    logsStorageGbMonth: p(0.03, 'GB-month', CLOUDWATCH, 'archived (stored) logs'),
  },
  kms: {
    key: p(
      1,
      'key-month',
      KMS,
      'customer managed key; AWS managed keys (aws/kinesis, aws/dynamodb) have no monthly fee',
    ),
  },
  xray: {
    tracesRecorded: p(5, 'million traces', XRAY, 'traces recorded'),
  },
} as const;
