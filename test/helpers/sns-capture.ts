/**
 * A local SNS endpoint (the query protocol: form-encoded requests, XML answers) on loopback,
 * port 0, that records every call as it went over the wire. SNS has no local implementation;
 * point the SDK at it with `AWS_ENDPOINT_URL_SNS` or `endpoint`.
 *
 * @example
 * const sns = await startSnsCapture();
 * process.env.AWS_ENDPOINT_URL_SNS = sns.endpoint;
 * …
 * const [call] = sns.calls('Publish');
 * JSON.parse(call.params.Message).sms
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SnsCall {
  /** `Publish`, `ListTopics`, … */
  action: string;
  /** The form parameters, flat (`TopicArn`, `Message`, `MessageAttributes.entry.1.Name`, …). */
  params: Record<string, string>;
  /** `MessageAttributes` decoded: name → string value. */
  attributes: Record<string, string>;
  headers: IncomingHttpHeaders;
  answer: 'ok' | SnsFailure;
}

export type SnsFailure = 'throttle' | 'server-error' | 'not-found' | 'auth';

export interface SnsCapture {
  endpoint: string;
  calls(action?: string): SnsCall[];
  /** The next `n` calls fail (Infinity: all). */
  failNext(n: number, kind?: SnsFailure): void;
  /** Topic ARNs ListTopics returns. */
  setTopics(arns: string[]): void;
  reset(): void;
  close(): Promise<void>;
}

const FAILURES: Record<SnsFailure, { status: number; type: 'Sender' | 'Receiver'; code: string; message: string }> = {
  throttle: { status: 400, type: 'Sender', code: 'Throttling', message: 'Rate exceeded' },
  'server-error': { status: 500, type: 'Receiver', code: 'InternalError', message: 'internal error (injected)' },
  'not-found': { status: 404, type: 'Sender', code: 'NotFound', message: 'Topic does not exist' },
  auth: {
    status: 403,
    type: 'Sender',
    code: 'AuthorizationError',
    message: 'User is not authorized to perform: SNS:Publish',
  },
};

const xml = (s: string) =>
  s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
const NS = 'http://sns.amazonaws.com/doc/2010-03-31/';

function attributesOf(params: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    const m = /^MessageAttributes\.entry\.(\d+)\.Name$/.exec(k);
    if (m) out[v] = params[`MessageAttributes.entry.${m[1]}.Value.StringValue`] ?? '';
  }
  return out;
}

export async function startSnsCapture(): Promise<SnsCapture> {
  let recorded: SnsCall[] = [];
  let failures = 0;
  let failKind: SnsFailure = 'server-error';
  let topics: string[] = [];
  let ids = 0;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      const action = params.Action ?? '';
      const failing = failures > 0;
      if (failing) failures--;
      recorded.push({
        action,
        params,
        attributes: attributesOf(params),
        headers: req.headers,
        answer: failing ? failKind : 'ok',
      });
      const requestId = `capture-${recorded.length}`;
      if (failing) {
        const f = FAILURES[failKind];
        res.writeHead(f.status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
        res.end(
          `<ErrorResponse xmlns="${NS}"><Error><Type>${f.type}</Type><Code>${f.code}</Code>` +
            `<Message>${xml(f.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
        );
        return;
      }
      let result = '';
      if (action === 'Publish') result = `<MessageId>msg-${++ids}</MessageId>`;
      else if (action === 'ListTopics')
        result = `<Topics>${topics.map((t) => `<member><TopicArn>${xml(t)}</TopicArn></member>`).join('')}</Topics>`;
      res.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
      res.end(
        `<${action}Response xmlns="${NS}"><${action}Result>${result}</${action}Result>` +
          `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls: (action) => recorded.filter((c) => action === undefined || c.action === action),
    failNext(n, kind = 'server-error') {
      failures = n;
      failKind = kind;
    },
    setTopics(arns) {
      topics = arns;
    },
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
