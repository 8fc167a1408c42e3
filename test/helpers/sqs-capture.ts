/**
 * A capture server on loopback (port 0) that answers like the AWS JSON 1.0 protocol services the
 * queue kind calls — SQS (`X-Amz-Target: AmazonSQS.GetQueueAttributes`) and CloudWatch
 * (`GraniteServiceVersion20100801.GetMetricStatistics`) — and records every request, so tests
 * check what goes over the wire. There is no local SQS here; this is the stand-in.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface CapturedRequest {
  method: string;
  path: string;
  /** `X-Amz-Target`, e.g. `AmazonSQS.GetQueueAttributes`. */
  target: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** What to answer: JSON with a status, an AWS error, or misbehave. */
export type CaptureReply =
  | { status?: number; json: unknown }
  | { error: string; message: string; status?: number; queryError?: string }
  | 'hang'
  | 'reset'
  | 'garbage';

export interface CaptureServer {
  url: string;
  port: number;
  requests: CapturedRequest[];
  /** Replaces the answer function. */
  reply(fn: (req: CapturedRequest) => CaptureReply): void;
  close(): Promise<void>;
}

/** The usual SQS answer: attribute values are strings on the wire. */
export function sqsAttributes(attrs: Record<string, number>): CaptureReply {
  return { json: { Attributes: Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, String(v)])) } };
}

/** A CloudWatch GetMetricStatistics answer; timestamps are epoch seconds in JSON 1.0. */
export function cloudWatchDatapoints(points: Array<{ at: Date; maximum: number }>): CaptureReply {
  return {
    json: {
      Label: 'ApproximateAgeOfOldestMessage',
      Datapoints: points.map((p) => ({ Timestamp: p.at.getTime() / 1000, Maximum: p.maximum, Unit: 'Seconds' })),
    },
  };
}

/** A Secrets Manager GetSecretValue answer from a map of name → value; a name not in it is not found. */
export function secretsManagerAnswer(secrets: Record<string, string>): (req: CapturedRequest) => CaptureReply {
  return (req) => {
    const id = String(req.body.SecretId);
    return Object.hasOwn(secrets, id)
      ? { json: { Name: id, SecretString: secrets[id] } }
      : { error: 'ResourceNotFoundException', message: 'not found' };
  };
}

export async function startCapture(
  initial: (req: CapturedRequest) => CaptureReply = () => ({ json: {} }),
): Promise<CaptureServer> {
  let answer = initial;
  const requests: CapturedRequest[] = [];
  const sockets = new Set<Socket>();
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-requestid': 'capture-0001',
      'content-length': String(Buffer.byteLength(text)),
      ...headers,
    });
    res.end(text);
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        /* keep {} */
      }
      const captured: CapturedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        target: String(req.headers['x-amz-target'] ?? ''),
        headers: req.headers,
        body,
      };
      requests.push(captured);
      const r = answer(captured);
      if (r === 'hang') return;
      if (r === 'reset') {
        req.socket.destroy();
        return;
      }
      if (r === 'garbage') {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end('<html>not json');
        return;
      }
      if ('error' in r) {
        send(
          res,
          r.status ?? 400,
          { __type: `com.amazonaws.sqs#${r.error}`, message: r.message },
          r.queryError ? { 'x-amzn-query-error': r.queryError } : {},
        );
        return;
      }
      send(res, r.status ?? 200, r.json);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    reply(fn) {
      answer = fn;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
