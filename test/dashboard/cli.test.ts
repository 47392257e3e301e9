import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { describe, expect, it } from 'vitest';
import { parseDashboardOptions } from '../../dashboard/cli';
import { resolveStack } from '../../dashboard/stack-outputs';
import { PROJECT_AGGREGATES_FILE, loadDeclarationsFile } from '../../lambda/shared/declarations-file';

function cloudformation(outputs: Record<string, string>, stackName?: string): Pick<CloudFormationClient, 'send'> {
  return {
    send: () =>
      Promise.resolve({
        Stacks: [
          {
            ...(stackName === undefined ? {} : { StackName: stackName }),
            Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
          },
        ],
      }),
  };
}

describe('npm run dashboard', () => {
  it('reads the flags', () => {
    expect(parseDashboardOptions(['--stack', 's', '--region', 'eu-west-1', '--profile', 'dev'])).toEqual({
      stack: 's',
      region: 'eu-west-1',
      profile: 'dev',
      port: 3000,
      declarations: loadDeclarationsFile(PROJECT_AGGREGATES_FILE),
    });
    const keyed = parseDashboardOptions(['--stack', 's', '--aggregates', 'test/fixtures/keyed-aggregates.json']);
    expect(keyed.declarations.aggregates.map((a) => a.name)).toEqual(['by_key']);
    expect(() => parseDashboardOptions(['--stack', 's', '--aggregates', '/nonexistent.json'])).toThrow(
      /^--aggregates: \/nonexistent\.json: cannot be read/,
    );
    expect(() => parseDashboardOptions([])).toThrow(/^--stack: required/);
    expect(() => parseDashboardOptions(['--stack', 's', '--port', 'x'])).toThrow(/^--port:/);
    expect(() => parseDashboardOptions(['--stak', 's'])).toThrow(/--stak/);
  });

  it('finds the table, the dead-letter bucket and whether the byType index exists in the stack outputs', async () => {
    const resources = await resolveStack(
      cloudformation({ AggregatesTableName: 't', DeadLetterBucketName: 'b', ByTypeIndex: 'true', StreamName: 'x' }),
      'streaming-pipeline-dev',
    );
    expect(resources).toEqual({
      stackName: 'streaming-pipeline-dev',
      tableName: 't',
      deadLetterBucket: 'b',
      byTypeIndex: true,
      streamName: 'x',
    });
    const withQueue = await resolveStack(
      cloudformation({ AggregatesTableName: 't', DeadLetterBucketName: 'b', FailureQueueUrl: 'https://sqs/q' }),
      'streaming-pipeline-dev',
    );
    expect(withQueue.failureQueueUrl).toBe('https://sqs/q');
  });

  it('takes the stack name CloudFormation reports, the dimension of its metrics, even given the stack ARN', async () => {
    const arn = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/streaming-pipeline-prod/0a1b2c3d';
    const resources = await resolveStack(
      cloudformation({ AggregatesTableName: 't', DeadLetterBucketName: 'b' }, 'streaming-pipeline-prod'),
      arn,
    );
    expect(resources.stackName).toBe('streaming-pipeline-prod');
  });

  it('names the missing output when the stack is not this project', async () => {
    await expect(resolveStack(cloudformation({ Other: 'x' }), 'other')).rejects.toThrow(
      '--stack: stack "other" has no output AggregatesTableName',
    );
  });
});
