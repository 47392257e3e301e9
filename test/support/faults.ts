import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { DynamoDbItemClient } from '../../lambda/shared/dynamodb-item-client';

export type Fault = 'fail' | 'lose-answer' | undefined;
/** Asked twice per attempt: before the request goes out ('send'), and once the server has answered ('answer'). */
export type FaultPlan = (commandName: string, input: Record<string, unknown>, phase: 'send' | 'answer') => Fault;

/**
 * Injects faults into an SDK client:
 * - 'fail' throws before the request is sent, outside the SDK's retries (the write did not happen);
 * - 'lose-answer' lets the request succeed on the server, then throws a connection reset inside
 *   the SDK's retry loop, as a dropped response would (the write happened, the caller cannot know).
 */
export function injectFaults(client: DynamoDBClient | S3Client | DynamoDbItemClient, plan: FaultPlan): void {
  if (client instanceof DynamoDbItemClient) {
    injectItemClientFaults(client, plan);
    return;
  }
  const stack = client.middlewareStack as unknown as {
    add: (mw: unknown, options: Record<string, unknown>) => void;
  };
  stack.add(
    (next: (args: { input: Record<string, unknown> }) => Promise<unknown>, context: { commandName: string }) =>
      async (args: { input: Record<string, unknown> }) => {
        if (plan(context.commandName, args.input, 'send') === 'fail') {
          throw Object.assign(new Error(`injected failure of ${context.commandName}`), {
            name: 'InjectedFailure',
            $fault: 'client',
            $metadata: {},
          });
        }
        return next(args);
      },
    { step: 'initialize', name: 'injectFailures', priority: 'high' },
  );
  stack.add(
    (next: (args: { input: Record<string, unknown> }) => Promise<unknown>, context: { commandName: string }) =>
      async (args: { input: Record<string, unknown> }) => {
        const output = await next(args);
        if (plan(context.commandName, args.input, 'answer') === 'lose-answer') {
          throw Object.assign(new Error('socket hang up (injected after the server applied the request)'), {
            name: 'TimeoutError',
            code: 'ECONNRESET',
            $metadata: {},
          });
        }
        return output;
      },
    { step: 'deserialize', name: 'injectLostAnswers', priority: 'high' },
  );
}

/** The same faults on the aggregator's own client, which names each call as the SDK command would be named. */
function injectItemClientFaults(client: DynamoDbItemClient, plan: FaultPlan): void {
  client.intercept({
    beforeCall: (operation, input) => {
      if (plan(`${operation}Command`, input as Record<string, unknown>, 'send') === 'fail') {
        throw Object.assign(new Error(`injected failure of ${operation}Command`), { name: 'InjectedFailure' });
      }
    },
    afterAnswer: (operation, input) => {
      if (plan(`${operation}Command`, input as Record<string, unknown>, 'answer') === 'lose-answer') {
        throw Object.assign(new Error('socket hang up (injected after the server applied the request)'), {
          code: 'ECONNRESET',
        });
      }
    },
  });
}

/** Deterministic PRNG so that a failing schedule can be replayed from its seed. */
export { seededRandom as seeded } from '../../loadgen/random';
