/**
 * Maps nodemailer (SMTP) and imapflow (IMAP) errors to stable codes with a sentence that says
 * which side, which server and what it answered. Never includes a password: only the user
 * name and the server's own words.
 */
import type { CheckError, ErrorCode } from '../../types';
import { errnoCode } from '../net';

export interface Endpoint {
  host: string;
  port: number;
}

const hp = (e: Endpoint) => `${e.host}:${e.port}`;

/** Whether any of the codes classifies as `net` in the shared network table. */
const has = (cs: string[], net: ErrorCode): boolean => cs.some((c) => errnoCode(c) === net);

/** What nodemailer's and imapflow's errors may carry; a thrown value may be anything, so all are optional. */
interface MailError {
  message?: unknown;
  code?: unknown;
  originalCode?: unknown;
  cause?: unknown;
  _err?: unknown;
  response?: unknown;
  responseCode?: number;
  responseText?: string;
  responseStatus?: string;
  command?: string;
  timeoutType?: string;
  authenticationFailed?: boolean;
  tlsFailed?: boolean;
  mailboxMissing?: boolean;
}

const fieldsOf = (err: unknown): MailError => (typeof err === 'object' && err !== null ? (err as MailError) : {});

/** The error and the errors it wraps (`cause`, or imapflow's `_err`), at most four deep. */
function layers(err: unknown): MailError[] {
  const out: MailError[] = [];
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const f = e as MailError;
    out.push(f);
    e = f.cause ?? f._err;
  }
  return out;
}

/** The error's own code and the underlying system code, whichever layers set them. */
function codes(err: unknown): string[] {
  const out: string[] = [];
  for (const e of layers(err)) {
    if (typeof e.code === 'string') out.push(e.code);
    if (typeof e.originalCode === 'string') out.push(e.originalCode);
  }
  return out;
}

