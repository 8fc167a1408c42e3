/** One attempt of a `tcp` check: connect, (TLS,) send a line, wait for the expected reply. */
import { isIP, type Socket } from 'node:net';
import { checkServerIdentity, type ConnectionOptions } from 'node:tls';
import type { ValidatedTcpCheck } from './index';
import type { CheckError } from '../../types';
import type { Observations, ProbeContext, ProbeOutcome } from '../types';
import { trustContext } from '../trust';
import { classifySocketError, hostPort, openConnection, round, timeoutError } from './net';
import type { TcpCheck } from './types';

/** The probe stops reading a reply here. */
export const MAX_REPLY_BYTES = 64 * 1024;
/** How much of a reply goes into details and messages. */
const SHOWN = 200;

const now = () => performance.now();

const shown = (text: string): string => JSON.stringify(text.length > SHOWN ? `${text.slice(0, SHOWN)}…` : text);

/** The line as it goes over the wire: CRLF appended unless it already ends with a line break. */
export const wireLine = (send: string): string => (/\r?\n$/.test(send) ? send : `${send}\r\n`);

function tlsOptions(check: TcpCheck): ConnectionOptions | undefined {
  if (!check.tls) return undefined;
  const o = check.tls === true ? {} : check.tls;
  const servername = o.servername ?? check.host;
  return {
    // SNI may not carry an IP address (RFC 6066); the identity check still uses it.
    ...(isIP(servername) ? {} : { servername }),
    rejectUnauthorized: !o.insecure,
    ...(o.ca !== undefined ? { secureContext: trustContext(o.ca) } : {}),
    // Node checks the SNI name; without SNI (an IP host) check the name we were given.
    checkServerIdentity: (_host, cert) => (o.insecure ? undefined : checkServerIdentity(servername, cert)),
  };
}

type Reply = { kind: 'done'; text: string; closed: boolean } | { kind: 'error'; error: CheckError; text: string } | { kind: 'aborted'; text: string };

/** Sends the line (if any) and reads until the reply is complete, the peer closes, or the signal aborts. */
function exchange(socket: Socket, send: string | undefined, expect: RegExp | undefined, signal: AbortSignal, where: string): Promise<Reply> {
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
    socket.on('error', (e) => finish({ kind: 'error', error: classifySocketError(e, 'response', where), text: text() }));
    if (send !== undefined) socket.write(wireLine(send));
  });
}

export async function runTcp(check: ValidatedTcpCheck, ctx: ProbeContext): Promise<ProbeOutcome> {
  const t0 = now();
  const where = hostPort(check.host, check.port);
  const details: Record<string, unknown> = { host: check.host, port: check.port, tls: !!check.tls };
  let tls: ConnectionOptions | undefined;
  try {
    tls = tlsOptions(check);
  } catch (e) {
    return { error: { code: 'TLS', message: (e as Error).message }, timings: {}, details };
  }
  const opened = await openConnection({ host: check.host, port: check.port, signal: ctx.signal, timeoutMs: ctx.timeoutMs, lookup: ctx.lookup, tls });
  if (!opened.ok) return { error: opened.error, timings: { ...opened.timings, total: round(now() - t0) }, details };

  const { socket, tlsSocket } = opened;
  const timings = { ...opened.timings };
  if (tlsSocket) {
    details.tlsProtocol = tlsSocket.getProtocol();
    details.tlsCipher = tlsSocket.getCipher()?.name;
  }
  const io: Socket = tlsSocket ?? socket;
  try {
    // Secrets are resolved by the runner: what is left is a string or a list of strings.
    const send = check.send === undefined ? undefined : Array.isArray(check.send) ? check.send.join('') : String(check.send);
    const expect = check.expect !== undefined ? new RegExp(check.expect, 'm') : undefined;
    const wantsReply = send !== undefined || expect !== undefined || check.assertions.some((a) => a.source === 'response');
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
        if (!reply.text) return { error: timeoutError('response', where, ctx.timeoutMs), timings, details };
        if (expect && !matched)
          return { error: { code: 'ASSERTION', message: `reply from ${where} did not match /${check.expect}/ within ${ctx.timeoutMs}ms: got ${shown(reply.text)}` }, timings, details };
        return { error: { code: 'TIMEOUT', message: `reply from ${where} did not end (no line break) within ${ctx.timeoutMs}ms: got ${shown(reply.text)}` }, timings, details };
      }
      if (expect && !matched) {
        const why = reply.closed ? 'closed the connection' : `sent ${MAX_REPLY_BYTES} bytes`;
        return {
          error: { code: 'ASSERTION', message: `reply from ${where} did not match /${check.expect}/ (${why}): got ${reply.text ? shown(reply.text) : 'nothing'}` },
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
