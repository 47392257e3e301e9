import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface KinesisClientOptions {
  readonly endpoint?: string;
  readonly region?: string;
  /** Sockets kept open: one per request in flight. */
  readonly maxSockets?: number;
  /** @default the SDK's credential chain */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/**
 * A Kinesis client over HTTP/1.1 with keep-alive. The SDK's default for Kinesis is HTTP/2, which
 * kinesalite does not speak; HTTP/1.1 works against both it and AWS. Retries are the caller's, so
 * that every retried record is seen and counted.
 */
export function kinesisClient(options: KinesisClientOptions = {}): KinesisClient {
  const maxSockets = options.maxSockets ?? 16;
  return new KinesisClient({
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      httpAgent: new Agent({ keepAlive: true, maxSockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
      connectionTimeout: 5_000,
      requestTimeout: 30_000,
    }),
  });
}
