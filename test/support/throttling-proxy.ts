import { type IncomingMessage, type Server, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from '../../loadgen/random';
import type { Emulator } from './emulators';

export interface ThrottlingOptions {
  /** Share of PutRecords requests refused whole with ProvisionedThroughputExceededException. */
  readonly requestShare: number;
  /** Share of the records inside the other PutRecords requests marked failed. */
  readonly recordShare: number;
  readonly seed?: number;
  /** Refuse the first PutRecords request whole, whatever the draw: the test then never depends on how many requests timing makes. */
  readonly refuseFirstRequest?: boolean;
}

export interface ThrottlingProxy extends Emulator {
  readonly stats: { requests: number; refusedRequests: number; refusedRecords: number };
}

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function forward(
  target: URL,
  req: IncomingMessage,
  payload: Buffer,
): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, host: target.host, 'content-length': String(payload.length) };
    const out = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 500,
            headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v)])),
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    out.on('error', reject);
    out.end(payload);
  });
}

/**
 * A proxy in front of kinesalite that throttles the way Kinesis does: some PutRecords requests are
 * refused whole, and inside the others some records come back with
 * ProvisionedThroughputExceededException. Refused records are never forwarded, so the stream holds
 * exactly what the responses say it accepted.
 */
export async function startThrottlingProxy(upstream: string, options: ThrottlingOptions): Promise<ThrottlingProxy> {
  const target = new URL(upstream);
  // One stream per decision, so how many requests timing produces never shifts the record draws.
  const requestRandom = seededRandom(options.seed ?? 1);
  const recordRandom = seededRandom((options.seed ?? 1) + 1);
  const stats = { requests: 0, refusedRequests: 0, refusedRecords: 0 };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const payload = await body(req);
      if (req.headers['x-amz-target'] !== 'Kinesis_20131202.PutRecords') {
        const r = await forward(target, req, payload);
        res.writeHead(r.status, r.headers).end(r.body);
        return;
      }
      stats.requests++;
      const first = stats.requests === 1 && options.refuseFirstRequest === true;
      if (requestRandom() < options.requestShare || first) {
        stats.refusedRequests++;
        res
          .writeHead(400, {
            'content-type': 'application/x-amz-json-1.1',
            'x-amzn-errortype': 'ProvisionedThroughputExceededException',
          })
          .end(
            JSON.stringify({ __type: 'ProvisionedThroughputExceededException', message: 'Rate exceeded for shard' }),
          );
        return;
      }
      const input = JSON.parse(payload.toString('utf8')) as { StreamName: string; Records: unknown[] };
      const refused = input.Records.map(() => recordRandom() < options.recordShare);
      const kept = input.Records.filter((_, i) => !refused[i]);
      let forwarded: { Records: Record<string, unknown>[] } = { Records: [] };
      if (kept.length > 0) {
        const r = await forward(target, req, Buffer.from(JSON.stringify({ ...input, Records: kept })));
        if (r.status !== 200) {
          res.writeHead(r.status, r.headers).end(r.body);
          return;
        }
        forwarded = JSON.parse(r.body.toString('utf8')) as typeof forwarded;
      }
      let next = 0;
      let failed = 0;
      const records = refused.map((isRefused) => {
        if (!isRefused) {
          const r = forwarded.Records[next++];
          if (r.ErrorCode !== undefined) failed++;
          return r;
        }
        failed++;
        stats.refusedRecords++;
        return { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard' };
      });
      res
        .writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
        .end(JSON.stringify({ FailedRecordCount: failed, Records: records }));
    })().catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
