/** One attempt of a `tcp` check: connect, (TLS,) send a line, wait for the expected reply. */
import type { Socket } from 'node:net';
import type { ValidatedTcpCheck } from './index';
import type { CheckError } from '../../types';
import { hostPort, now, openConnection, round, socketError, type TlsStep } from '../net';
import type { Observations, ProbeContext, ProbeOutcome } from '../types';
import { trustContext } from '../trust';
import type { TcpCheck } from './types';

/** The probe stops reading a reply here. */
export const MAX_REPLY_BYTES = 64 * 1024;
/** How much of a reply goes into details and messages. */
const SHOWN = 200;

const shown = (text: string): string => JSON.stringify(text.length > SHOWN ? `${text.slice(0, SHOWN)}…` : text);

/** The line as it goes over the wire: CRLF appended unless it already ends with a line break. */
export const wireLine = (send: string): string => (/\r?\n$/.test(send) ? send : `${send}\r\n`);

function tlsStep(check: TcpCheck): TlsStep | undefined {
  if (!check.tls) return undefined;
  const o = check.tls === true ? {} : check.tls;
  return {
    servername: o.servername ?? check.host,
    verify: !o.insecure,
    ...(o.ca !== undefined ? { secureContext: trustContext(o.ca) } : {}),
  };
}

type Reply =
  | { kind: 'done'; text: string; closed: boolean }
  | { kind: 'error'; error: CheckError; text: string }
  | { kind: 'aborted'; text: string };

/** Sends the line (if any) and reads until the reply is complete, the peer closes, or the signal aborts. */
function exchange(
  socket: Socket,
  send: string | undefined,
  expect: RegExp | undefined,
  signal: AbortSignal,
  where: string,
): Promise<Reply> {
  return new Promise<Reply>((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const text = () => Buffer.concat(chunks).toString('utf8');
    const finish = (r: Reply) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.off('data', onData);
      resolve(r);
    };
    function onAbort() {
      finish({ kind: 'aborted', text: text() });
    }
    function onData(chunk: Buffer) {
      const room = MAX_REPLY_BYTES - size;
      chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      size += Math.min(chunk.length, room);
      const t = text();
      // Without `expect`, one line is a whole reply (a banner, `+PONG`).
      const complete = expect ? expect.test(t) : t.includes('\n');
      if (complete || size >= MAX_REPLY_BYTES) finish({ kind: 'done', text: t, closed: false });
    }
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('data', onData);
    socket.once('end', () => finish({ kind: 'done', text: text(), closed: true }));
    socket.once('close', () => finish({ kind: 'done', text: text(), closed: true }));
    socket.on('error', (e) => finish({ kind: 'error', error: socketError(where, e), text: text() }));
    if (send !== undefined) socket.write(wireLine(send));
  });
}

export async function runTcp(check: ValidatedTcpCheck, ctx: ProbeContext): Promise<ProbeOutcome> {
  const t0 = now();
  const where = hostPort(check.host, check.port);
  const details: Record<string, unknown> = { host: check.host, port: check.port, tls: !!check.tls };
  let tls: TlsStep | undefined;
  try {
    tls = tlsStep(check);
  } catch (e) {
    return { error: { code: 'TLS', message: (e as Error).message }, timings: {}, details };
  }
  const { signal, timeoutMs, lookup } = ctx;
  const opened = await openConnection({ host: check.host, port: check.port, signal, timeoutMs, lookup, tls });
  if (!opened.ok) return { error: opened.error, timings: { ...opened.timings, total: round(now() - t0) }, details };

  const { socket, tlsSocket } = opened;
  const timings: Record<string, number> = { ...opened.timings };
  if (opened.session) {
    details.tlsProtocol = opened.session.protocol;
    details.tlsCipher = opened.session.cipher;
  }
  const io: Socket = tlsSocket ?? socket;
  try {
    // Secrets are resolved by the runner: what is left is a string or a list of strings.
    const send =
      check.send === undefined ? undefined : Array.isArray(check.send) ? check.send.join('') : String(check.send);
    const expect = check.expect !== undefined ? new RegExp(check.expect, 'm') : undefined;
    const wantsReply =
      send !== undefined || expect !== undefined || check.assertions.some((a) => a.source === 'response');
    let response: string | undefined;
    if (wantsReply) {
      const t1 = now();
      const reply = await exchange(io, send, expect, ctx.signal, where);
      timings.response = round(now() - t1);
      timings.total = round(now() - t0);
      if (reply.text) details.response = reply.text.length > SHOWN ? `${reply.text.slice(0, SHOWN)}…` : reply.text;
      details.bytesReceived = Buffer.byteLength(reply.text);
      if (reply.kind === 'error') return { error: reply.error, timings, details };
      const matched = expect ? expect.test(reply.text) : true;
      if (reply.kind === 'aborted') {
        if (!reply.text)
          return {
            error: { code: 'TIMEOUT', message: `no complete reply from ${where} within ${ctx.timeoutMs}ms` },
            timings,
            details,
          };
        if (expect && !matched)
          return {
            error: {
              code: 'ASSERTION',
              message:
                `reply from ${where} did not match /${check.expect}/ within ${ctx.timeoutMs}ms: ` +
                `got ${shown(reply.text)}`,
            },
            timings,
            details,
          };
        return {
          error: {
            code: 'TIMEOUT',
            message:
              `reply from ${where} did not end (no line break) within ${ctx.timeoutMs}ms: ` +
              `got ${shown(reply.text)}`,
          },
          timings,
          details,
        };
      }
      if (expect && !matched) {
        const why = reply.closed ? 'closed the connection' : `sent ${MAX_REPLY_BYTES} bytes`;
        return {
          error: {
            code: 'ASSERTION',
            message:
              `reply from ${where} did not match /${check.expect}/ (${why}): ` +
              `got ${reply.text ? shown(reply.text) : 'nothing'}`,
          },
          timings,
          details,
        };
      }
      response = reply.text;
    } else {
      timings.total = round(now() - t0);
    }
    const latency = timings.total!;
    const observations: Observations = {
      read(source) {
        if (source === 'response') return { value: response };
        if (source === 'latency') return { value: latency };
        return {};
      },
    };
    return { timings, latencyMs: latency, details, observations };
  } finally {
    io.destroy();
    socket.destroy();
  }
}
