import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

export interface StackResources {
  readonly tableName: string;
  readonly deadLetterBucket: string;
  /** The table has the optional `byType` index. */
  readonly byTypeIndex: boolean;
  /** Absent on stacks deployed before the output existed. */
  readonly failureQueueUrl?: string;
}

/** The table and bucket of a deployed stack, from its outputs: nothing to copy by hand. */
export async function resolveStack(
  cloudformation: Pick<CloudFormationClient, 'send'>,
  stackName: string,
): Promise<StackResources> {
  const { Stacks } = await cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
  const outputs = new Map((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
  const need = (key: string): string => {
    const value = outputs.get(key);
    if (value === undefined)
      throw new Error(`--stack: stack "${stackName}" has no output ${key}; is it this project's stack, deployed?`);
    return value;
  };
  return {
    tableName: need('AggregatesTableName'),
    deadLetterBucket: need('DeadLetterBucketName'),
    byTypeIndex: outputs.get('ByTypeIndex') === 'true',
    ...(outputs.get('FailureQueueUrl') === undefined ? {} : { failureQueueUrl: outputs.get('FailureQueueUrl') }),
  };
}
