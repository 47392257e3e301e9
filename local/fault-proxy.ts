import { type IncomingMessage, type Server, type ServerResponse, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/** DynamoDB operations that change the table: the ones local mode's faults break. */
const WRITE_OPERATIONS = new Set(['UpdateItem', 'PutItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

export interface FaultProxy {
  readonly endpoint: string;
  /** Share of write requests refused, 0..1. */
  rate: number;
  /** Write requests refused so far. */
  readonly refused: number;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of the local DynamoDB for the aggregator alone: it refuses the share `rate`
 * of write requests with a 500 before they reach the table, so nothing of a refused request is
 * applied. The SDK retries a 500 as it would a real one, so a batch fails only when its retries do.
 */
export async function startFaultProxy(
  target: string,
  rate = 0,
  random: () => number = Math.random,
): Promise<FaultProxy> {
  const upstream = new URL(target);
  let refused = 0;
  const state = { rate };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    if (WRITE_OPERATIONS.has(operation) && state.rate > 0 && random() < state.rate) {
      refused++;
      req.resume();
      res
        .writeHead(500, { 'content-type': 'application/x-amz-json-1.0' })
        .end(
          JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
            message: 'injected fault (local mode --fault-rate)',
          }),
        );
      return;
    }
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get rate() {
      return state.rate;
    },
    set rate(value: number) {
      state.rate = value;
    },
    get refused() {
      return refused;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
