import type { CheckCommon } from '../../config/types';

/**
 * A TLS certificate check: connects, reads the certificate the host presents and judges it:
 * days until expiry, chain trust, host name match. An untrusted, expired or wrong-host
 * certificate fails with `TLS` (and is still read and reported).
 *
 * Below `warnDays` left the result is `degraded`; below `failDays` it fails. The kind also adds
 * two alarms on `DaysToExpiry` (the lowest across regions): `warning` below `warnDays`,
 * `critical` below `failDays`.
 * @example
 * { id: 'shop-cert', kind: 'tls', host: 'shop.example.com', warnDays: 30, failDays: 7 }
 * @example
 * { id: 'ldap-cert', kind: 'tls', host: '10.0.3.4', port: 636, servername: 'ldap.internal',
 *   ca: './certs/internal-ca.pem' }
 */
export interface TlsCheck extends CheckCommon {
  kind: 'tls';
  /** Host name or IP address to connect to. */
  host: string;
  /** @default 443 */
  port?: number;
  /** Name sent in SNI and checked against the certificate. @default the host */
  servername?: string;
  /** A CA to trust besides the system's roots: a PEM text or a path to a PEM file. */
  ca?: string;
  /** Fewer days left than this → `degraded`, and a `warning` alarm. @default 21 */
  warnDays?: number;
  /** Fewer days left than this → `fail` (`TLS`), and a `critical` alarm. Must be below `warnDays`. @default 7 */
  failDays?: number;
}

declare module '../../config/types' {
  interface CheckKinds {
    tls: TlsCheck;
  }
}
