/**
 * A webhook receiver on 127.0.0.1 that can go down and come back on the same port: `down`
 * closes the port (clients get ECONNREFUSED), `fail(503)` answers an error, `up` accepts with
 * 202, `huge(bytes)` answers 500 with a body of that many bytes streamed from one reused
 * buffer (nothing that size is allocated) and counts what it managed to write. HTTPS with a
 * test CA; `agent` trusts it. Every request that reached it is recorded.
 *
 * @example
 * const hook = await startFlakyWebhook();
 * await hook.down();   // connection refused
 * hook.fail(503);      // (listening again) 503
 * hook.up();           // 202
 */
import { createServer, type Server } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Agent } from 'undici';
import { makeTestCerts, type TestCerts } from './certs';

export interface FlakyRequest {
  path: string;
  headers: IncomingHttpHeaders;
  json: any;
}

export interface FlakyWebhook {
  /** `https://127.0.0.1:<port>` (the same while down). */
  url: string;
  agent: Agent;
  /** The test CA's certificate (PEM). */
  ca: string;
  requests: FlakyRequest[];
  /** Bytes of the last huge body written to the socket before the client went away. */
  hugeBytesWritten(): number;
  down(): Promise<void>;
  fail(status: number, body?: (req: FlakyRequest) => string): Promise<void>;
  up(): Promise<void>;
  huge(bytes: number): Promise<void>;
  close(): Promise<void>;
}

type Mode =
  | { kind: 'up' }
  | { kind: 'fail'; status: number; body?: (req: FlakyRequest) => string }
  | { kind: 'huge'; bytes: number };

/** `certs`: share them with another receiver so that one dispatcher trusts both. */
export async function startFlakyWebhook(certs: TestCerts = makeTestCerts()): Promise<FlakyWebhook> {
  const requests: FlakyRequest[] = [];
  const sockets = new Set<Socket>();
  let mode: Mode = { kind: 'up' };
  let written = 0;
  let server: Server | undefined;
  let port = 0;

  const listen = async () => {
    if (server) return;
    const s = createServer(certs.leaf, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          json = undefined;
        }
        const r: FlakyRequest = { path: req.url ?? '', headers: req.headers, json };
        requests.push(r);
        if (mode.kind === 'up') {
          res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"success"}');
        } else if (mode.kind === 'fail') {
          res.writeHead(mode.status, { 'content-type': 'text/plain' }).end(mode.body ? mode.body(r) : 'unavailable');
        } else {
          const total = mode.bytes;
          const chunk = Buffer.alloc(64 * 1024, 'x');
          written = 0;
          res.writeHead(500, { 'content-type': 'text/plain', 'content-length': String(total) });
          const pump = () => {
            while (written < total && !res.destroyed) {
              const n = Math.min(chunk.length, total - written);
              written += n;
              if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump);
            }
            if (!res.destroyed) res.end();
          };
          res.on('close', () => res.removeAllListeners('drain'));
          pump();
        }
      });
    });
    s.on('secureConnection', (sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.address() as AddressInfo).port;
    server = s;
  };
  const stop = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    for (const sock of sockets) sock.destroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  await listen();
  const agent = new Agent({ connect: { ca: certs.ca.cert } });
  return {
    url: `https://127.0.0.1:${port}`,
    agent,
    ca: certs.ca.cert,
    requests,
    hugeBytesWritten: () => written,
    down: stop,
    async fail(status, body) {
      mode = { kind: 'fail', status, ...(body ? { body } : {}) };
      await listen();
    },
    async up() {
      mode = { kind: 'up' };
      await listen();
    },
    async huge(bytes) {
      mode = { kind: 'huge', bytes };
      await listen();
    },
    async close() {
      await agent.close().catch(() => undefined);
      await stop();
      certs.cleanup();
    },
  };
}
