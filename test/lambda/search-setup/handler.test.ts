import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { SEARCH_INDEX } from '../../../lambda/shared/constants';
import { indexTemplate, parseSetupProperties, setupPlan } from '../../../lambda/search-setup/core';
import {
  SAFETY_MARGIN_MS,
  applySetup,
  backoffMs,
  handler,
  retryable,
  setupDeadline,
} from '../../../lambda/search-setup/handler';
import { SignedClient } from '../../../lambda/search-setup/signed-client';
import { toSearchDocument } from '../../../lambda/search-transform/core';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

let server: Server;
let port: number;
let received: Received[] = [];
let answer = (_r: Received): number => 200;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      received.push(r);
      res.writeHead(answer(r), { 'content-type': 'application/json' }).end('{"acknowledged":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => {
  received = [];
  answer = () => 200;
});

const WRITER = 'arn:aws:iam::123456789012:role/search-delivery';
const READER = 'arn:aws:iam::123456789012:role/analysts';
const RAW = {
  ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:setup',
  Endpoint: 'search-abc.us-east-1.es.amazonaws.com',
  FineGrainedAccessControl: 'true',
  WriterRoleArn: WRITER,
  ReaderRoleArn: READER,
  Shards: '3',
  Replicas: '1',
};
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' };

function client(): SignedClient {
  return new SignedClient({
    endpoint: '127.0.0.1',
    region: 'eu-west-1',
    credentials: CREDENTIALS,
    protocol: 'http:',
    port,
  });
}

function cfnEvent(
  type: 'Create' | 'Update' | 'Delete',
  props: Record<string, unknown>,
): CloudFormationCustomResourceEvent {
  return {
    RequestType: type,
    ServiceToken: RAW.ServiceToken,
    ResponseURL: `http://127.0.0.1:${port}/cfn-response?signature=x`,
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/pipeline/1',
    RequestId: 'request-1',
    LogicalResourceId: 'SearchSetup',
    ResourceType: 'Custom::SearchSetup',
    ResourceProperties: { ServiceToken: RAW.ServiceToken, ...props },
    ...(type === 'Create' ? {} : { PhysicalResourceId: 'search-setup', OldResourceProperties: {} }),
  } as CloudFormationCustomResourceEvent;
}

const CONTEXT = { logStreamName: '2026/11/23/[$LATEST]abc', getRemainingTimeInMillis: () => 60_000 } as Context;
const NO_RETRY = { deadline: 0 };

describe('search setup plan', () => {
  it('without fine-grained access control: only the index template', () => {
    const plan = setupPlan(parseSetupProperties({ ...RAW, FineGrainedAccessControl: 'false' }));
    expect(plan.map((p) => `${p.method} ${p.path}`)).toEqual(['PUT /_index_template/pipeline-events']);
  });

  it('with it: the template, a write-only role for events-*, the writer mapping and the reader mapping', () => {
    const plan = setupPlan(parseSetupProperties(RAW));
    expect(plan.map((p) => `${p.method} ${p.path}`)).toEqual([
      'PUT /_index_template/pipeline-events',
      'PUT /_plugins/_security/api/roles/pipeline_writer',
      'PUT /_plugins/_security/api/rolesmapping/pipeline_writer',
      'PUT /_plugins/_security/api/rolesmapping/readall',
    ]);
    // As AWS documents for Firehose under fine-grained access control, on events-* only.
    expect(plan[1].body).toEqual({
      cluster_permissions: ['cluster_composite_ops', 'cluster_monitor'],
      index_permissions: [{ index_patterns: ['events-*'], allowed_actions: ['create_index', 'manage', 'crud'] }],
    });
    expect(plan[2].body).toEqual({ backend_roles: [WRITER] });
    expect(plan[3].body).toEqual({ backend_roles: [READER] });
    expect(setupPlan(parseSetupProperties({ ...RAW, ReaderRoleArn: '' }))).toHaveLength(3);
  });

  it('maps every field of the search document explicitly, with one type each', () => {
    const template = indexTemplate(1, 0) as {
      index_patterns: string[];
      template: {
        settings: Record<string, unknown>;
        mappings: { dynamic: boolean; properties: Record<string, { type: string }> };
      };
    };
    expect(template.index_patterns).toEqual([`${SEARCH_INDEX}-*`]);
    expect(template.template.settings).toMatchObject({ number_of_shards: 1, number_of_replicas: 0 });
    const mappings = template.template.mappings;
    expect(mappings.dynamic).toBe(false);
    const doc = toSearchDocument(
      Buffer.from(JSON.stringify({ eventId: 'e', eventTime: 1, type: 't', key: 'k', value: 2, attributes: { a: 1 } })),
      60,
    );
    if (!doc.ok) throw new Error(doc.reason);
    // Every field the transform writes has a mapping: none is left to dynamic mapping's first guess.
    expect(Object.keys(mappings.properties).sort()).toEqual(Object.keys(doc.document).sort());
    expect(Object.fromEntries(Object.entries(mappings.properties).map(([k, v]) => [k, v.type]))).toEqual({
      '@timestamp': 'date',
      eventTime: 'date',
      windowStart: 'date',
      eventId: 'keyword',
      type: 'keyword',
      key: 'keyword',
      value: 'double',
      valueGiven: 'boolean',
      attributes: 'flat_object',
    });
  });

  it('names the property that is wrong', () => {
    expect(() => parseSetupProperties({ ...RAW, Endpoint: '' })).toThrow(/^Endpoint:/);
    expect(() => parseSetupProperties({ ...RAW, Shards: 'two' })).toThrow(/^Shards:/);
    expect(() => parseSetupProperties({ ...RAW, FineGrainedAccessControl: 'yes' })).toThrow(
      /^FineGrainedAccessControl:/,
    );
    expect(() => parseSetupProperties({ ...RAW, WriterRoleArn: undefined })).toThrow(/^WriterRoleArn:/);
  });
});

