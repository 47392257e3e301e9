import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

export interface StackResources {
  /**
   * The stack's name as CloudFormation reports it (`--stack` may also be its ARN): the `stack`
   * dimension of the aggregator's metrics.
   */
  readonly stackName: string;
  readonly tableName: string;
  readonly deadLetterBucket: string;
  /** The table has the optional `byType` index. */
  readonly byTypeIndex: boolean;
  /** Absent on stacks deployed before the output existed. */
  readonly failureQueueUrl?: string;
  /** The ingest stream (`npm run redrive` tidies its shards' failure registries). */
  readonly streamName?: string;
  /** The items' TTL in days, the default allowed lateness the aggregator applies. */
  readonly ttlDays?: number;
}

/** The table and bucket of a deployed stack, from its outputs: nothing to copy by hand. */
export async function resolveStack(
  cloudformation: Pick<CloudFormationClient, 'send'>,
  stackName: string,
): Promise<StackResources> {
  const { Stacks } = await cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
  const stack = Stacks?.[0];
  const outputs = new Map((stack?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
  const need = (key: string): string => {
    const value = outputs.get(key);
    if (value === undefined)
      throw new Error(`--stack: stack "${stackName}" has no output ${key}; is it this project's stack, deployed?`);
    return value;
  };
  return {
    stackName: stack?.StackName ?? stackName,
    tableName: need('AggregatesTableName'),
    deadLetterBucket: need('DeadLetterBucketName'),
    byTypeIndex: outputs.get('ByTypeIndex') === 'true',
    ...(outputs.get('FailureQueueUrl') === undefined ? {} : { failureQueueUrl: outputs.get('FailureQueueUrl') }),
    ...(outputs.get('StreamName') === undefined ? {} : { streamName: outputs.get('StreamName') }),
    ...(outputs.get('AggregateTtlDays') === undefined ? {} : { ttlDays: Number(outputs.get('AggregateTtlDays')) }),
  };
}
