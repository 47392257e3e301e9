import { type Credentials, nodeTransport, signRequest, type Transport } from '../shared/signed-request';

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
  // Setup waits out the access policy by retrying itself, so one attempt per call, given 15 s.
  private readonly transport: Transport = nodeTransport({ connectionTimeoutMs: 15_000, requestTimeoutMs: 15_000 });

  constructor(private readonly options: SignedClientOptions) {}

  async send(method: string, path: string, body: unknown): Promise<SignedResponse> {
    const port = this.options.port === undefined ? '' : `:${this.options.port}`;
    const url = new URL(`${this.options.protocol ?? 'https:'}//${this.options.endpoint}${port}${path}`);
    const request = signRequest(
      { method, url, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)) },
      { service: 'es', region: this.options.region, credentials: this.options.credentials },
    );
    const answer = await this.transport(request);
    return { status: answer.statusCode, body: answer.body.toString('utf8') };
  }
}
