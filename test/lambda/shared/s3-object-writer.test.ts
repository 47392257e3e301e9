import { createHash, createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectUrl, S3ObjectWriter, S3WriteError, s3EndpointFromEnv } from '../../../lambda/shared/s3-object-writer';
import { backoffMs, isRetryable, maxAttemptsFromEnv } from '../../../lambda/shared/signed-request';
import {
  type Emulator,
  TEST_CREDENTIALS,
  TEST_REGION,
  createBucket,
  startS3rver,
  testS3,
  uniqueName,
} from '../../support/emulators';
import { readObjects } from '../../support/read-back';
import { type ScriptedAnswer, type Seen, scriptedServer as scriptedServerOf } from '../../support/scripted-server';

describe('objectUrl', () => {
  it('uses the virtual-hosted name on AWS, and the Region partition of its domain', () => {
    expect(objectUrl('dead-letter', 'poison/a.json', 'eu-west-1').href).toBe(
      'https://dead-letter.s3.eu-west-1.amazonaws.com/poison/a.json',
    );
    expect(objectUrl('b', 'k', 'cn-north-1').host).toBe('b.s3.cn-north-1.amazonaws.com.cn');
  });

  it('goes path-style for bucket names with dots and on an endpoint override', () => {
    expect(objectUrl('my.bucket', 'k', 'us-east-1').href).toBe('https://s3.us-east-1.amazonaws.com/my.bucket/k');
    expect(objectUrl('b', 'k', 'us-east-1', 'http://127.0.0.1:4569/').href).toBe('http://127.0.0.1:4569/b/k');
  });

  it('encodes each key segment as S3 expects and keeps the slashes', () => {
    expect(objectUrl('b', 'poison/dt=2026-12-02/a b+c(1)!.json', 'us-east-1').pathname).toBe(
      '/poison/dt%3D2026-12-02/a%20b%2Bc%281%29%21.json',
    );
  });
});

describe('configuration from the SDK variables', () => {
  it('takes AWS_ENDPOINT_URL_S3 before AWS_ENDPOINT_URL, and neither when configured endpoints are ignored', () => {
    expect(s3EndpointFromEnv({ AWS_ENDPOINT_URL_S3: 'http://s3', AWS_ENDPOINT_URL: 'http://all' })).toBe('http://s3');
    expect(s3EndpointFromEnv({ AWS_ENDPOINT_URL: 'http://all' })).toBe('http://all');
    expect(s3EndpointFromEnv({})).toBeUndefined();
    expect(
      s3EndpointFromEnv({ AWS_ENDPOINT_URL_S3: 'http://s3', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }),
    ).toBeUndefined();
  });

  it('reads AWS_MAX_ATTEMPTS and names it when it is not a positive integer', () => {
    expect(maxAttemptsFromEnv({})).toBe(5);
    expect(maxAttemptsFromEnv({ AWS_MAX_ATTEMPTS: '2' })).toBe(2);
    expect(() => maxAttemptsFromEnv({ AWS_MAX_ATTEMPTS: 'two' })).toThrow(
      /AWS_MAX_ATTEMPTS: must be a positive integer/,
    );
  });
});

describe('retries', () => {
  it('retries transport failures, 5xx, 429 and throttling codes, and nothing else', () => {
    expect(isRetryable({ transportError: true, code: 'ECONNRESET' })).toBe(true);
    expect(isRetryable({ statusCode: 503, code: 'SlowDown' })).toBe(true);
    expect(isRetryable({ statusCode: 500, code: 'InternalError' })).toBe(true);
    expect(isRetryable({ statusCode: 429 })).toBe(true);
    expect(isRetryable({ statusCode: 400, code: 'RequestTimeout' })).toBe(true);
    expect(isRetryable({ statusCode: 403, code: 'AccessDenied' })).toBe(false);
    expect(isRetryable({ statusCode: 404, code: 'NoSuchBucket' })).toBe(false);
  });

  it('backs off with full jitter, growing, capped at 20 s', () => {
    expect(backoffMs(1, () => 0.999)).toBe(199);
    expect(backoffMs(3, () => 0.5)).toBe(400);
    expect(backoffMs(30, () => 0.999)).toBe(19_980);
    expect(backoffMs(2, () => 0)).toBe(0);
  });
});

const scriptedServer = (answers: ScriptedAnswer[]) =>
  scriptedServerOf(answers, { contentType: 'application/xml', otherwise: { status: 200 } });

