/**
 * Real servers on loopback (127.0.0.1, port 0) for probe tests: http/https with a handler,
 * and a raw TCP server for targets that misbehave below HTTP (hang, reset, half a response).
 * `close()` also ends open connections, so a test that leaves a hanging request still stops.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { KeyCert } from './certs';

export interface TestServer {
  port: number;
  /** `http://127.0.0.1:<port>` (or https). */
  origin: string;
  url(path?: string): string;
  /** Connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

function track(server: net.Server, protocol: string, host: string): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  const result = {
    port: 0,
    origin: '',
    connections: 0,
    url: (path = '/') => `${result.origin}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  // TLS servers see the raw TCP socket in 'connection' too.
  server.on('connection', (s: net.Socket) => {
    result.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      result.port = (server.address() as net.AddressInfo).port;
      result.origin = `${protocol}://${host.includes(':') ? `[${host}]` : host}:${result.port}`;
      resolve(result);
    });
  });
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** An http server on 127.0.0.1, port 0. */
export function startHttpServer(handler: Handler, opts: { host?: string } = {}): Promise<TestServer> {
  return track(http.createServer(handler), 'http', opts.host ?? '127.0.0.1');
}

/** An https server on 127.0.0.1, port 0, with the given certificate. */
export function startHttpsServer(cert: KeyCert, handler: Handler, opts: { host?: string } = {}): Promise<TestServer> {
  return track(https.createServer({ key: cert.key, cert: cert.cert }, handler), 'https', opts.host ?? '127.0.0.1');
}

/** A raw TCP server: `onSocket` decides what the "HTTP server" does with the bytes. */
export function startTcpServer(
  onSocket: (socket: net.Socket) => void,
  opts: { host?: string } = {},
): Promise<TestServer> {
  return track(net.createServer(onSocket), 'http', opts.host ?? '127.0.0.1');
}

/** A port on 127.0.0.1 nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Reads a request body as text. */
export function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
