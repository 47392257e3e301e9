import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/transport';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * S3 PutObject as one SigV4-signed HTTP request, for the aggregator's poison records. The full S3
 * client would add about 130 KB of minified code to the aggregator's bundle (its other operations,
 * checksums, XML and endpoint rules) for this one call; the signer and the HTTP handler here are the
 * ones the DynamoDB client bundles already.
 */
export interface ObjectWriter {
  putObject(input: PutObjectInput): Promise<void>;
}

export interface PutObjectInput {
  readonly bucket: string;
  readonly key: string;
  readonly body: string;
  readonly contentType: string;
}

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface S3ObjectWriterOptions {
  /** A provider, so temporary credentials are refreshed as the SDK's chain refreshes them. */
  readonly credentials: () => Promise<Credentials>;
  readonly region: string | (() => Promise<string>);
  /**
   * An endpoint override (an emulator): requests then go path-style, `<endpoint>/<bucket>/<key>`.
   * @default none: the bucket's virtual-hosted endpoint in `region`
   */
  readonly endpoint?: string;
  /**
   * Attempts in all, as the SDK's `maxAttempts`.
   * @default 5
   */
  readonly maxAttempts?: number;
  /** @default a NodeHttpHandler with keep-alive */
  readonly requestHandler?: Pick<NodeHttpHandler, 'handle'>;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** An S3 error answer or a transport failure, after the attempts ran out or on a non-retryable answer. */
export class S3WriteError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly statusCode: number | undefined,
    readonly attempts: number,
  ) {
    super(message);
    this.name = code;
  }
}

/**
 * The endpoint override the SDK itself would use for S3: `AWS_ENDPOINT_URL_S3`, else
 * `AWS_ENDPOINT_URL`, neither when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is true.
 */
export function s3EndpointFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() === 'true') return undefined;
  return env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
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

/** RFC 3986 encoding of each path segment, as S3 expects object keys (the slashes stay). */
function encodeKey(key: string): string {
  return key
    .split('/')
    .map((segment) =>
      encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    )
    .join('/');
}

/**
 * Where the object goes: virtual-hosted (`<bucket>.s3.<region>.amazonaws.com`) on AWS, path-style
 * on an endpoint override and for bucket names with dots (which the wildcard certificate of the
 * virtual-hosted name does not cover).
 */
export function objectUrl(bucket: string, key: string, region: string, endpoint?: string): URL {
  const path = `${encodeURIComponent(bucket)}/${encodeKey(key)}`;
  if (endpoint !== undefined) {
    const base = new URL(endpoint);
    return new URL(`${base.origin}${base.pathname.replace(/\/+$/, '')}/${path}`);
  }
  const domain = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  if (bucket.includes('.')) return new URL(`https://s3.${region}.${domain}/${path}`);
  return new URL(`https://${bucket}.s3.${region}.${domain}/${encodeKey(key)}`);
}

/** What one attempt ended with: an HTTP status and S3's error code, or a transport failure. */
export interface AttemptOutcome {
  readonly statusCode?: number;
  readonly code?: string;
  /** The request failed before an answer: connection refused or reset, timeout. */
  readonly transportError?: boolean;
}

const RETRYABLE_CODES = new Set(['SlowDown', 'RequestTimeout', 'InternalError', 'ServiceUnavailable', 'Throttling']);

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

async function readBody(body: unknown): Promise<string> {
  if (body === undefined || body === null) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer | string>) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export class S3ObjectWriter implements ObjectWriter {
  private readonly signer: SignatureV4;
  private readonly handler: Pick<NodeHttpHandler, 'handle'>;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: S3ObjectWriterOptions) {
    // S3 signs the path as sent, without the second encoding other services use.
    this.signer = new SignatureV4({
      service: 's3',
      region: options.region,
      credentials: options.credentials,
      sha256: Sha256,
      uriEscapePath: false,
    });
    // Bounded waits: a stuck connection is retried instead of holding the batch to the timeout.
    this.handler = options.requestHandler ?? new NodeHttpHandler({ connectionTimeout: 3_000, requestTimeout: 10_000 });
    this.maxAttempts = options.maxAttempts ?? 5;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async putObject(input: PutObjectInput): Promise<void> {
    const region = typeof this.options.region === 'string' ? this.options.region : await this.options.region();
    const url = objectUrl(input.bucket, input.key, region, this.options.endpoint);
    const body = Buffer.from(input.body, 'utf8');
    for (let attempt = 1; ; attempt++) {
      const request = new HttpRequest({
        method: 'PUT',
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port === '' ? undefined : Number(url.port),
        path: url.pathname,
        headers: {
          host: url.host,
          'content-type': input.contentType,
          'content-length': String(body.length),
        },
        body,
      });
      let outcome: AttemptOutcome;
      let detail: string;
      try {
        const { response } = await this.handler.handle((await this.signer.sign(request)) as HttpRequest);
        const text = await readBody(response.body);
        if (response.statusCode >= 200 && response.statusCode < 300) return;
        const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? `Http${response.statusCode}`;
        outcome = { statusCode: response.statusCode, code };
        detail = `${code} (HTTP ${response.statusCode})`;
      } catch (error) {
        const e = error as { name?: string; code?: string; message?: string };
        outcome = { transportError: true, code: e.code ?? e.name ?? 'Error' };
        detail = `${outcome.code}: ${e.message ?? String(error)}`;
      }
      if (!isRetryable(outcome) || attempt >= this.maxAttempts) {
        throw new S3WriteError(
          `PutObject s3://${input.bucket}/${input.key} failed after ${attempt} attempt(s): ${detail}`,
          outcome.code ?? 'Error',
          outcome.statusCode,
          attempt,
        );
      }
      await this.sleep(backoffMs(attempt));
    }
  }
}
