import type { PipelineConfig } from './config';

/** What a setting accepts and why its defaults are what they are, for docs/configuration.md. */
export interface SettingDoc {
  readonly allowed: string;
  readonly why: string;
}

type Sections = Omit<PipelineConfig, 'stage' | 'removal'>;

/**
 * One entry per config key (`section.field`, or `removal`); `npm run docs` writes the reference table
 * from it and from the profiles' values, and fails on a key that has no entry here.
 */
export const CONFIG_REFERENCE: {
  readonly [S in keyof Sections]?: { readonly [F in keyof Sections[S]]?: SettingDoc };
} & { readonly removal?: SettingDoc } = {
  stream: {
    mode: {
      allowed: 'on-demand, provisioned',
      why: 'on-demand needs no capacity planning; provisioned is cheaper at a steady, known rate ([cost](cost.md))',
    },
    shardCount: { allowed: '1..500', why: 'provisioned mode only' },
    retentionHours: { allowed: '24..8760', why: 'a week in prod leaves time to replay after an incident' },
    encryption: {
      allowed: 'aws-managed, customer-managed',
      why: '`aws/kinesis` has no key charge (cdk-nag KDS3); a key of your own adds a key policy and audit',
    },
  },
  aggregator: {
    batchSize: { allowed: '1..10000', why: 'fewer, larger invocations; one write per item per batch' },
    maxBatchingWindowSeconds: { allowed: '0..300', why: 'keeps put-to-aggregate latency near a second' },
    parallelizationFactor: { allowed: '1..10', why: 'above 1 needs the next setting' },
    partitionKeyIsAggregateKey: {
      allowed: 'true, false',
      why: 'set when every producer partitions by the event key; then every declaration must group by `key`',
    },
    retryAttempts: {
      allowed: '0..10000',
      why: 'finite, so a bad batch cannot block its shard for the retention period',
    },
    maxRecordAgeSeconds: { allowed: '60..604800, within the retention', why: 'likewise' },
    memoryMb: { allowed: '128..10240', why: 'more memory is more CPU for large batches' },
    timeoutSeconds: {
      allowed: '1..900',
      why: 'room for a full batch of writes with retries; the `AggregatorDuration` alarm fires at 80 %',
    },
    logRetentionDays: {
      allowed: "CloudWatch Logs' retention values",
      why: 'a week for dev debugging, a quarter for prod incident reviews; also used by the other log groups',
    },
    consumer: {
      allowed: 'polling, efo',
      why: '`efo`: an enhanced fan-out consumer of its own, typically about 70 ms propagation, against 200 ms to 1 s for readers sharing GetRecords ([Kinesis docs](https://docs.aws.amazon.com/streams/latest/dev/enhanced-consumers.html)); prod has three readers',
    },
  },
  aggregates: {
    file: { allowed: 'a valid declarations file', why: 'what is aggregated: [aggregates](aggregates.md)' },
    ttlDays: { allowed: '1..3650', why: 'the aggregates are the recent view; the archive keeps the long history' },
    byTypeIndex: {
      allowed: 'true, false',
      why: 'the `byType` index doubles every `by_key` write; the dashboard reads `by_type` instead',
    },
  },
  deadLetter: { expireDays: { allowed: '1..3650', why: "poison records' lifetime" } },
  archive: {
    format: {
      allowed: 'gzip, parquet',
      why: 'GZIP NDJSON keeps every record as sent, poison included; Parquet is cheaper to scan with Athena and sends records it cannot convert to `errors/`',
    },
    bufferMiB: {
      allowed: '1..128 (64 or more for Parquet)',
      why: 'fewer, larger objects are cheaper to store and to query',
    },
    bufferSeconds: { allowed: '0..900', why: 'how stale the archive may be' },
    transitionToIaDays: { allowed: '30..3650', why: 'to S3 Standard-IA once the archive is rarely read' },
    expireDays: { allowed: '1..36500, after the transition', why: 'how long the archive answers long-range questions' },
  },
  search: {
    enabled: { allowed: 'true, false', why: 'the whole search leg; off removes the domain and its delivery' },
    dataNodeType: {
      allowed: '`*.*.search`',
      why: 'the smallest useful node in dev; memory-optimized Graviton in prod',
    },
    dataNodes: { allowed: '1..80, a multiple of the zones', why: 'one per zone in prod' },
    masterNodes: { allowed: '0, 3, 5', why: 'a master quorum keeps the cluster stable through a node loss' },
    masterNodeType: {
      allowed: '`*.*.search`',
      why: 'a general-purpose Graviton node is plenty for cluster state at three data nodes',
    },
    volumeGiB: { allowed: '10..16384', why: 'gp3 per data node' },
    availabilityZones: { allowed: '1..3', why: 'zone awareness and one replica above 1' },
    vpc: { allowed: 'none, create, `vpc-...`', why: 'prod keeps the endpoint off the internet' },
    fineGrainedAccessControl: {
      allowed: 'true, false (not on T2 nodes)',
      why: 'roles inside OpenSearch; the Firehose role may only bulk-write `events-*`',
    },
    readerRoleArn: { allowed: 'empty or an IAM role ARN', why: 'who may search' },
    bufferMiB: { allowed: '1..100', why: 'Firehose buffer for the domain' },
    bufferSeconds: { allowed: '0..900', why: 'how stale the index may be' },
    retrySeconds: { allowed: '0..7200', why: 'how long refused bulk requests are retried before the S3 backup' },
    createServiceLinkedRole: {
      allowed: 'true, false (true only with a VPC)',
      why: 'creates `AWSServiceRoleForAmazonOpenSearchService` for a VPC domain; one per account, so only where it does not exist yet ([deploy](deploy.md))',
    },
  },
  monitoring: {
    alarmEmail: {
      allowed: 'empty or an email address',
      why: 'empty subscribes nobody; the topic is there for any subscriber',
    },
    iteratorAgeMs: {
      allowed: '1000..604800000, below `aggregator.maxRecordAgeSeconds`',
      why: 'far above the latency bar; below the maximum age, so a lag is heard before records are given up',
    },
    durationPercentOfTimeout: { allowed: '1..100', why: 'room to react before batches time out' },
    throttleMinutes: {
      allowed: '1..60',
      why: 'every client here retries a throttle; only a run of them is a problem',
    },
    poisonRecordsPer5Min: {
      allowed: '1..100000000',
      why: 'any poison is news in dev; prod tolerates a stray record',
    },
    freshnessMarginSeconds: { allowed: '0..86400', why: "added to each delivery's buffer interval" },
    freeStoragePercent: { allowed: '1..99', why: "AWS's recommendation for `FreeStorageSpace`" },
    jvmMemoryPressurePercent: { allowed: '1..100', why: "AWS's recommendation" },
    cpuUtilizationPercent: { allowed: '1..100', why: "AWS's recommendation" },
  },
  removal: {
    allowed: 'destroy, retain',
    why: 'dev empties and deletes buckets, table and stream; prod keeps them, and the table has deletion protection',
  },
};
