import type { GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import type { GetQueueAttributesCommandInput } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { type AwsStatsSources, awsStats } from '../../dashboard/aws-stats';
import { aggregatorMetricDimensions } from '../../lambda/shared/constants';

interface Sent {
  readonly input: unknown;
}

/** A client whose `send` answers from a function and remembers what it was sent. */
function fake(answer: (input: never) => unknown): { client: { send: (c: Sent) => Promise<never> }; sent: unknown[] } {
  const sent: unknown[] = [];
  return {
    sent,
    client: {
      send: (command: Sent) => {
        sent.push(command.input);
        try {
          return Promise.resolve(answer(command.input as never) as never);
        } catch (error) {
          return Promise.reject(error instanceof Error ? error : new Error(String(error)));
        }
      },
    },
  };
}

function sources(overrides: Partial<Record<'s3' | 'cloudwatch' | 'sqs', ReturnType<typeof fake>>> = {}) {
  const s3 = overrides.s3 ?? fake(() => ({ KeyCount: 12 }));
  const cloudwatch =
    overrides.cloudwatch ??
    fake(() => ({
      MetricDataResults: [
        { Id: 'p50', Values: [850] },
        { Id: 'p99', Values: [1_900] },
      ],
    }));
  const sqs =
    overrides.sqs ??
    fake(() => ({ Attributes: { ApproximateNumberOfMessages: '2', ApproximateNumberOfMessagesNotVisible: '1' } }));
  const all: AwsStatsSources = {
    s3: s3.client as never,
    cloudwatch: cloudwatch.client as never,
    sqs: sqs.client as never,
    stackName: 'streaming-pipeline-prod',
    deadLetterBucket: 'dead-letter',
    failureQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/failures',
  };
  return { all, s3, cloudwatch, sqs };
}

describe('dashboard stats against a deployed stack', () => {
  it('reads poison from the bucket, lag from CloudWatch and failed batches from the queue', async () => {
    const { all, cloudwatch, sqs } = sources();
    expect(await awsStats(all)).toEqual({ poisonRecords: 12, lagMs: { p50: 850, p99: 1_900 }, failedBatches: 3 });
    const query = cloudwatch.sent[0] as GetMetricDataCommandInput;
    expect(query.MetricDataQueries?.map((q) => [q.Id, q.MetricStat?.Stat, q.MetricStat?.Period])).toEqual([
      ['p50', 'p50', 300],
      ['p99', 'p99', 300],
    ]);
    // The full dimension set the aggregator publishes, with this stack's name: not another stage's.
    for (const q of query.MetricDataQueries ?? []) {
      expect(q.MetricStat?.Metric).toEqual({
        Namespace: 'StreamingPipeline',
        MetricName: 'BatchLag',
        Dimensions: [
          { Name: 'service', Value: 'aggregator' },
          { Name: 'stack', Value: 'streaming-pipeline-prod' },
        ],
      });
    }
    const dims = query.MetricDataQueries?.[0].MetricStat?.Metric?.Dimensions ?? [];
    expect(Object.fromEntries(dims.map((d) => [d.Name, d.Value]))).toEqual(
      aggregatorMetricDimensions('streaming-pipeline-prod'),
    );
    expect((sqs.sent[0] as GetQueueAttributesCommandInput).QueueUrl).toBe(all.failureQueueUrl);
  });

  it('says null for what it cannot know, and never fails the request', async () => {
    const quiet = fake(() => ({
      MetricDataResults: [
        { Id: 'p50', Values: [] },
        { Id: 'p99', Values: [] },
      ],
    }));
    const denied = fake(() => {
      throw new Error('AccessDenied');
    });
    const { all } = sources({ cloudwatch: quiet, sqs: denied });
    expect(await awsStats(all)).toEqual({ poisonRecords: 12, lagMs: null, failedBatches: null });
    const { all: noQueue } = sources();
    expect((await awsStats({ ...noQueue, failureQueueUrl: undefined })).failedBatches).toBeNull();
  });
});
