import type { CheckCommon } from '../../config/types';
import type { Duration } from '../../duration';
import type { SecretRef } from '../../types';

/** How a plain connection uses STARTTLS. */
export type StartTls = 'required' | 'opportunistic' | 'off';

/** TLS settings of one connection. */
export interface EmailTls {
  /** Certificate authority to trust besides the system's: a path to a PEM file, or the PEM text itself. */
  ca?: string;
  /**
   * Accept any certificate (self-signed, expired, wrong name). Not recommended: it hides the `TLS` failures a probe
   * exists to catch.
   * @default false
   */
  insecure?: boolean;
  /** Name the certificate must carry, when `host` is an IP address or a different name. @default host */
  servername?: string;
}

/** Login of one connection. The password is always a secret reference, never inline. */
export interface EmailAuth {
  /** @example "monitor@example.com" */
  user: string;
  /** @example { secret: "mail-probe-password" } (locally WATCHPOST_SECRET_MAIL_PROBE_PASSWORD) */
  pass: SecretRef;
}

/** Where the probe sends the message. */
export interface EmailSmtp {
  /** @example "smtp.office365.com" */
  host: string;
  /** 587 (submission, STARTTLS), 465 (implicit TLS) or 25 (MX). @example 587 */
  port: number;
  /** TLS from the first byte (port 465). @default true for port 465, false otherwise */
  secure?: boolean;
  /**
   * STARTTLS on a plain connection: `required` fails with `TLS` when the server does not offer it,
   * `opportunistic` uses it when offered, `off` never uses it. Not used with `secure: true`.
   * @default "required"
   */
  starttls?: StartTls;
  /** Login (SMTP AUTH). Leave it out to hand the message to an MX unauthenticated (port 25). */
  auth?: EmailAuth;
  tls?: EmailTls;
}

/** Where the probe watches for the message to arrive. */
export interface EmailImap {
  /** @example "imap.gmail.com" */
  host: string;
  /** 993 (implicit TLS) or 143 (STARTTLS). @example 993 */
  port: number;
  /** TLS from the first byte (port 993). @default true for port 993, false otherwise */
  secure?: boolean;
  /** STARTTLS on a plain connection, as for SMTP. Not used with `secure: true`. @default "required" */
  starttls?: StartTls;
  auth: EmailAuth;
  /** The folder the message is delivered to. @default "INBOX" */
  mailbox?: string;
  tls?: EmailTls;
}

/**
 * An email round trip: sends a uniquely tagged message over SMTP and watches it arrive over
 * IMAP (IDLE), then fetches it, checks it and deletes it. Sending through one provider and
 * reading at another (Office 365 → Gmail) is the same check with different hosts.
 *
 * The common `timeout` is how long the message may take to arrive (the whole attempt ends
 * inside it); `acceptAfter` and `transitAfter` mark a working but slow run `degraded`.
 * @example
 * { id: 'mail-o365-to-gmail', kind: 'email', frequency: '5m', timeout: '2m', transitAfter: '30s',
 *   smtp: { host: 'smtp.office365.com', port: 587,
 *     auth: { user: 'probe@shop.example', pass: { secret: 'o365-probe' } } },
 *   imap: { host: 'imap.gmail.com', port: 993,
 *     auth: { user: 'shop.probe@gmail.com', pass: { secret: 'gmail-app-password' } } },
 *   from: 'probe@shop.example', to: 'shop.probe@gmail.com' }
 */
export interface EmailCheck extends CheckCommon {
  kind: 'email';
  smtp: EmailSmtp;
  imap: EmailImap;
  /** Envelope sender and From header. @example "probe@shop.example" */
  from: string;
  /** Envelope recipient and To header: an address whose mail ends up in `imap.mailbox`. */
  to: string;
  /**
   * `degraded` when the SMTP server takes longer than this to accept the message (end of DATA to the 250 reply). Below
   * `timeout`.
   * @example "5s"
   */
  acceptAfter?: Duration;
  /**
   * `degraded` when the message takes longer than this from accepted to seen over IMAP. Below `timeout`; also the
   * `transit` alarm's threshold.
   * @example "30s"
   */
  transitAfter?: Duration;
}

declare module '../../config/types' {
  interface CheckKinds {
    email: EmailCheck;
  }
}
