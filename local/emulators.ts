import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import kinesalite from 'kinesalite';
import S3rver from 's3rver';

export { LOCAL_CREDENTIALS, LOCAL_REGION } from './credentials';

export interface Emulator {
  readonly endpoint: string;
  close(): Promise<void>;
}

async function listen(server: Server, port: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closer(server: Server): () => Promise<void> {
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}

/**
 * Each emulator on 127.0.0.1 (port 0: the OS picks). With a `dataDir` its state is kept there;
 * without one it lives in memory or a temporary folder and is gone on close.
 */
export async function startKinesalite(port = 0, dataDir?: string): Promise<Emulator> {
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
  const server = kinesalite({
    createStreamMs: 0,
    deleteStreamMs: 0,
    updateStreamMs: 0,
    shardLimit: 100,
    ...(dataDir === undefined ? {} : { path: dataDir }),
  });
  return { endpoint: await listen(server, port), close: closer(server) };
}

/**
 * dynalite runs on a worker thread: it is the slowest emulator (about a millisecond an update),
 * and on the main thread it would take turns with the poller, the handler and the load generator.
 */
export async function startDynalite(port = 0, dataDir?: string): Promise<Emulator> {
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
  const worker = new Worker(join(__dirname, 'dynalite-worker.cjs'), {
    workerData: {
      port,
      options: {
        createTableMs: 0,
        deleteTableMs: 0,
        updateTableMs: 0,
        ...(dataDir === undefined ? {} : { path: dataDir }),
      },
    },
  });
  const bound = await new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (m: { port?: number; error?: string }) =>
      m.port === undefined ? reject(new Error(`dynalite: ${m.error}`)) : resolve(m.port),
    );
  });
  return {
    endpoint: `http://127.0.0.1:${bound}`,
    close: async () => {
      // Closing the server first lets leveldown flush the data directory before the thread ends.
      await new Promise<void>((resolve) => {
        worker.once('message', () => resolve());
        worker.postMessage('close');
      });
      await worker.terminate();
    },
  };
}

export async function startS3rver(port = 0, dataDir?: string): Promise<Emulator> {
  const directory = dataDir ?? mkdtempSync(join(tmpdir(), 's3rver-'));
  mkdirSync(directory, { recursive: true });
  const server = new S3rver({ address: '127.0.0.1', port, silent: true, directory });
  const { port: bound } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${bound}`,
    close: async () => {
      await server.close();
      if (dataDir === undefined) rmSync(directory, { recursive: true, force: true });
    },
  };
}
