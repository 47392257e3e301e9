import type * as Http from 'node:http';

// Builtins taken as CommonJS modules, not ES imports. In an ES module bundle, an import of a builtin
// reads every one of its exports, and some are lazy getters that load more: node:http's load undici
// (fetch, WebSocket: about 15 ms of the aggregator's cold start on Node 24), node:fs's its promises
// API and readline, node:buffer's File. process.getBuiltinModule gives the module without reading them.
const { createHash, createHmac } = process.getBuiltinModule('node:crypto');
const http = process.getBuiltinModule('node:http');
const https = process.getBuiltinModule('node:https');

/**
 * One AWS request as the SDK sends it: SigV4-signed, over keep-alive HTTP(S), retried as the
 * SDK's standard strategy retries. The aggregator makes its handful of DynamoDB and S3 calls
 * through this instead of the SDK clients, whose code (every operation's serializers, endpoint
 * rules, the middleware stack) was most of its bundle and of its cold-start import time.
 */

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** A request ready to send; `url` carries the path exactly as it goes on the wire. */
export interface WireRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

export interface WireAnswer {
  readonly statusCode: number;
  readonly headers: Http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export type Transport = (request: WireRequest) => Promise<WireAnswer>;

/** Headers SigV4 leaves unsigned, as the SDK's signer does: hops may change them. */
const UNSIGNED_HEADERS = new Set(['user-agent', 'connection', 'expect', 'x-amzn-trace-id', 'transfer-encoding']);

const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

const signingKeys = new Map<string, Buffer>();

/** The day's key, derived once per day, Region, service and secret (AWS's SigV4 key derivation). */
function signingKey(secret: string, day: string, region: string, service: string): Buffer {
  const id = `${day}/${region}/${service}/${secret}`;
  let key = signingKeys.get(id);
  if (key === undefined) {
    key = createHmac('sha256', `AWS4${secret}`).update(day).digest();
    for (const part of [region, service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
    if (signingKeys.size > 16) signingKeys.clear();
    signingKeys.set(id, key);
  }
  return key;
}

export interface SigningScope {
  readonly service: string;
  readonly region: string;
  readonly credentials: Credentials;
  /** @default now */
  readonly date?: Date;
  /** Send the payload hash as `x-amz-content-sha256` (S3 requires it). @default false */
  readonly contentSha256Header?: boolean;
  /**
   * Encode the (already encoded) path again in the canonical request, as every service but S3 expects.
   * @default true
   */
  readonly uriEscapePath?: boolean;
}

/**
 * The request with SigV4 headers added (IAM User Guide, "Create a signed AWS API request"). Callers
 * encode the path once, as it goes on the wire; the canonical request encodes it once more unless
 * `uriEscapePath` is false (S3).
 */
export function signRequest(request: WireRequest, scope: SigningScope): WireRequest {
  const amzDate = (scope.date ?? new Date()).toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const payloadHash = sha256Hex(request.body);
  const headers: Record<string, string> = { ...request.headers, host: request.url.host, 'x-amz-date': amzDate };
  if (scope.credentials.sessionToken !== undefined) headers['x-amz-security-token'] = scope.credentials.sessionToken;
  if (scope.contentSha256Header === true) headers['x-amz-content-sha256'] = payloadHash;
  const signed = Object.keys(headers)
    .map((name) => name.toLowerCase())
    .filter((name) => !UNSIGNED_HEADERS.has(name))
    .sort();
  const lower = new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  const canonicalHeaders = signed.map((name) => `${name}:${lower.get(name)!.trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = signed.join(';');
  const query = [...request.url.searchParams]
    .map(([k, v]) => [rfc3986(k), rfc3986(v)])
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalRequest = [
    request.method,
    scope.uriEscapePath === false ? request.url.pathname : request.url.pathname.split('/').map(rfc3986).join('/'),
    query,
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join('\n');
  const credentialScope = `${day}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, credentialScope, sha256Hex(canonicalRequest)].join('\n');
  const signature = createHmac(
    'sha256',
    signingKey(scope.credentials.secretAccessKey, day, scope.region, scope.service),
  )
    .update(stringToSign)
    .digest('hex');
  headers.authorization =
    `AWS4-HMAC-SHA256 Credential=${scope.credentials.accessKeyId}/${credentialScope}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { ...request, headers };
}

/** RFC 3986 percent-encoding, as SigV4 canonicalizes: everything but unreserved characters. */
export function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface TransportOptions {
  /** @default 3_000 */
  readonly connectionTimeoutMs?: number;
  /** Longest silence on an open request before it counts as a transport failure. @default 10_000 */
  readonly requestTimeoutMs?: number;
}

/**
 * Node's HTTP(S) with keep-alive agents (50 sockets each, as the SDK's handler) and bounded waits:
 * a stuck connection fails its attempt, to be retried, instead of holding the batch to the timeout.
 */
export function nodeTransport(options: TransportOptions = {}): Transport {
  const connectionTimeoutMs = options.connectionTimeoutMs ?? 3_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 50 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 50 }),
  };
  return (request) =>
    new Promise<WireAnswer>((resolve, reject) => {
      const secure = request.url.protocol === 'https:';
      const req = (secure ? https : http).request(
        {
          method: request.method,
          hostname: request.url.hostname,
          port: request.url.port === '' ? undefined : Number(request.url.port),
          path: `${request.url.pathname}${request.url.search}`,
          headers: { ...request.headers, 'content-length': String(request.body.length) },
          agent: agents[secure ? 'https:' : 'http:'],
          timeout: requestTimeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () =>
            resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
        },
      );
      const fail = (code: string, message: string): void => {
        req.destroy(Object.assign(new Error(message), { code }));
      };
      req.on('timeout', () => fail('ETIMEDOUT', `no answer from ${request.url.host} within ${requestTimeoutMs} ms`));
      req.on('socket', (socket) => {
        if (!socket.connecting) return;
        const timer = setTimeout(
          () => fail('ETIMEDOUT', `no connection to ${request.url.host} within ${connectionTimeoutMs} ms`),
          connectionTimeoutMs,
        );
        socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(timer));
        socket.once('close', () => clearTimeout(timer));
      });
      req.on('error', reject);
      req.end(request.body);
    });
}

/** What one attempt ended with: an HTTP status and the service's error code, or a transport failure. */
export interface AttemptOutcome {
  readonly statusCode?: number;
  readonly code?: string;
  /** The request failed before an answer: connection refused or reset, timeout. */
  readonly transportError?: boolean;
}

/**
 * The throttling and transient error codes the SDK's standard strategy retries (@smithy/core's
 * service-error-classification constants); 5xx answers are retried by their status.
 */
const RETRYABLE_CODES = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/** Retried as the SDK's standard strategy retries: transport failures, 5xx, 429 and throttling codes. */
export function isRetryable(outcome: AttemptOutcome): boolean {
  if (outcome.transportError === true) return true;
  const status = outcome.statusCode ?? 0;
  return status >= 500 || status === 429 || (outcome.code !== undefined && RETRYABLE_CODES.has(outcome.code));
}

/** Full-jitter exponential backoff before retry `attempt` (1 = the first retry), capped at 20 s as the SDK's. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(20_000, 100 * 2 ** attempt));
}

/** A transport failure's code (ECONNRESET, ETIMEDOUT, ...) and message, for an attempt's error. */
export function transportFailure(error: unknown): { code: string; message: string } {
  const e = error as { name?: string; code?: string; message?: string };
  return { code: e.code ?? e.name ?? 'Error', message: e.message ?? String(error) };
}

export const sleepMs = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` (1, 2, ...) until it returns, throws what `outcome` finds no retry changes, or
 * the attempts run out, with the SDK's full-jitter backoff between attempts. An error `outcome`
 * does not recognise as an attempt's (undefined) is thrown at once.
 */
export async function withRetries<T>(
  attempt: (n: number) => Promise<T>,
  outcome: (error: unknown) => AttemptOutcome | undefined,
  options: { readonly maxAttempts: number; readonly sleep: (ms: number) => Promise<void> },
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      const o = outcome(error);
      if (o === undefined || !isRetryable(o) || n >= options.maxAttempts) throw error;
    }
    await options.sleep(backoffMs(n));
  }
}

/** `AWS_MAX_ATTEMPTS` as the SDK reads it: a positive integer, attempts in all. */
export function maxAttemptsFromEnv(env: NodeJS.ProcessEnv, fallback = 5): number {
  const raw = env.AWS_MAX_ATTEMPTS;
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`AWS_MAX_ATTEMPTS: must be a positive integer, got "${raw}"`);
  }
  return value;
}

