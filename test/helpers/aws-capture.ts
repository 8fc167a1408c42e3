/**
 * A local endpoint for AWS services that speak JSON 1.0 (CloudWatch, DynamoDB…), for clients
 * with no local implementation: records every call as it went over the wire (gunzipping bodies
 * the SDK compressed) and can be told to fail the next calls. Port 0, loopback only.
 *
 * @example
 * const cw = await startAwsCapture();
 * const client = new CloudWatchClient({
 *   endpoint: cw.endpoint, region: 'eu-central-1', credentials: FAKE, maxAttempts: 1,
 * });
 * cw.failNext(2, 'throttle');
 * …
 * cw.calls('PutMetricData')[0].body.MetricData
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface CapturedCall {
  /** `X-Amz-Target`, e.g. `GraniteServiceVersion20100801.PutMetricData`. */
  target: string;
  /** The operation: the part of the target after the dot. */
  operation: string;
  headers: IncomingHttpHeaders;
  /** Bytes as received (compressed when gzip). */
  rawBytes: number;
  /** Bytes of the JSON body after gunzip. */
  bodyBytes: number;
  gzip: boolean;
  body: any;
  /** How the capture answered. */
  answer: 'ok' | FailureKind;
}

export type FailureKind = 'throttle' | 'server-error' | 'invalid';

export interface AwsCapture {
  endpoint: string;
  /** Every call so far (of one operation, when given), in arrival order. */
  calls(operation?: string): CapturedCall[];
  /** The next `n` calls fail (Infinity: every call): throttling (400), 500, or a non-retryable 400. */
  failNext(n: number, kind?: FailureKind): void;
  /**
   * Answer for a successful call of an operation; a function answers each call (e.g. Running, then
   * Complete). @default {}
   */
  respond(operation: string, body: unknown | ((call: CapturedCall) => unknown)): void;
  reset(): void;
  close(): Promise<void>;
}

const FAILURES: Record<FailureKind, { status: number; type: string; message: string }> = {
  throttle: { status: 400, type: 'Throttling', message: 'Rate exceeded' },
  'server-error': { status: 500, type: 'InternalServiceFault', message: 'internal error (injected)' },
  invalid: { status: 400, type: 'InvalidParameterValue', message: 'invalid parameter (injected)' },
};

export async function startAwsCapture(): Promise<AwsCapture> {
  let recorded: CapturedCall[] = [];
  let failures = 0;
  let failKind: FailureKind = 'server-error';
  const answers = new Map<string, unknown>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const gzip = /gzip/i.test(String(req.headers['content-encoding'] ?? ''));
      const text = (gzip ? gunzipSync(raw) : raw).toString('utf8');
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.split('.').pop() ?? '';
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : {};
      } catch {
        body = text;
      }
      const failing = failures > 0;
      if (failing) failures--;
      recorded.push({
        target,
        operation,
        headers: req.headers,
        rawBytes: raw.length,
        bodyBytes: Buffer.byteLength(text),
        gzip,
        body,
        answer: failing ? failKind : 'ok',
      });

      const headers = {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-requestid': `capture-${recorded.length}`,
      };
      if (failing) {
        const f = FAILURES[failKind];
        res.writeHead(f.status, {
          ...headers,
          'x-amzn-query-error': `${f.type};${f.status >= 500 ? 'Receiver' : 'Sender'}`,
        });
        res.end(JSON.stringify({ __type: f.type, message: f.message }));
        return;
      }
      res.writeHead(200, headers);
      const answer = answers.get(operation);
      res.end(JSON.stringify((typeof answer === 'function' ? answer(recorded.at(-1)) : answer) ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls: (operation) => recorded.filter((c) => operation === undefined || c.operation === operation),
    failNext(n, kind = 'server-error') {
      failures = n;
      failKind = kind;
    },
    respond: (operation, body) => void answers.set(operation, body),
    reset() {
      recorded = [];
      failures = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
