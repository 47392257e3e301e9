import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { combineSlices } from '../../backfill/cli';
import { remoteInput, runRemote } from '../../backfill/remote';

/** Step Functions has no emulator here: an in-process fake that runs three slices, one per poll. */
function fakeSfn(outcome: 'SUCCEEDED' | 'FAILED'): { sfn: Pick<SFNClient, 'send'>; calls: unknown[] } {
  const calls: unknown[] = [];
  let polls = 0;
  const summary = (slice: string) => ({ aggregate: 'pages', slice, windows: 60, events: 10, written: 5, deleted: 1 });
  const send = (command: unknown): Promise<unknown> => {
    calls.push(command);
    if (command instanceof StartExecutionCommand) return Promise.resolve({ executionArn: 'arn:exec' });
    if (command instanceof DescribeExecutionCommand) {
      polls++;
      if (polls < 3) return Promise.resolve({ status: 'RUNNING' });
      return Promise.resolve(
        outcome === 'SUCCEEDED'
          ? { status: 'SUCCEEDED', output: JSON.stringify(['1/3', '2/3', '3/3'].map(summary)) }
          : { status: 'FAILED', error: 'States.TaskFailed', cause: 'slice 2/3: time ran short' },
      );
    }
    if (command instanceof GetExecutionHistoryCommand) {
      const done = Math.min(3, polls);
      return Promise.resolve({
        events: Array.from({ length: done }, (_, i) => ({
          type: outcome === 'FAILED' && i === 1 ? 'MapIterationFailed' : 'MapIterationSucceeded',
        })),
      });
    }
    return Promise.reject(new Error('unexpected command'));
  };
  return { sfn: { send } as Pick<SFNClient, 'send'>, calls };
}

describe('npm run backfill -- --remote', () => {
  it('starts the state machine with every slice and follows it to its end, slice by slice', async () => {
    const { sfn, calls } = fakeSfn('SUCCEEDED');
    const progress: number[] = [];
    const input = remoteInput(
      {
        aggregate: 'pages',
        from: '2026-11-01T00:00:00.000Z',
        to: '2026-11-04T00:00:00.000Z',
        format: 'auto',
        dryRun: false,
      },
      3,
    );
    const result = await runRemote(sfn, 'arn:sm', input, (p) => progress.push(p.succeeded + p.failed), 1);
    const start = calls[0] as StartExecutionCommand;
    expect(start.input.stateMachineArn).toBe('arn:sm');
    expect(JSON.parse(start.input.input!)).toEqual({ ...input, slices: ['1/3', '2/3', '3/3'] });
    expect(progress).toEqual([1, 2, 3]);
    expect(result.status).toBe('SUCCEEDED');
    expect(combineSlices(result.output)).toMatchObject({ aggregate: 'pages', windows: 180, written: 15, deleted: 3 });
  });

  it('reports a failed run with its error and cause', async () => {
    const { sfn } = fakeSfn('FAILED');
    const progress: { succeeded: number; failed: number }[] = [];
    const result = await runRemote(
      sfn,
      'arn:sm',
      remoteInput({ aggregate: 'pages', from: 'a', to: 'b', format: 'auto', dryRun: true }, 3),
      (p) => progress.push(p),
      1,
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.TaskFailed', cause: 'slice 2/3: time ran short' });
    expect(progress.at(-1)).toEqual({ succeeded: 2, failed: 1 });
    expect(combineSlices(result.output)).toBeUndefined();
  });
});
