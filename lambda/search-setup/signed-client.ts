import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { request } from 'node:https';
import { request as plainRequest } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';

/** SHA-256 (or HMAC-SHA-256 when given a secret) in the shape SignatureV4 takes, from node:crypto. */
class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash =
      secret === undefined
        ? createHash('sha256')
        : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as ArrayBuffer));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? data : Buffer.from(data as ArrayBuffer));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.hash.digest());
  }
  reset(): void {
    throw new Error('not supported');
  }
}

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Lambda hands its role's credentials to the function in these variables. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): Credentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (accessKeyId === undefined || secretAccessKey === undefined) {
    throw new Error('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set');
  }
  return { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
}

export interface SignedResponse {
  readonly status: number;
  readonly body: string;
}

export interface SignedClientOptions {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: Credentials;
  /** `http:` only for tests against a local server; the domain enforces HTTPS. */
  readonly protocol?: 'https:' | 'http:';
  readonly port?: number;
}

/** Sends JSON requests to an OpenSearch Service domain, signed with SigV4 for the `es` service. */
export class SignedClient {
  private readonly signer: SignatureV4;

  constructor(private readonly options: SignedClientOptions) {
    this.signer = new SignatureV4({
      service: 'es',
      region: options.region,
      credentials: options.credentials,
      sha256: Sha256,
    });
  }

  async send(method: string, path: string, body: unknown): Promise<SignedResponse> {
    const payload = JSON.stringify(body);
    const signed = await this.signer.sign({
      method,
      protocol: this.options.protocol ?? 'https:',
      hostname: this.options.endpoint,
      ...(this.options.port === undefined ? {} : { port: this.options.port }),
      path,
      headers: {
        host: this.options.endpoint,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(payload)),
      },
      body: payload,
    });
    const send = (this.options.protocol ?? 'https:') === 'https:' ? request : plainRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        {
          method,
          hostname: this.options.endpoint,
          port: this.options.port,
          path,
          headers: signed.headers,
          timeout: 15_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 15 s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}
