/**
 * Hung AWS dependencies on loopback: a black-hole TCP server (accepts connections, reads what
 * is sent, never answers) and a TCP proxy that forwards to a real server until it is switched
 * to black-hole. Port 0, 127.0.0.1 only.
 *
 * @example
 * const hole = await startBlackHole();
 * process.env.AWS_ENDPOINT_URL_DYNAMODB = hole.endpoint;
 * …
 * hole.requests().map((r) => r.headers['x-amz-target'])
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** One HTTP request as it arrived (parsed from the bytes; bodies are JSON for these services). */
export interface HeldRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface BlackHole {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  /** Connections accepted so far. */
  connections(): number;
  /** Every complete HTTP request received so far, in arrival order. */
  requests(): HeldRequest[];
  close(): Promise<void>;
}

/** Splits the bytes of one connection into HTTP/1.1 requests (Content-Length bodies only). */
function parseRequests(bytes: Buffer): HeldRequest[] {
  const out: HeldRequest[] = [];
  let rest = bytes;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return out;
    const [start = '', ...lines] = rest.subarray(0, end).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const l of lines) {
      const i = l.indexOf(':');
      if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (rest.length < end + 4 + length) return out;
    const [method = '', path = ''] = start.split(' ');
    out.push({ method, path, headers, body: rest.subarray(end + 4, end + 4 + length).toString('utf8') });
    rest = rest.subarray(end + 4 + length);
  }
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function startBlackHole(): Promise<BlackHole> {
  const sockets = new Set<Socket>();
  const received = new Map<Socket, Buffer[]>();
  let accepted = 0;
  const server = createServer((s) => {
    accepted++;
    sockets.add(s);
    received.set(s, []);
    s.on('data', (b: Buffer) => received.get(s)!.push(b));
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    connections: () => accepted,
    requests: () => [...received.values()].flatMap((chunks) => parseRequests(Buffer.concat(chunks))),
    close: () => closeServer(server, sockets),
  };
}

export interface SwitchableProxy {
  endpoint: string;
  /** From now on nothing is forwarded, on open connections too, and nothing is answered. */
  blackHole(): void;
  close(): Promise<void>;
}

/** A TCP proxy to `127.0.0.1:<targetPort>` that can be switched to black-hole mid-test. */
export async function startSwitchableProxy(targetPort: number): Promise<SwitchableProxy> {
  const sockets = new Set<Socket>();
  let holed = false;
  const server = createServer((client) => {
    sockets.add(client);
    client.on('error', () => {});
    client.on('close', () => sockets.delete(client));
    if (holed) return; // accept, read, never answer
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => sockets.delete(upstream));
    // Forward by hand (not pipe) so the switch can stop both directions on a kept-alive connection.
    client.on('data', (b: Buffer) => {
      if (!holed) upstream.write(b);
    });
    upstream.on('data', (b: Buffer) => {
      if (!holed) client.write(b);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    blackHole: () => void (holed = true),
    close: () => closeServer(server, sockets),
  };
}
