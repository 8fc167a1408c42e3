/**
 * The `email` probe kind: a real round trip. Sends a uniquely tagged message over SMTP
 * (nodemailer), watches it arrive over IMAP with IDLE (imapflow), fetches and checks it,
 * deletes it, and sweeps probe messages that dead runs of this check left behind.
 */
import { INVALID, joinKey, s, type Checked, type Schema } from '../../config/schema';
import { formatDuration, ms, parseDuration } from '../../duration';
import { defineKind, type KindCheck } from '../types';
import type { EmailCheck } from './types';

/**
 * Set by the Lambda bundling to the email probe's own file (shared/bundle-shims LAZY_EMAIL); unset when running the
 * sources.
 */
declare const WATCHPOST_EMAIL_PROBE: string | undefined;
const loadProbe = (): Promise<typeof import('./probe')> =>
  typeof WATCHPOST_EMAIL_PROBE === 'string' ? import(WATCHPOST_EMAIL_PROBE) : import('./probe');

export type { EmailCheck, EmailImap, EmailSmtp, EmailTls, EmailAuth, StartTls } from './types';

const host = s.string({ minLength: 1, expected: 'a host name or IP address' });
const port = s.number({ integer: true, min: 1, max: 65_535 });
const starttls = s.literalUnion(['required', 'opportunistic', 'off'] as const);
const tls = s.object({
  ca: s.optional(s.string({ minLength: 1, expected: 'a path to a PEM file, or PEM text' })),
  insecure: s.optional(s.boolean()),
  servername: s.optional(s.string({ minLength: 1 })),
});
const address = s.string({
  pattern: /^[^\s@<>]+@[^\s@<>]+$/,
  expected: 'an email address',
  patternHint: 'e.g. "probe@shop.example"',
});

/** Passwords only as secret references: a config file is checked in. */
const secretOnly: Schema<{ secret: string }> = {
  expected: 'a secret reference { secret: "name" }',
  check(v, path, issues) {
    if (typeof v === 'string') {
      issues.add(
        path,
        'a password may not be written into the config',
        'write { secret: "mail-probe" } and set WATCHPOST_SECRET_MAIL_PROBE locally (Secrets Manager in AWS)',
      );
      return INVALID;
    }
    return s.secretOr().check(v, path, issues) as Checked<{ secret: string }>;
  },
};
const auth = s.object({ user: s.string({ minLength: 1 }), pass: secretOnly });

/** The threshold of the `transit` alarm: `transitAfter`, else half the timeout. */
export function transitThresholdMs(check: Pick<EmailCheck, 'transitAfter'> & { timeout: string }): number {
  return check.transitAfter !== undefined ? ms(check.transitAfter) : Math.round(ms(check.timeout) / 2);
}

/** The fields of {@link EmailCheck}, with the defaults validation applies. */
const fields = {
  smtp: s.object({
    host,
    port,
    secure: s.optional(s.boolean()),
    starttls: s.optional(starttls),
    auth: s.optional(auth),
    tls: s.optional(tls),
  }),
  imap: s.object({
    host,
    port,
    secure: s.optional(s.boolean()),
    starttls: s.optional(starttls),
    auth,
    mailbox: s.optional(s.string({ minLength: 1 }), 'INBOX'),
    tls: s.optional(tls),
  }),
  from: address,
  to: address,
  acceptAfter: s.optional(s.duration({ min: 1 })),
  transitAfter: s.optional(s.duration({ min: 1 })),
};

/** A validated email check: the fields with a default are set. */
export type ValidatedEmailCheck = KindCheck<EmailCheck, typeof fields>;

/** Email round trip: SMTP send → IMAP IDLE arrival, with transit time, Received hops and SPF/DKIM/DMARC verdicts. */
export const emailKind = defineKind<EmailCheck>()({
  kind: 'email',
  fields,
  assertionSources: ['transit', 'smtpAccept', 'total', 'hops', 'header', 'subject', 'body', 'auth'],
  numericSources: ['transit', 'smtpAccept', 'total', 'hops'],
  // Fits the default one-minute frequency (a run ends before the next is due); give a slower
  // route more with e.g. `frequency: '5m', timeout: '3m'`.
  defaultTimeout: '1m',
  metrics: [
    // ms from the SMTP server accepting the message to the IMAP server announcing it
    { name: 'TransitTime', unit: 'Milliseconds' },
    // ms from the end of DATA to the SMTP server’s 250 reply
    { name: 'SmtpAcceptTime', unit: 'Milliseconds' },
  ],
  validate(check, path, issues) {
    const timeout = check.timeout === undefined ? undefined : parseDuration(check.timeout);
    if (timeout === undefined) return;
    for (const key of ['acceptAfter', 'transitAfter'] as const) {
      const v = check[key];
      if (v !== undefined && ms(v) >= timeout)
        issues.add(
          joinKey(path, key),
          `"${v}" is not below the timeout "${check.timeout}"`,
          'the wait ends at the timeout: a slower message is NOT_DELIVERED, not degraded',
        );
    }
    for (const side of ['smtp', 'imap'] as const) {
      const c = check[side];
      if (c.secure && c.starttls !== undefined)
        issues.add(
          joinKey(joinKey(path, side), 'starttls'),
          'has no effect with secure: true (TLS from the first byte)',
          'remove one of them',
        );
      if (c.tls?.insecure && c.tls.ca !== undefined)
        issues.add(
          joinKey(joinKey(path, side), 'tls'),
          'sets both ca and insecure: true',
          'keep ca (verify against it) or insecure (verify nothing)',
        );
    }
  },
  target: (check) =>
    `${check.from} via ${check.smtp.host}:${check.smtp.port} → ${check.to} at ${check.imap.host}:${check.imap.port}`,
  alarms(check) {
    const threshold = transitThresholdMs(check);
    return [
      {
        name: 'transit',
        metric: 'TransitTime',
        statistic: 'Maximum',
        comparison: 'GreaterThanThreshold',
        threshold,
        acrossRegions: 'max',
        severity: 'warning',
        description:
          `${check.name}: mail sent via ${check.smtp.host} takes longer ` +
          `than ${formatDuration(threshold)} to arrive at ${check.imap.host}`,
        treatMissingData: 'notBreaching',
        code: 'TRANSIT_SLOW',
      },
    ];
  },
  // Loaded on first use: the mail libraries are most of the runner bundle and most configs have no email check.
  run: async (check, ctx) => (await loadProbe()).runEmail(check, ctx),
});
