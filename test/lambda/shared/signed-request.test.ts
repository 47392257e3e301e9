import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/transport';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  endpointFromEnv,
  environmentCredentials,
  nodeTransport,
  regionFromEnv,
  signRequest,
  type WireRequest,
} from '../../../lambda/shared/signed-request';

const DATE = new Date('2026-12-02T13:14:15.678Z');

/** The SDK's own signer on the same request: the oracle our signature must equal, byte for byte. */
async function sdkAuthorization(
  request: WireRequest,
  service: string,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  options: { uriEscapePath?: boolean; contentSha256?: boolean } = {},
): Promise<string> {
  const signer = new SignatureV4({
    service,
    region: 'eu-west-1',
    credentials,
    sha256: Sha256,
    uriEscapePath: options.uriEscapePath ?? true,
    applyChecksum: options.contentSha256 ?? false,
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: request.method,
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      path: request.url.pathname,
      query: Object.fromEntries(request.url.searchParams),
      headers: { ...request.headers, host: request.url.host },
      body: request.body,
    }),
    { signingDate: DATE },
  );
  return signed.headers.authorization;
}

describe('signRequest', () => {
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

  it('signs a DynamoDB call exactly as the SDK signer does', async () => {
    const request: WireRequest = {
      method: 'POST',
      url: new URL('https://dynamodb.eu-west-1.amazonaws.com/'),
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.UpdateItem' },
      body: Buffer.from('{"TableName":"t","Key":{"pk":{"S":"a b"}}}'),
    };
    const signed = signRequest(request, { service: 'dynamodb', region: 'eu-west-1', credentials, date: DATE });
    expect(signed.headers['x-amz-date']).toBe('20261202T131415Z');
    expect(signed.headers.authorization).toBe(await sdkAuthorization(request, 'dynamodb', credentials));
  });

  it('adds the session token and signs it', async () => {
    const temporary = { ...credentials, sessionToken: 'token/with+chars==' };
    const request: WireRequest = {
      method: 'POST',
      url: new URL('http://127.0.0.1:4567/'),
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem' },
      body: Buffer.from('{}'),
    };
    const signed = signRequest(request, {
      service: 'dynamodb',
      region: 'eu-west-1',
      credentials: temporary,
      date: DATE,
    });
    expect(signed.headers['x-amz-security-token']).toBe(temporary.sessionToken);
    expect(signed.headers.authorization).toContain('x-amz-security-token');
    expect(signed.headers.authorization).toBe(await sdkAuthorization(request, 'dynamodb', temporary));
  });

  it('signs an S3 PUT with its encoded key once, and an OpenSearch path encoded twice, as the SDK does', async () => {
    const s3: WireRequest = {
      method: 'PUT',
      url: new URL('https://b.s3.eu-west-1.amazonaws.com/poison/dt%3D2026-12-02/a%20b%2Bc%281%29.json'),
      headers: { 'content-type': 'application/json' },
      body: Buffer.from('{"a":1}'),
    };
    const signedS3 = signRequest(s3, {
      service: 's3',
      region: 'eu-west-1',
      credentials,
      date: DATE,
      contentSha256Header: true,
      uriEscapePath: false,
    });
    expect(signedS3.headers.authorization).toBe(
      await sdkAuthorization(
        { ...s3, headers: { ...s3.headers, 'x-amz-content-sha256': signedS3.headers['x-amz-content-sha256'] } },
        's3',
        credentials,
        {
          uriEscapePath: false,
        },
      ),
    );
    const es: WireRequest = {
      method: 'PUT',
      url: new URL('https://search.example/_plugins/_security/api/rolesmapping/all%3Aaccess?pretty=true&a=b%20c'),
      headers: { 'content-type': 'application/json' },
      body: Buffer.from('{}'),
    };
    const signedEs = signRequest(es, { service: 'es', region: 'eu-west-1', credentials, date: DATE });
    expect(signedEs.headers.authorization).toBe(await sdkAuthorization(es, 'es', credentials));
  });
});

describe('configuration from the environment', () => {
  it('takes the service variable before AWS_ENDPOINT_URL, and neither when configured endpoints are ignored', () => {
    const env = { AWS_ENDPOINT_URL_DYNAMODB: 'http://ddb', AWS_ENDPOINT_URL: 'http://all' };
    expect(endpointFromEnv(env, 'DYNAMODB')).toBe('http://ddb');
    expect(endpointFromEnv(env, 'S3')).toBe('http://all');
    expect(endpointFromEnv({ ...env, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }, 'DYNAMODB')).toBeUndefined();
  });

  it('reads the credentials Lambda sets, and names the variable that is missing', () => {
    expect(
      environmentCredentials({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 't' }),
    ).toEqual({
      accessKeyId: 'a',
      secretAccessKey: 's',
      sessionToken: 't',
    });
    expect(environmentCredentials({ AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 's' })).toEqual({
      accessKeyId: 'a',
      secretAccessKey: 's',
    });
    expect(() => environmentCredentials({ AWS_SECRET_ACCESS_KEY: 's' })).toThrow(/^AWS_ACCESS_KEY_ID: required/);
    expect(() => environmentCredentials({ AWS_ACCESS_KEY_ID: 'a' })).toThrow(/^AWS_SECRET_ACCESS_KEY: required/);
  });

  it('reads AWS_REGION, else AWS_DEFAULT_REGION, and names AWS_REGION when neither is set', () => {
    expect(regionFromEnv({ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-east-1' })).toBe('eu-west-1');
    expect(regionFromEnv({ AWS_DEFAULT_REGION: 'us-east-1' })).toBe('us-east-1');
    expect(() => regionFromEnv({})).toThrow(/^AWS_REGION: required/);
  });
});

describe('nodeTransport', () => {
  let server: Server;
  let endpoint: string;
  const sockets = new Set<string>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      sockets.add(`${req.socket.remotePort}`);
      if (req.url === '/silent') return; // never answers
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => res.writeHead(201, { 'x-echo': req.headers['x-test'] }).end(Buffer.concat(chunks)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('sends the body and headers, returns status, headers and body, and reuses the connection', async () => {
    const send = nodeTransport();
    sockets.clear();
    for (let i = 0; i < 3; i++) {
      const answer = await send({
        method: 'POST',
        url: new URL(`${endpoint}/echo`),
        headers: { 'x-test': `n${i}` },
        body: Buffer.from(`body ${i}`),
      });
      expect(answer.statusCode).toBe(201);
      expect(answer.headers['x-echo']).toBe(`n${i}`);
      expect(answer.body.toString()).toBe(`body ${i}`);
    }
    expect(sockets.size).toBe(1);
  });

  it('fails a request that gets no answer within the request timeout, naming the host', async () => {
    const send = nodeTransport({ requestTimeoutMs: 200 });
    await expect(
      send({ method: 'GET', url: new URL(`${endpoint}/silent`), headers: {}, body: Buffer.alloc(0) }),
    ).rejects.toMatchObject({ code: 'ETIMEDOUT', message: expect.stringContaining('127.0.0.1') as unknown });
  });

  it('fails at once when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(
      nodeTransport()({ method: 'GET', url: new URL(`http://127.0.0.1:${port}/`), headers: {}, body: Buffer.alloc(0) }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
