import { type CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DEAD_LETTER_PREFIX, METRICS_NAMESPACE, aggregatorMetricDimensions } from '../lambda/shared/constants';
import type { PipelineStats } from './api';

export interface AwsStatsSources {
  readonly s3: Pick<S3Client, 'send'>;
  readonly cloudwatch: Pick<CloudWatchClient, 'send'>;
  readonly sqs: Pick<SQSClient, 'send'>;
  /**
   * The deployed stack's name: the `stack` dimension its aggregator publishes every metric with, so
   * another stage's batches in the same account and Region are not read.
   */
  readonly stackName: string;
  readonly deadLetterBucket: string;
  readonly failureQueueUrl?: string;
  /** How far back the lag percentiles look. */
  readonly lagWindowMinutes?: number;
}

/** The batch lag the aggregator publishes (EMF), p50 and p99 over the last minutes; null when no batch ran. */
async function lag(
  cloudwatch: Pick<CloudWatchClient, 'send'>,
  stackName: string,
  minutes: number,
): Promise<{ p50: number; p99: number } | null> {
  const end = new Date();
  const start = new Date(end.getTime() - minutes * 60_000);
  const metric = {
    Namespace: METRICS_NAMESPACE,
    MetricName: 'BatchLag',
    // The full set the aggregator publishes: CloudWatch matches a metric on all of its dimensions.
    Dimensions: Object.entries(aggregatorMetricDimensions(stackName)).map(([Name, Value]) => ({ Name, Value })),
  };
  const { MetricDataResults } = await cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: start,
      EndTime: end,
      MetricDataQueries: ['p50', 'p99'].map((stat) => ({
        Id: stat,
        MetricStat: { Metric: metric, Period: minutes * 60, Stat: stat },
      })),
    }),
  );
  const value = (id: string): number | undefined => MetricDataResults?.find((r) => r.Id === id)?.Values?.[0];
  const p50 = value('p50');
  const p99 = value('p99');
  return p50 === undefined || p99 === undefined ? null : { p50, p99 };
}

/**
 * The stats tile against a deployed stack: poison records in the dead-letter bucket (counted up
 * to 1,000: a tile, not an inventory), batch lag from CloudWatch, and failed batches waiting in
 * the on-failure queue. A source that cannot be read is null, never a failed request.
 */
export async function awsStats(sources: AwsStatsSources): Promise<PipelineStats> {
  const poison = sources.s3
    .send(new ListObjectsV2Command({ Bucket: sources.deadLetterBucket, Prefix: DEAD_LETTER_PREFIX, MaxKeys: 1000 }))
    .then((page) => page.KeyCount ?? 0);
  const batchLag = lag(sources.cloudwatch, sources.stackName, sources.lagWindowMinutes ?? 5);
  const failed =
    sources.failureQueueUrl === undefined
      ? Promise.resolve(null)
      : sources.sqs
          .send(
            new GetQueueAttributesCommand({
              QueueUrl: sources.failureQueueUrl,
              AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
            }),
          )
          .then(
            ({ Attributes }) =>
              Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
              Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
          );
  const [poisonRecords, lagMs, failedBatches] = await Promise.allSettled([poison, batchLag, failed]);
  const settled = <T>(r: PromiseSettledResult<T>): T | null => (r.status === 'fulfilled' ? r.value : null);
  return { poisonRecords: settled(poisonRecords), lagMs: settled(lagMs), failedBatches: settled(failedBatches) };
}
