/**
 * An HTTPS receiver on 127.0.0.1, port 0, with a certificate from a test CA: it stands in for
 * PagerDuty, Opsgenie or an ITSM webhook and records every request. Clients trust it through
 * `agent` (an undici Agent with the test CA), never by turning verification off.
 *
 * @example
 * const rx = await startHttpsReceiver();
 * rx.reply((req) => (req.path.startsWith('/pd') ? { status: 202, json: { status: 'success' } } : { status: 200 }));
 * await deliverWebhook(request, { dispatcher: rx.agent });
 * rx.requests[0].json
 */
import { createServer, type Server } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Agent } from 'undici';
import { makeTestCerts, type TestCerts } from './certs';

export interface ReceivedRequest {
  method: string;
  /** Path and query, e.g. `/og/v2/alerts/x/close?identifierType=alias`. */
  path: string;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: any;
}

export type ReceiverReply = { status?: number; json?: unknown; headers?: Record<string, string> } | 'reset';

export interface HttpsReceiver {
  /** `https://127.0.0.1:<port>` */
  url: string;
  requests: ReceivedRequest[];
  /** The test CA's certificate (PEM). */
  ca: string;
  /** An undici dispatcher that trusts the test CA. */
  agent: Agent;
  reply(fn: (req: ReceivedRequest, n: number) => ReceiverReply): void;
  close(): Promise<void>;
}

export async function startHttpsReceiver(certs: TestCerts = makeTestCerts()): Promise<HttpsReceiver> {
  let answer: (req: ReceivedRequest, n: number) => ReceiverReply = () => ({ status: 202, json: { status: 'success' } });
  const requests: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer(certs.leaf, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      const r: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, text, json };
      requests.push(r);
      const reply = answer(r, requests.length);
      if (reply === 'reset') {
        req.socket.destroy();
        return;
      }
      const body = reply.json === undefined ? '' : JSON.stringify(reply.json);
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
      res.end(body);
    });
  });
  server.on('secureConnection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const agent = new Agent({ connect: { ca: certs.ca.cert } });
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    ca: certs.ca.cert,
    agent,
    reply(fn) {
      answer = fn;
    },
    async close() {
      await agent.close().catch(() => undefined);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      certs.cleanup();
    },
  };
}
