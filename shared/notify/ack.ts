/**
 * Acknowledgement links: `<base>/ack/<ref>.<expiry>.<signature>`, short enough for an SMS. The
 * signature is HMAC-SHA256 over ref and expiry with a key only the home stack knows (Secrets
 * Manager), cut to 128 bits; the expiry is epoch seconds in base 36. A link names one open page
 * (its random `ref`), so it cannot acknowledge anything else, and it expires.
 *
 * Opening a link only shows a confirmation page: mail scanners and SMS previews fetch links, and
 * must not acknowledge anything. The button POSTs the acknowledgement.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { parseDuration } from '../duration';

const SIG_CHARS = 22; // 22 base64url characters: 132 bits
const REF_RE = /^[A-Za-z0-9_-]{4,32}$/;

export type AckVerdict =
  | { ok: true; ref: string; expiresAt: number }
  | { ok: false; reason: 'malformed' | 'forged' | 'expired'; message: string };

function signature(key: string, ref: string, exp: string): string {
  return createHmac('sha256', key).update(`ack\n${ref}\n${exp}`).digest('base64url').slice(0, SIG_CHARS);
}

/** The token of a link for `ref`, valid until `expiresAt` (ms). */
export function signAck(key: string, ref: string, expiresAt: number): string {
  const exp = Math.ceil(expiresAt / 1000).toString(36);
  return `${ref}.${exp}.${signature(key, ref, exp)}`;
}

export function ackUrl(base: string, key: string, ref: string, expiresAt: number): string {
  return `${base.replace(/\/+$/, '')}/ack/${signAck(key, ref, expiresAt)}`;
}

/** Checks a token: the signature first (a forged one learns nothing about expiry), then the time. */
export function verifyAck(key: string, token: string, now: number): AckVerdict {
  const [ref, exp, sig, ...rest] = token.split('.');
  if (!ref || !exp || !sig || rest.length || !REF_RE.test(ref) || !/^[0-9a-z]{1,10}$/.test(exp))
    return { ok: false, reason: 'malformed', message: 'this is not an acknowledgement link' };
  const want = Buffer.from(signature(key, ref, exp));
  const got = Buffer.from(sig);
  if (got.length !== want.length || !timingSafeEqual(got, want))
    return { ok: false, reason: 'forged', message: 'this link is not valid (its signature does not match)' };
  const expiresAt = Number.parseInt(exp, 36) * 1000;
  if (expiresAt <= now)
    return { ok: false, reason: 'expired', message: `this link expired at ${new Date(expiresAt).toISOString()}` };
  return { ok: true, ref, expiresAt };
}

/** `--until 2h` / `until=2h`: the end of an acknowledgement in ms, or undefined for "until it recovers". */
export function ackUntil(text: string | undefined, now: number, where = '--until'): number | undefined {
  if (text === undefined || text === '') return undefined;
  const d = parseDuration(text);
  if (d === undefined || d < 60_000 || d > 7 * 86_400_000)
    throw new RangeError(`${where} "${text}" is not a duration from 1m to 7d (e.g. 30m, 2h)`);
  return now + d;
}

export interface AckRequest {
  method: string;
  /** The path, e.g. `/ack/<token>`. */
  path: string;
  /** Form fields of a POST. */
  form?: Record<string, string>;
}

export interface AckResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface AckHandlerDeps {
  key: string;
  now: () => number;
  /** Acknowledges the page `ref`; returns what was acknowledged (a sentence) or throws a user-facing error. */
  acknowledge(ref: string, by: string, until?: number): Promise<string>;
  /** The page's one-line summary for the confirmation page, if it is still open. */
  describe(ref: string): Promise<string | undefined>;
}

const esc = (s: string) =>
  s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(status: number, title: string, body: string): AckResponse {
  const html =
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex">' +
    `<title>${esc(title)}</title>` +
    '<style>body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem}' +
    'button{font:inherit;padding:.6rem 1.2rem}input,select{font:inherit;padding:.3rem}</style></head>' +
    `<body><h1>${esc(title)}</h1>${body}</body></html>`;
  return {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    },
    body: html,
  };
}

/** The ack link's endpoint (a Lambda function URL in AWS): GET confirms, POST acknowledges. */
export async function handleAckRequest(req: AckRequest, deps: AckHandlerDeps): Promise<AckResponse> {
  const m = /^\/ack\/([^/?#]+)$/.exec(req.path);
  if (!m) return page(404, 'Not found', '<p>watchpost acknowledgement links look like /ack/&lt;token&gt;.</p>');
  const token = decodeURIComponent(m[1]!);
  const v = verifyAck(deps.key, token, deps.now());
  if (!v.ok) return page(v.reason === 'expired' ? 410 : 403, 'Link not valid', `<p>${esc(v.message)}.</p>`);
  if (req.method === 'GET' || req.method === 'HEAD') {
    const what = await deps.describe(v.ref);
    if (!what) return page(410, 'Nothing to acknowledge', '<p>This page is no longer open: it has recovered.</p>');
    return page(
      200,
      'Acknowledge this page?',
      `<p><strong>${esc(what)}</strong></p><form method="post">` +
        '<p><label>Your name <input name="by" maxlength="60" autocomplete="name"></label></p>' +
        '<p><label>For <select name="until"><option value="">until it recovers</option><option>30m</option>' +
        '<option>1h</option><option>2h</option><option>4h</option></select></label></p>' +
        '<p><button type="submit">Acknowledge: I am on it</button></p></form>' +
        '<p>Reminders and escalation stop; the status page shows the incident as investigated.</p>',
    );
  }
  if (req.method !== 'POST') return page(405, 'Method not allowed', '<p>Use the button.</p>');
  const by =
    (req.form?.by ?? '')
      .replace(/[^\p{L}\p{N} .@_-]/gu, '')
      .trim()
      .slice(0, 60) || 'ack link';
  let until: number | undefined;
  try {
    until = ackUntil(req.form?.until, deps.now(), 'until');
  } catch (e) {
    return page(400, 'Not acknowledged', `<p>${esc((e as Error).message)}.</p>`);
  }
  try {
    const done = await deps.acknowledge(v.ref, by, until);
    return page(200, 'Acknowledged', `<p>${esc(done)}</p>`);
  } catch (e) {
    return page(409, 'Not acknowledged', `<p>${esc((e as Error).message)}.</p>`);
  }
}
