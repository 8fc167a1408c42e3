import type { CheckCommon } from '../../config/types';
import type { MaybeSecret } from '../../types';

/** TLS for a `tcp` check: on top of the connection, before anything is sent. */
export interface TcpTlsOptions {
  /** Name sent in SNI and checked against the certificate. @default the host (unless it is an IP address) */
  servername?: string;
  /** A CA to trust besides the system's roots: a PEM text or a path to a PEM file. */
  ca?: string;
  /** Accept any certificate (not recommended: use the `tls` kind to watch a certificate). @default false */
  insecure?: boolean;
}

/**
 * A TCP check: connects to `host:port`, optionally over TLS, optionally sends a line and waits
 * for a reply that matches `expect`.
 * @example
 * { id: 'mail-banner', kind: 'tcp', host: 'mail.example.com', port: 25, expect: '^220 ' }
 * @example
 * { id: 'redis', kind: 'tcp', host: 'redis.internal', port: 6379, send: 'PING', expect: '\\+PONG' }
 */
export interface TcpCheck extends CheckCommon {
  kind: 'tcp';
  /** Host name or IP address. */
  host: string;
  /** TCP port, 1–65535. */
  port: number;
  /** `true` or TLS options: shake hands (and verify the certificate) before sending. @default false */
  tls?: boolean | TcpTlsOptions;
  /**
   * A line to send once connected. `\r\n` is appended unless it already ends with a line break.
   * A list is joined, so a password can be a secret reference on its own (and is then scrubbed
   * from an echoing reply too).
   * @example "PING"
   * @example ["AUTH ", { secret: "redis-password" }]
   */
  send?: MaybeSecret | MaybeSecret[];
  /**
   * A regular expression (multiline: `^` matches at each line start) the reply must match,
   * e.g. `^220 ` for an SMTP banner. The probe reads until it matches, the peer closes, or 64 KiB.
   */
  expect?: string;
}

declare module '../../config/types' {
  interface CheckKinds {
    tcp: TcpCheck;
  }
}
