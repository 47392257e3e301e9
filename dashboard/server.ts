import { readFileSync } from 'node:fs';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import { type ApiContext, handleApi } from './api';

const WEB = join(__dirname, 'web');

export interface Assets {
  readonly html: string;
  readonly js: string;
  readonly css: string;
}

/** Bundles the page with esbuild (uPlot included) once, at start, in memory. */
export async function buildAssets(): Promise<Assets> {
  const result = await build({
    entryPoints: [join(WEB, 'app.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2020',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  return {
    html: readFileSync(join(WEB, 'index.html'), 'utf8'),
    js: result.outputFiles[0].text,
    css: `${uplotCss}\n${readFileSync(join(WEB, 'style.css'), 'utf8')}`,
  };
}

/** A POST's JSON body, at most 64 KiB; a GET has none. */
async function readJsonBody(
  req: IncomingMessage,
  method: string,
): Promise<{ ok: true; value: unknown } | { ok: false; error: string }> {
  if (method !== 'POST') return { ok: true, value: undefined };
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 65_536) return { ok: false, error: 'body: at most 64 KiB' };
    chunks.push(chunk);
  }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown };
  } catch {
    return { ok: false, error: 'body: must be JSON' };
  }
}

export interface DashboardServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The dashboard page and its API on loopback only: the dashboard reads with the caller's own
 * credentials and is never a public endpoint.
 */
export async function startDashboardServer(
  api: ApiContext,
  port: number,
  host = '127.0.0.1',
): Promise<DashboardServer> {
  const assets = await buildAssets();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    if (method !== 'GET' && !(method === 'POST' && url.pathname.startsWith('/api/'))) {
      res
        .writeHead(405, { 'content-type': 'application/json', allow: 'GET' })
        .end(JSON.stringify({ error: 'method: only GET' }));
      return;
    }
    const send = (status: number, type: string, body: string): void => {
      res
        .writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' })
        .end(body);
    };
    if (url.pathname.startsWith('/api/')) {
      void readJsonBody(req, method).then((body) =>
        body.ok
          ? handleApi(api, url.pathname, url.searchParams, method, body.value).then((r) =>
              send(r.status, 'application/json', JSON.stringify(r.body)),
            )
          : send(400, 'application/json', JSON.stringify({ error: body.error })),
      );
      return;
    }
    if (url.pathname === '/' || url.pathname === '/index.html')
      return send(200, 'text/html; charset=utf-8', assets.html);
    if (url.pathname === '/app.js') return send(200, 'text/javascript; charset=utf-8', assets.js);
    if (url.pathname === '/app.css') return send(200, 'text/css; charset=utf-8', assets.css);
    send(404, 'text/plain', 'not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host === '127.0.0.1' ? 'localhost' : host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
