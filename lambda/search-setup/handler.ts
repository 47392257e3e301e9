import { request } from 'node:https';
import { request as plainRequest } from 'node:http';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { type SetupProperties, parseSetupProperties, setupPlan } from './core';
import { environmentCredentials } from '../shared/signed-request';
import { SignedClient } from './signed-client';

const PHYSICAL_ID = 'search-setup';

/**
 * CloudFormation custom resource that applies the index template (and, with fine-grained access
 * control, the writer and reader role mappings) to the domain. It answers CloudFormation itself,
 * so no provider-framework function is deployed beside it. Delete leaves the domain as it is:
 * the domain goes with the stack or is retained with its data.
 */
export async function handler(event: CloudFormationCustomResourceEvent, context: Context): Promise<void> {
  let status: 'SUCCESS' | 'FAILED' = 'SUCCESS';
  let reason = '';
  try {
    if (event.RequestType !== 'Delete') {
      const props = parseSetupProperties(event.ResourceProperties);
      const client = new SignedClient({
        endpoint: props.endpoint,
        region: process.env.AWS_REGION ?? 'us-east-1',
        credentials: environmentCredentials(),
      });
      await applySetup(props, client, { deadline: setupDeadline(Date.now(), context, event.ResourceProperties) });
    }
  } catch (error) {
    status = 'FAILED';
    reason = error instanceof Error ? error.message : String(error);
    console.error(JSON.stringify({ message: 'search setup failed', reason }));
  }
  await respond(event.ResponseURL, {
    Status: status,
    Reason: reason === '' ? `See ${context.logStreamName}` : reason.slice(0, 1_000),
    PhysicalResourceId: PHYSICAL_ID,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
}

/**
 * What the last attempt and the answer to CloudFormation may still take after the deadline: one
 * request's 15 s timeout (signed-client.ts), the response URL's 10 s timeout, and 5 s to spare.
 */
export const SAFETY_MARGIN_MS = 30_000;

/** CloudFormation's wait for a custom resource when the template sets no `ServiceTimeout` (1 hour). */
export const DEFAULT_SERVICE_TIMEOUT_S = 3_600;

/**
 * Epoch ms after which no further attempt starts: the earlier of the function's own end (its
 * remaining time) and CloudFormation's (the resource's `ServiceTimeout`, from when the request
 * arrived), less {@link SAFETY_MARGIN_MS}, so the function always answers before either.
 */
export function setupDeadline(
  startedAt: number,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
  resourceProperties: Record<string, unknown>,
): number {
  const serviceTimeout = Number(resourceProperties.ServiceTimeout);
  const cloudFormationMs =
    (Number.isInteger(serviceTimeout) && serviceTimeout > 0 ? serviceTimeout : DEFAULT_SERVICE_TIMEOUT_S) * 1_000;
  return startedAt + Math.min(context.getRemainingTimeInMillis(), cloudFormationMs) - SAFETY_MARGIN_MS;
}

export interface RetryOptions {
  /** Epoch ms after which no further attempt starts. */
  readonly deadline: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/**
 * Worth another attempt: the network, throttling, the service, and 401 and 403. A new domain's
 * security plugin may not be ready, the domain's access policy may not yet be in effect when
 * CloudFormation reports the domain done, and IAM is eventually consistent (IAM User Guide,
 * "Changes that I make are not always immediately visible"), so a refusal is retried until the
 * deadline like the rest; a real one fails the stack there, naming the step and the status.
 */
export function retryable(status: number | undefined): boolean {
  if (status === undefined) return true;
  return status === 401 || status === 403 || status === 429 || status >= 500;
}

/** Full jitter over an exponential ceiling: 2 s, 4 s, ... at most 30 s. */
export function backoffMs(attempt: number, random: () => number): number {
  return Math.floor(random() * Math.min(30_000, 2_000 * 2 ** attempt));
}

export async function applySetup(
  props: SetupProperties,
  client: Pick<SignedClient, 'send'>,
  retry: RetryOptions,
): Promise<void> {
  const now = retry.now ?? Date.now;
  const sleep = retry.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = retry.random ?? Math.random;
  for (const step of setupPlan(props)) {
    for (let attempt = 0; ; attempt++) {
      let status: number | undefined;
      let detail: string;
      try {
        const res = await client.send(step.method, step.path, step.body);
        if (res.status >= 200 && res.status < 300) break;
        status = res.status;
        detail = `HTTP ${res.status} ${res.body.slice(0, 300)}`;
      } catch (error) {
        detail = error instanceof Error ? error.message : String(error);
      }
      const wait = backoffMs(attempt, random);
      if (!retryable(status) || now() + wait > retry.deadline) {
        throw new Error(`${step.method} ${step.path}: ${detail} (after ${attempt + 1} attempts)`);
      }
      console.warn(JSON.stringify({ message: 'search setup retry', step: step.path, attempt: attempt + 1, detail }));
      await sleep(wait);
    }
  }
}

function respond(url: string, body: Record<string, unknown>): Promise<void> {
  const payload = JSON.stringify(body);
  const target = new URL(url);
  const send = target.protocol === 'https:' ? request : plainRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      // The pre-signed URL is signed for an empty content type.
      { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve());
      },
    );
    // Better a logged failure than a function that hangs until its timeout with CloudFormation waiting.
    req.setTimeout(10_000, () => req.destroy(new Error('no answer from the CloudFormation response URL in 10 s')));
    req.on('error', reject);
    req.end(payload);
  });
}
