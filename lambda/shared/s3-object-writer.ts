import {
  type Credentials,
  endpointFromEnv,
  nodeTransport,
  partitionDomain,
  rfc3986,
  signRequest,
  sleepMs,
  type Transport,
  transportFailure,
  withRetries,
} from './signed-request';

export type { Credentials } from './signed-request';

/**
 * S3 PutObject as one SigV4-signed HTTP request, for the aggregator's poison records: the S3
 * client would add its other operations, checksums, XML and endpoint rules to the aggregator's
 * bundle for this one call.
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

export interface S3ObjectWriterOptions {
  /** Called for each attempt, so rotated credentials are picked up. */
  readonly credentials: () => Credentials | Promise<Credentials>;
  readonly region: string;
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
  /** @default nodeTransport() */
  readonly transport?: Transport;
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

/** The endpoint override the SDK itself would use for S3. */
export function s3EndpointFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  return endpointFromEnv(env, 'S3');
}

/** RFC 3986 encoding of each path segment, as S3 expects object keys (the slashes stay). */
function encodeKey(key: string): string {
  return key.split('/').map(rfc3986).join('/');
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
  const domain = partitionDomain(region);
  if (bucket.includes('.')) return new URL(`https://s3.${region}.${domain}/${path}`);
  return new URL(`https://${bucket}.s3.${region}.${domain}/${encodeKey(key)}`);
}

export class S3ObjectWriter implements ObjectWriter {
  private readonly transport: Transport;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: S3ObjectWriterOptions) {
    this.transport = options.transport ?? nodeTransport();
    this.maxAttempts = options.maxAttempts ?? 5;
    this.sleep = options.sleep ?? sleepMs;
  }

  async putObject(input: PutObjectInput): Promise<void> {
    const url = objectUrl(input.bucket, input.key, this.options.region, this.options.endpoint);
    const body = Buffer.from(input.body, 'utf8');
    const failed = (detail: string, code: string, statusCode: number | undefined, attempt: number): S3WriteError =>
      new S3WriteError(
        `PutObject s3://${input.bucket}/${input.key} failed after ${attempt} attempt(s): ${detail}`,
        code,
        statusCode,
        attempt,
      );
    await withRetries(
      async (attempt) => {
        let answer;
        try {
          const request = signRequest(
            { method: 'PUT', url, headers: { 'content-type': input.contentType }, body },
            {
              service: 's3',
              region: this.options.region,
              credentials: await this.options.credentials(),
              contentSha256Header: true,
              uriEscapePath: false,
            },
          );
          answer = await this.transport(request);
        } catch (error) {
          const { code, message } = transportFailure(error);
          throw failed(`${code}: ${message}`, code, undefined, attempt);
        }
        if (answer.statusCode >= 200 && answer.statusCode < 300) return;
        const code = /<Code>([^<]*)<\/Code>/.exec(answer.body.toString('utf8'))?.[1] ?? `Http${answer.statusCode}`;
        throw failed(`${code} (HTTP ${answer.statusCode})`, code, answer.statusCode, attempt);
      },
      (error) =>
        error instanceof S3WriteError
          ? { statusCode: error.statusCode, code: error.code, transportError: error.statusCode === undefined }
          : undefined,
      { maxAttempts: this.maxAttempts, sleep: this.sleep },
    );
  }
}
