import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

/** What backfill reads of a deployed stack, from its outputs (lib/pipeline-stack.ts). */
export interface BackfillStack {
  readonly tableName: string;
  readonly archiveBucket: string;
  readonly stateMachineArn: string;
  readonly ttlDays: number;
  readonly bufferSeconds: number;
  readonly maxRecordAgeSeconds: number;
  readonly byTypeIndex: boolean;
}

export async function resolveBackfillStack(
  cloudformation: Pick<CloudFormationClient, 'send'>,
  stackName: string,
): Promise<BackfillStack> {
  const { Stacks } = await cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
  const outputs = new Map((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
  const need = (key: string): string => {
    const value = outputs.get(key);
    if (value === undefined)
      throw new Error(
        `--stack: stack "${stackName}" has no output ${key}; is it this project's stack, deployed with backfill?`,
      );
    return value;
  };
  return {
    tableName: need('AggregatesTableName'),
    archiveBucket: need('ArchiveBucketName'),
    stateMachineArn: need('BackfillStateMachineArn'),
    ttlDays: Number(need('AggregateTtlDays')),
    bufferSeconds: Number(need('ArchiveBufferSeconds')),
    maxRecordAgeSeconds: Number(need('MaxRecordAgeSeconds')),
    byTypeIndex: outputs.get('ByTypeIndex') === 'true',
  };
}
