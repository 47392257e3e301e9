import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';

/** The state machine's input (lib/constructs/backfill.ts): the run, and the slices its Map fans out. */
export interface RemoteInput {
  readonly aggregate: string;
  readonly from: string;
  readonly to: string;
  readonly format: string;
  readonly dryRun: boolean;
  /** `i/N`, one Map iteration each. */
  readonly slices: readonly string[];
}

export function remoteInput(run: Omit<RemoteInput, 'slices'>, slices: number): RemoteInput {
  return { ...run, slices: Array.from({ length: slices }, (_, i) => `${i + 1}/${slices}`) };
}

export interface RemoteProgress {
  readonly succeeded: number;
  readonly failed: number;
}

export interface RemoteResult {
  readonly executionArn: string;
  readonly status: string;
  /** Each slice's summary, as the state machine's Map returns them. */
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
}

/** Map iterations finished so far, from the execution's history. */
async function iterations(sfn: Pick<SFNClient, 'send'>, executionArn: string): Promise<RemoteProgress> {
  let succeeded = 0;
  let failed = 0;
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken, includeExecutionData: false }),
    );
    for (const e of page.events ?? ([] as HistoryEvent[])) {
      if (e.type === 'MapIterationSucceeded') succeeded++;
      if (e.type === 'MapIterationFailed' || e.type === 'MapIterationAborted') failed++;
    }
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return { succeeded, failed };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts an execution and follows it to its end, reporting finished slices as they come. */
export async function runRemote(
  sfn: Pick<SFNClient, 'send'>,
  stateMachineArn: string,
  input: RemoteInput,
  onProgress: (p: RemoteProgress) => void,
  pollMs = 5_000,
): Promise<RemoteResult> {
  const started = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn,
      name: `${input.aggregate}-${Date.now()}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80),
      input: JSON.stringify(input),
    }),
  );
  const executionArn = started.executionArn!;
  for (;;) {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    onProgress(await iterations(sfn, executionArn));
    if (d.status !== 'RUNNING' && d.status !== 'PENDING_REDRIVE') {
      return {
        executionArn,
        status: d.status ?? 'UNKNOWN',
        ...(d.output === undefined ? {} : { output: JSON.parse(d.output) as unknown }),
        ...(d.error === undefined ? {} : { error: d.error }),
        ...(d.cause === undefined ? {} : { cause: d.cause }),
      };
    }
    await sleep(pollMs);
  }
}