function oneLine(text: unknown, max = 300): string {
  const s = String(text ?? '')
    .replace(/\s+/g, ' ')
    .trim();
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/**
 * "self-signed certificate" from "Error initiating TLS - self-signed certificate", and
 * "wrong version number" from OpenSSL's "80EC…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:…".
 */
function tlsReason(err: unknown, side: 'smtp' | 'imap'): string {
  let text = String(fieldsOf(err).message ?? err);
  for (const e of layers(err)) {
    if (typeof e.code === 'string' && errnoCode(e.code) === 'TLS') {
      text = String(e.message);
      break;
    }
  }
  text = text.replace(/^Error initiating TLS - /, '').replace(/^Error upgrading connection with STARTTLS: ?/, '');
  const openssl = /SSL routines:[^:]*:([^:]+)/.exec(text);
  if (openssl) text = openssl[1]!;
  if (/wrong version number|packet length too long|unknown protocol/i.test(text))
    text += ` (the server does not speak TLS from the first byte here: use ${side}.secure: false, with STARTTLS)`;
  return oneLine(text);
}

const looksLikeTls = (err: MailError, cs: string[]) =>
  has(cs, 'TLS') || /certificate|wrong version number|ssl3_|tlsv1 alert|handshake/i.test(String(err.message ?? ''));

export interface SmtpContext extends Endpoint {
  user?: string;
  from: string;
  to: string;
}

export function smtpError(thrown: unknown, ctx: SmtpContext): CheckError {
  const cs = codes(thrown);
  const err = fieldsOf(thrown);
  const code = typeof err.code === 'string' ? err.code : '';
  const response = err.response ? oneLine(err.response) : '';
  const where = `SMTP server ${hp(ctx)}`;
  if (has(cs, 'CONNECT_REFUSED')) return { code: 'CONNECT_REFUSED', message: `${where} refused the connection` };
  if (code === 'EDNS' || has(cs, 'DNS'))
    return { code: 'DNS', message: `cannot resolve the SMTP host "${ctx.host}": ${oneLine(err.message)}` };
  if (code === 'EAUTH' || code === 'ENOAUTH')
    return {
      code: 'AUTH',
      message: `SMTP login failed for user ${ctx.user ?? '(none)'} at ${hp(ctx)}${response ? `: ${response}` : ''}`,
    };
  if ((code === 'EENVELOPE' || code === 'EMESSAGE') && err.responseCode) {
    const what =
      err.command === 'MAIL FROM'
        ? `the sender <${ctx.from}>`
        : err.command === 'RCPT TO'
          ? `the recipient <${ctx.to}>`
          : 'the message';
    return { code: 'REJECTED', message: `${where} rejected ${what} (${err.command ?? 'SMTP'}): ${response}` };
  }
  if (code === 'ETLS' && err.command === 'STARTTLS' && err.responseCode)
    return { code: 'TLS', message: `${where} does not offer STARTTLS (starttls: "required"): ${response}` };
  if (code === 'ETLS' || looksLikeTls(err, cs))
    return { code: 'TLS', message: `SMTP TLS with ${hp(ctx)} failed: ${tlsReason(thrown, 'smtp')}` };
  if (code === 'ETIMEDOUT') {
    const connect = err.timeoutType === 'CONNECT_TIMEOUT';
    return { code: connect ? 'CONNECT_TIMEOUT' : 'TIMEOUT', message: `${where}: ${oneLine(err.message)}` };
  }
  if (has(cs, 'RESET') || code === 'ECONNECTION')
    return { code: 'RESET', message: `${where} closed the connection unexpectedly${response ? `: ${response}` : ''}` };
  if (code === 'EPROTOCOL')
    return { code: 'PROTOCOL', message: `${where} answered something unexpected: ${oneLine(err.message)}` };
  if (err.responseCode)
    return { code: 'REJECTED', message: `${where} refused ${err.command ?? 'a command'}: ${response}` };
  return { code: 'NETWORK', message: `SMTP with ${hp(ctx)} failed: ${oneLine(err.message ?? thrown)}` };
}

export interface ImapContext extends Endpoint {
  user: string;
  mailbox: string;
}

export function imapError(thrown: unknown, ctx: ImapContext): CheckError {
  const cs = codes(thrown);
  const err = fieldsOf(thrown);
  const where = `IMAP server ${hp(ctx)}`;
  if (err.authenticationFailed) {
    const said = oneLine(err.responseText ?? (typeof err.response === 'string' ? err.response : '') ?? '');
    return { code: 'AUTH', message: `IMAP login failed for user ${ctx.user} at ${hp(ctx)}${said ? `: ${said}` : ''}` };
  }
  if (has(cs, 'CONNECT_REFUSED')) return { code: 'CONNECT_REFUSED', message: `${where} refused the connection` };
  if (has(cs, 'DNS'))
    return { code: 'DNS', message: `cannot resolve the IMAP host "${ctx.host}": ${oneLine(err.message)}` };
  if (err.tlsFailed || looksLikeTls(err, cs))
    return { code: 'TLS', message: `IMAP TLS with ${hp(ctx)} failed: ${tlsReason(thrown, 'imap')}` };
  if (cs.includes('CONNECT_TIMEOUT'))
    return { code: 'CONNECT_TIMEOUT', message: `${where}: no connection within the connect timeout` };
  if (cs.some((c) => /^(GREETING_TIMEOUT|UPGRADE_TIMEOUT|ETIMEOUT|ETIMEDOUT)$/.test(c)))
    return { code: 'TIMEOUT', message: `${where}: ${oneLine(err.message)}` };
  if (err.mailboxMissing)
    return {
      code: 'PROTOCOL',
      message: `mailbox "${ctx.mailbox}" does not exist for IMAP user ${ctx.user} at ${hp(ctx)}`,
    };
  if (has(cs, 'RESET') || cs.some((c) => c === 'NoConnection' || c === 'EConnectionClosed'))
    return { code: 'RESET', message: `${where} closed the connection unexpectedly` };
  if (err.responseStatus) {
    const said = oneLine(err.responseText ?? err.response ?? '');
    return { code: 'PROTOCOL', message: `${where} refused ${err.command ?? 'a command'}${said ? `: ${said}` : ''}` };
  }
  return { code: 'NETWORK', message: `IMAP with ${hp(ctx)} failed: ${oneLine(err.message ?? thrown)}` };
}