/** SigV4 recomputed from the received request, by the algorithm AWS documents, independently of the signer. */
function expectedSignature(r: Seen, secretAccessKey: string): string {
  const auth = /Credential=[^/]+\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=/.exec(
    r.headers.authorization!,
  )!;
  const [, date, region, service, signedHeaders] = auth;
  const canonicalHeaders = signedHeaders
    .split(';')
    .map((h) => `${h}:${String(r.headers[h]).trim()}\n`)
    .join('');
  const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
  const canonicalRequest = [
    r.method,
    r.url,
    '',
    canonicalHeaders,
    signedHeaders,
    String(r.headers['x-amz-content-sha256']),
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', String(r.headers['x-amz-date']), scope, sha256(canonicalRequest)].join(
    '\n',
  );
  let key: Buffer = createHmac('sha256', `AWS4${secretAccessKey}`).update(date).digest();
  for (const part of [region, service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

const errorXml = (code: string): string =>
  `<?xml version="1.0"?><Error><Code>${code}</Code><Message>m</Message></Error>`;
const noSleep = (): Promise<void> => Promise.resolve();

describe('S3ObjectWriter', () => {
  it('signs one PUT with SigV4 for s3, the body hash and the session token', async () => {
    const { endpoint, seen, server } = await scriptedServer([{ status: 200 }]);
    try {
      const writer = new S3ObjectWriter({
        endpoint,
        region: 'eu-west-1',
        credentials: () => Promise.resolve({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 's', sessionToken: 'tok' }),
      });
      await writer.putObject({
        bucket: 'b',
        key: 'poison/dt=2026-12-02/x y.json',
        body: '{"a":1}',
        contentType: 'application/json',
      });
      expect(seen).toHaveLength(1);
      const [r] = seen;
      expect(r.method).toBe('PUT');
      expect(r.url).toBe('/b/poison/dt%3D2026-12-02/x%20y.json');
      expect(r.body).toBe('{"a":1}');
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['x-amz-content-sha256']).toBe(createHash('sha256').update('{"a":1}').digest('hex'));
      expect(r.headers['x-amz-security-token']).toBe('tok');
      expect(r.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request, SignedHeaders=\S*host\S*, Signature=[0-9a-f]{64}$/,
      );
      expect(r.headers.authorization!.endsWith(`Signature=${expectedSignature(r, 's')}`)).toBe(true);
      expect(r.headers.authorization).toMatch(/SignedHeaders=[^,]*x-amz-content-sha256[^,]*x-amz-security-token/);
    } finally {
      server.close();
    }
  });

  it('retries SlowDown and 5xx answers, then succeeds', async () => {
    const { endpoint, seen, server } = await scriptedServer([
      { status: 503, body: errorXml('SlowDown') },
      { status: 500, body: errorXml('InternalError') },
      { status: 200 },
    ]);
    try {
      const waits: number[] = [];
      const writer = new S3ObjectWriter({
        endpoint,
        region: TEST_REGION,
        credentials: () => TEST_CREDENTIALS,
        sleep: (ms) => {
          waits.push(ms);
          return Promise.resolve();
        },
      });
      await writer.putObject({ bucket: 'b', key: 'k', body: 'x', contentType: 'text/plain' });
      expect(seen).toHaveLength(3);
      expect(waits).toHaveLength(2);
    } finally {
      server.close();
    }
  });

  it('fails at once on an answer a retry cannot change, naming the code, the object and the attempts', async () => {
    const { endpoint, seen, server } = await scriptedServer([{ status: 403, body: errorXml('AccessDenied') }]);
    try {
      const writer = new S3ObjectWriter({
        endpoint,
        region: TEST_REGION,
        credentials: () => TEST_CREDENTIALS,
        sleep: noSleep,
      });
      const put = writer.putObject({ bucket: 'b', key: 'k', body: 'x', contentType: 'text/plain' });
      await expect(put).rejects.toThrow(/PutObject s3:\/\/b\/k failed after 1 attempt\(s\): AccessDenied \(HTTP 403\)/);
      await expect(put).rejects.toBeInstanceOf(S3WriteError);
      expect(seen).toHaveLength(1);
    } finally {
      server.close();
    }
  });

  it('gives up after maxAttempts when nothing answers', async () => {
    const { endpoint, server } = await scriptedServer([]);
    await new Promise((resolve) => server.close(resolve));
    const writer = new S3ObjectWriter({
      endpoint,
      region: TEST_REGION,
      credentials: () => TEST_CREDENTIALS,
      maxAttempts: 3,
      sleep: noSleep,
    });
    const error = await writer
      .putObject({ bucket: 'b', key: 'k', body: 'x', contentType: 'text/plain' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(S3WriteError);
    expect((error as S3WriteError).attempts).toBe(3);
    expect((error as S3WriteError).code).toBe('ECONNREFUSED');
  });

  describe('against s3rver, which checks the signature', () => {
    let s3: Emulator;
    beforeAll(async () => {
      s3 = await startS3rver();
    });
    afterAll(async () => {
      await s3?.close();
    });

    // s3rver checks the access key but not a SigV4 signature: the scripted server's test above does.
    it('stores the object whole under its key, special characters included', async () => {
      const bucket = uniqueName('writer').toLowerCase();
      await createBucket(testS3(s3.endpoint), bucket);
      const writer = new S3ObjectWriter({
        endpoint: s3.endpoint,
        region: TEST_REGION,
        credentials: () => TEST_CREDENTIALS,
      });
      const key = 'poison/dt=2026-12-02/shardId-000000000000/a b+c.json';
      const body = JSON.stringify({ data: 'é'.repeat(100) });
      await writer.putObject({ bucket, key, body, contentType: 'application/json' });
      expect(await readObjects(testS3(s3.endpoint), bucket, 'poison/')).toEqual(new Map([[key, body]]));
    });

    it('is refused with an unknown access key, and says so', async () => {
      const bucket = uniqueName('writer').toLowerCase();
      await createBucket(testS3(s3.endpoint), bucket);
      const writer = new S3ObjectWriter({
        endpoint: s3.endpoint,
        region: TEST_REGION,
        credentials: () => Promise.resolve({ accessKeyId: 'UNKNOWN', secretAccessKey: 'S3RVER' }),
        sleep: noSleep,
      });
      await expect(writer.putObject({ bucket, key: 'k', body: 'x', contentType: 'text/plain' })).rejects.toThrow(
        /InvalidAccessKeyId \(HTTP 403\)/,
      );
    });
  });
});