describe('search setup against a domain', () => {
  it('sends each step as a SigV4-signed JSON PUT for the es service', async () => {
    await applySetup(parseSetupProperties({ ...RAW, Endpoint: 'https://127.0.0.1' }), client(), NO_RETRY);
    expect(received.map((r) => `${r.method} ${r.url}`)).toEqual([
      'PUT /_index_template/pipeline-events',
      'PUT /_plugins/_security/api/roles/pipeline_writer',
      'PUT /_plugins/_security/api/rolesmapping/pipeline_writer',
      'PUT /_plugins/_security/api/rolesmapping/readall',
    ]);
    for (const r of received) {
      expect(r.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/es\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
      );
      expect(r.headers['x-amz-security-token']).toBe('token');
      expect(r.headers['x-amz-content-sha256'] ?? r.headers['x-amz-date']).toBeDefined();
      expect(r.headers['content-type']).toBe('application/json');
      expect(() => JSON.parse(r.body) as unknown).not.toThrow();
    }
    expect(JSON.parse(received[2].body)).toEqual({ backend_roles: [WRITER] });
  });

  it('stops at the first refused step and says which; a 400 is not retried however long is left', async () => {
    answer = (r) => (r.url.includes('/roles/') ? 400 : 200);
    await expect(
      applySetup(parseSetupProperties(RAW), client(), {
        deadline: Date.now() + 600_000,
        sleep: () => Promise.resolve(),
      }),
    ).rejects.toThrow(/^PUT \/_plugins\/_security\/api\/roles\/pipeline_writer: HTTP 400 .*\(after 1 attempts\)$/);
    expect(received).toHaveLength(2);
  });

  it('retries a domain that is still settling: 503, 429 and 403', async () => {
    const statuses = [503, 429, 403];
    answer = () => statuses.shift() ?? 200;
    const slept: number[] = [];
    await applySetup(parseSetupProperties({ ...RAW, FineGrainedAccessControl: 'false' }), client(), {
      deadline: Date.now() + 60_000,
      sleep: (ms) => {
        slept.push(ms);
        return Promise.resolve();
      },
      random: () => 1,
    });
    expect(received).toHaveLength(4);
    // Exponential ceilings with full jitter (random = 1 takes the ceiling).
    expect(slept).toEqual([2_000, 4_000, 8_000]);
  });

  it('gives up at the deadline on a domain it cannot reach, naming the step and the attempts', async () => {
    const unreachable = new SignedClient({
      endpoint: '127.0.0.1',
      region: 'eu-west-1',
      credentials: CREDENTIALS,
      protocol: 'http:',
      port: 1,
    });
    let clock = 0;
    await expect(
      applySetup(parseSetupProperties(RAW), unreachable, {
        deadline: 10_000,
        now: () => clock,
        sleep: (ms) => {
          clock += ms;
          return Promise.resolve();
        },
        random: () => 1,
      }),
    ).rejects.toThrow(/^PUT \/_index_template\/pipeline-events: .*ECONNREFUSED.* \(after 3 attempts\)$/);
  });
});

describe('retry policy', () => {
  it('retries the network, throttling, server errors, 401 and 403; not other client errors', () => {
    expect([undefined, 401, 403, 429, 500, 503].map(retryable)).toEqual([true, true, true, true, true, true]);
    expect([400, 404, 409, 413].map(retryable)).toEqual([false, false, false, false]);
  });

  it('backs off with full jitter under a ceiling that doubles up to 30 s', () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffMs(n, () => 1))).toEqual([2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    expect(backoffMs(3, () => 0)).toBe(0);
    expect(backoffMs(3, () => 0.25)).toBe(4_000);
  });

  it("gives up at the earlier of the function's end and CloudFormation's, less a margin to answer", () => {
    const lambda = (ms: number) => ({ getRemainingTimeInMillis: () => ms });
    // The function's 15 minutes end first under a 16-minute ServiceTimeout.
    expect(setupDeadline(1_000, lambda(900_000), { ServiceTimeout: '960' })).toBe(1_000 + 900_000 - SAFETY_MARGIN_MS);
    // A ServiceTimeout shorter than the function's time bounds it instead.
    expect(setupDeadline(1_000, lambda(900_000), { ServiceTimeout: '300' })).toBe(1_000 + 300_000 - SAFETY_MARGIN_MS);
    // Without one, CloudFormation waits its default hour.
    expect(setupDeadline(1_000, lambda(900_000), {})).toBe(1_000 + 900_000 - SAFETY_MARGIN_MS);
    expect(setupDeadline(0, lambda(7_200_000), { ServiceTimeout: 'x' })).toBe(3_600_000 - SAFETY_MARGIN_MS);
    // The margin covers the last request (15 s timeout) and the answer to CloudFormation (10 s).
    expect(SAFETY_MARGIN_MS).toBeGreaterThanOrEqual(25_000);
  });
});

