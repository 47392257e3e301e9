import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export interface ScriptedAnswer {
  readonly status: number;
  readonly body?: string;
}

/**
 * An HTTP server on 127.0.0.1 answering from a script, one answer per request, and `otherwise`
 * once the script runs out; it keeps what each request sent.
 */
export async function scriptedServer(
  answers: ScriptedAnswer[],
  options: { contentType: string; otherwise: ScriptedAnswer },
): Promise<{ endpoint: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() });
      const answer = answers.shift() ?? options.otherwise;
      res.writeHead(answer.status, { 'content-type': options.contentType }).end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}
