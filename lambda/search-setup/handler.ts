import { request } from 'node:https';
import { request as plainRequest } from 'node:http';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { type SetupProperties, parseSetupProperties, setupPlan } from './core';
import { SignedClient, credentialsFromEnv } from './signed-client';

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
        credentials: credentialsFromEnv(),
      });
      await applySetup(props, client);
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

export async function applySetup(props: SetupProperties, client: Pick<SignedClient, 'send'>): Promise<void> {
  for (const step of setupPlan(props)) {
    const res = await client.send(step.method, step.path, step.body);
    if (res.status < 200 || res.status >= 300) {
      throw new Error(`${step.method} ${step.path}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
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
    req.on('error', reject);
    req.end(payload);
  });
}