/**
 * The endpoint override the SDK itself would use for a service: `AWS_ENDPOINT_URL_<SERVICE>`, else
 * `AWS_ENDPOINT_URL`, neither when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is true.
 */
export function endpointFromEnv(env: NodeJS.ProcessEnv, service: 'S3' | 'DYNAMODB'): string | undefined {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() === 'true') return undefined;
  return env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL || undefined;
}

/** The DNS suffix of a Region's partition, for the services' Regional endpoints. */
export function partitionDomain(region: string): string {
  return region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
}

/**
 * Credentials from the environment: Lambda sets the execution role's there (its reserved
 * variables AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), and local mode the emulators'.
 */
export function environmentCredentials(env: NodeJS.ProcessEnv = process.env): Credentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId) throw new Error('AWS_ACCESS_KEY_ID: required environment variable is not set');
  if (!secretAccessKey) throw new Error('AWS_SECRET_ACCESS_KEY: required environment variable is not set');
  return env.AWS_SESSION_TOKEN
    ? { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN }
    : { accessKeyId, secretAccessKey };
}

/** The Region the SDK would use in Lambda and in local mode: `AWS_REGION`, else `AWS_DEFAULT_REGION`. */
export function regionFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (!region) throw new Error('AWS_REGION: required environment variable is not set');
  return region;
}