/** A domain that refuses with `status` until `until` on the injected clock, then accepts; each request takes 200 ms. */
function refusingDomain(clock: { now: number }, status: number, until: number) {
  const attempts: number[] = [];
  return {
    attempts,
    send: (): Promise<{ status: number; body: string }> => {
      attempts.push(clock.now);
      clock.now += 200;
      return Promise.resolve(
        clock.now < until
          ? { status, body: '{"message":"no permissions for [indices:admin/template/put]"}' }
          : { status: 200, body: '{}' },
      );
    },
  };
}

describe('retrying until the deadline', () => {
  beforeEach(() => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  const TEMPLATE_ONLY = parseSetupProperties({ ...RAW, FineGrainedAccessControl: 'false' });
  const fakeTime = (clock: { now: number }, slept: number[] = []) => ({
    now: () => clock.now,
    sleep: (ms: number) => {
      slept.push(ms);
      clock.now += ms;
      return Promise.resolve();
    },
  });

  it('keeps retrying a 403 well past three minutes and succeeds once the access policy takes effect', async () => {
    const clock = { now: 0 };
    const domain = refusingDomain(clock, 403, 9 * 60_000);
    await applySetup(TEMPLATE_ONLY, domain, {
      deadline: 14.5 * 60_000,
      ...fakeTime(clock),
      random: () => 0.5,
    });
    expect(domain.attempts.at(-1)).toBeGreaterThanOrEqual(9 * 60_000 - 200);
    expect(domain.attempts.filter((t) => t > 3 * 60_000).length).toBeGreaterThan(10);
  });

  it('never starts an attempt after the deadline, and fails with the last refusal just before it', async () => {
    const clock = { now: 0 };
    const deadline = setupDeadline(0, { getRemainingTimeInMillis: () => 900_000 }, { ServiceTimeout: '960' });
    const domain = refusingDomain(clock, 401, Infinity);
    const slept: number[] = [];
    await expect(
      applySetup(TEMPLATE_ONLY, domain, { deadline, ...fakeTime(clock, slept), random: () => 1 }),
    ).rejects.toThrow(/^PUT \/_index_template\/pipeline-events: HTTP 401 .*\(after \d+ attempts\)$/);
    // The exponential schedule with random = 1: 2, 4, 8, 16 s, then 30 s each, jitter taking the ceiling.
    expect(slept.slice(0, 6)).toEqual([2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    expect(Math.max(...domain.attempts)).toBeLessThanOrEqual(deadline);
    // It stopped because the next attempt would have started after the deadline, not before.
    expect(clock.now + 30_000).toBeGreaterThan(deadline);
    expect(deadline - domain.attempts.at(-1)!).toBeLessThan(30_000 + 200);
    // What runs after the deadline is the last request alone; the margin is for it and the answer.
    expect(clock.now).toBeLessThanOrEqual(deadline + 200);
  });

  it('spreads the waits with jitter: each within its ceiling, not all at it', async () => {
    const clock = { now: 0 };
    const domain = refusingDomain(clock, 403, 5 * 60_000);
    const slept: number[] = [];
    let seed = 7;
    const random = () => ((seed = (seed * 16_807) % 2_147_483_647) - 1) / 2_147_483_646;
    await applySetup(TEMPLATE_ONLY, domain, { deadline: 14.5 * 60_000, ...fakeTime(clock, slept), random });
    slept.forEach((ms, i) => expect(ms).toBeLessThanOrEqual(Math.min(30_000, 2_000 * 2 ** i)));
    expect(new Set(slept).size).toBeGreaterThan(slept.length / 2);
  });
});

describe('custom resource handler', () => {
  it('answers CloudFormation SUCCESS on Delete without touching the domain', async () => {
    await handler(cfnEvent('Delete', RAW), CONTEXT);
    expect(received).toHaveLength(1);
    expect(received[0].method).toBe('PUT');
    expect(received[0].url).toBe('/cfn-response?signature=x');
    expect(JSON.parse(received[0].body)).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'search-setup',
      RequestId: 'request-1',
      LogicalResourceId: 'SearchSetup',
      StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/pipeline/1',
    });
  });

  it('answers FAILED with the reason when setup cannot complete, so the stack rolls back', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret', AWS_REGION: 'us-east-1' });
    try {
      await handler(cfnEvent('Create', { ...RAW, Shards: 'x' }), CONTEXT);
    } finally {
      process.env = saved;
    }
    expect(received).toHaveLength(1);
    expect(JSON.parse(received[0].body)).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/^Shards:/) });
  });
});
