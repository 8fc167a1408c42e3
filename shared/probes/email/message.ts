/**
 * The probe message and what is read back from it: the unique tag, composing the message,
 * parsing the delivered copy's headers (Received hops, Authentication-Results verdicts).
 */
import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';

/** The header that marks a probe message; its value is the run's tag. */
export const PROBE_HEADER = 'X-Watchpost-Probe';
export const SUBJECT_PREFIX = 'watchpost probe';

/** `<checkId>.<ms since epoch, base 36>-<12 hex>`: unique per run, and carries its own age. */
const TAG_RE = /^([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.([0-9a-z]{1,11})-([0-9a-f]{12})$/;

export function makeTag(checkId: string, now = Date.now()): string {
  return `${checkId}.${now.toString(36)}-${randomBytes(6).toString('hex')}`;
}

export interface ParsedTag {
  checkId: string;
  /** ms since epoch when the message was made. */
  sentAt: number;
}

export function parseTag(value: string): ParsedTag | undefined {
  const m = TAG_RE.exec(value.trim());
  if (!m) return undefined;
  const sentAt = parseInt(m[2]!, 36);
  return Number.isFinite(sentAt) ? { checkId: m[1]!, sentAt } : undefined;
}

export interface ProbeMessage {
  tag: string;
  messageId: string;
  /** A random line in the body: the delivered copy must still carry it. */
  nonce: string;
  raw: Buffer;
}

/** Builds the RFC 5322 message. */
export async function composeMessage(opts: {
  checkId: string;
  from: string;
  to: string;
  tag?: string;
  now?: number;
}): Promise<ProbeMessage> {
  const now = opts.now ?? Date.now();
  const tag = opts.tag ?? makeTag(opts.checkId, now);
  const nonce = randomBytes(16).toString('hex');
  const domain = opts.from.split('@')[1] || 'watchpost.invalid';
  const messageId = `<${tag}@${domain}>`;
  const raw = await new MailComposer({
    from: opts.from,
    to: opts.to,
    subject: `${SUBJECT_PREFIX} ${tag}`,
    messageId,
    date: new Date(now),
    // Short ASCII lines: sent as 7bit, nothing for a relay to re-encode.
    text:
      'This message was sent by watchpost to measure email delivery\r\n' +
      `(check "${opts.checkId}"). It is deleted as soon as it arrives;\r\n` +
      'if you see it, you may delete it.\r\n\r\n' +
      `watchpost-nonce: ${nonce}\r\n`,
    headers: {
      [PROBE_HEADER]: tag,
      // No auto-replies, vacation notices or read receipts for a machine's message.
      'Auto-Submitted': 'auto-generated',
      'X-Auto-Response-Suppress': 'All',
      Precedence: 'bulk',
    },
  })
    .compile()
    .build();
  return { tag, messageId, nonce, raw };
}

/** Header fields in order (top first), names lower-cased, folded lines joined. */
export function parseHeaders(raw: Buffer | string): Array<[string, string]> {
  const text = typeof raw === 'string' ? raw : raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const head = end >= 0 ? text.slice(0, end) : text;
  const out: Array<[string, string]> = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && out.length) out[out.length - 1]![1] += ` ${line.trim()}`;
    else {
      const i = line.indexOf(':');
      if (i > 0) out.push([line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim()]);
    }
  }
  return out;
}

export function headerValues(headers: Array<[string, string]>, name: string): string[] {
  const n = name.toLowerCase();
  return headers.filter(([k]) => k === n).map(([, v]) => v);
}

/** The body, decoded when the top-level part is quoted-printable or base64. */
export function bodyText(raw: Buffer | string): string {
  const text = typeof raw === 'string' ? raw : raw.toString('latin1');
  const m = /\r?\n\r?\n/.exec(text);
  const body = m ? text.slice(m.index + m[0].length) : '';
  const cte = headerValues(parseHeaders(text), 'content-transfer-encoding')[0]?.toLowerCase() ?? '';
  if (cte === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (cte === 'quoted-printable')
    return body
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return body;
}

/** Drops RFC 5322 comments `( … )` (nested) from a header value. */
function stripComments(v: string): string {
  let depth = 0;
  let out = '';
  for (const ch of v) {
    if (ch === '(') depth++;
    else if (ch === ')' && depth > 0) depth--;
    else if (depth === 0) out += ch;
  }
  return out.replace(/\s+/g, ' ').trim();
}

/** One relay the message passed, oldest first. */
export interface Hop {
  from?: string;
  by?: string;
  with?: string;
  /** ISO time the relay stamped. */
  at?: string;
  /** ms since the hop before (or since the message's Date for the first). Relays stamp whole seconds. */
  delayMs?: number;
}

/** The hops from the `Received:` headers, oldest (the sender's side) first. */
export function parseReceived(headers: Array<[string, string]>): Hop[] {
  const received = headerValues(headers, 'received').reverse();
  const dateHeader = headerValues(headers, 'date')[0];
  let prev = dateHeader ? Date.parse(dateHeader) : NaN;
  return received.map((value) => {
    const semi = value.lastIndexOf(';');
    const clauses = stripComments(semi >= 0 ? value.slice(0, semi) : value);
    const hop: Hop = {};
    for (const key of ['from', 'by', 'with'] as const) {
      const m = new RegExp(`(?:^|\\s)${key}\\s+(\\S+)`, 'i').exec(clauses);
      if (m) hop[key] = m[1]!;
    }
    const when = semi >= 0 ? Date.parse(stripComments(value.slice(semi + 1))) : NaN;
    if (Number.isFinite(when)) {
      hop.at = new Date(when).toISOString();
      if (Number.isFinite(prev)) hop.delayMs = Math.max(0, when - prev);
      prev = when;
    }
    return hop;
  });
}

export type AuthVerdicts = { authservId?: string; spf?: string; dkim?: string; dmarc?: string; arc?: string };

/**
 * SPF/DKIM/DMARC verdicts from the topmost `Authentication-Results` header: the one the last
 * receiving server added, the only one a reader can trust. A message with several DKIM
 * signatures passes DKIM when one of them passes.
 */
export function parseAuthResults(headers: Array<[string, string]>): AuthVerdicts | undefined {
  const top = headerValues(headers, 'authentication-results')[0];
  if (!top) return undefined;
  const parts = stripComments(top)
    .split(';')
    .map((p) => p.trim());
  const out: AuthVerdicts = {};
  const id = parts.shift();
  if (id) out.authservId = id.split(/\s+/)[0];
  for (const part of parts) {
    const m = /^(spf|dkim|dmarc|arc)\s*=\s*([a-z]+)/i.exec(part);
    if (!m) continue;
    const method = m[1]!.toLowerCase() as 'spf' | 'dkim' | 'dmarc' | 'arc';
    const verdict = m[2]!.toLowerCase();
    if (out[method] === undefined || (method === 'dkim' && verdict === 'pass')) out[method] = verdict;
  }
  return out;
}
