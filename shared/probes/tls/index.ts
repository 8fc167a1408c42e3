/** The `tls` probe kind: the certificate a host presents — expiry, trust, host name, protocol, issuer. */
import { joinKey, s } from '../../config/schema';
import { defineKind, type KindCheck } from '../types';
import { hostPort } from '../net';
import { hostSchema, portSchema } from '../tcp/schema';
import { runTls } from './run';
import type { TlsCheck } from './types';

export type { TlsCheck } from './types';

const days = s.number({ integer: true, min: 0, max: 3650 });

/** The fields of {@link TlsCheck}, with the defaults validation applies. */
const fields = {
  host: hostSchema,
  port: s.optional(portSchema, 443),
  servername: s.optional(hostSchema),
  ca: s.optional(s.string({ minLength: 1, expected: 'a PEM text or a path to a PEM file' })),
  warnDays: s.optional(days, 21),
  failDays: s.optional(days, 7),
};

/** A validated tls check: port, warnDays and failDays set. */
export type ValidatedTlsCheck = KindCheck<TlsCheck, typeof fields>;

/**
 * TLS certificate a host presents: days to expiry (warn/fail thresholds and alarms), chain trust, host name,
 * protocol, issuer.
 */
export const tlsKind = defineKind<TlsCheck>()({
  kind: 'tls',
  fields,
  assertionSources: ['daysToExpiry', 'issuer', 'subject', 'protocol', 'latency'],
  numericSources: ['daysToExpiry', 'latency'],
  // Days until the certificate expires (negative once expired)
  metrics: [{ name: 'DaysToExpiry', unit: 'None' }],
  validate(check, path, issues) {
    const { warnDays: warn, failDays: fail } = check;
    if (fail >= warn)
      issues.add(
        joinKey(path, 'failDays'),
        `${fail} is not below warnDays ${warn}`,
        'a result turns degraded below warnDays (default 21) first and fails below failDays (default 7) later: set ' +
          'warnDays above failDays',
      );
  },
  alarms: (check) => {
    const where = hostPort(check.host, check.port);
    const { warnDays: warn, failDays: fail } = check;
    return [
      {
        name: 'cert-expiring',
        metric: 'DaysToExpiry',
        statistic: 'Minimum',
        comparison: 'LessThanThreshold',
        threshold: warn,
        acrossRegions: 'min',
        severity: 'warning',
        description: `the TLS certificate of ${where} expires in less than ${warn} days`,
        code: 'CERT_EXPIRING',
      },
      {
        name: 'cert-expiry',
        metric: 'DaysToExpiry',
        statistic: 'Minimum',
        comparison: 'LessThanThreshold',
        threshold: fail,
        acrossRegions: 'min',
        severity: 'critical',
        description: `the TLS certificate of ${where} expires in less than ${fail} days`,
      },
    ];
  },
  target: (check) =>
    `tls://${hostPort(check.host, check.port)}` +
    (check.servername && check.servername !== check.host ? ` (${check.servername})` : ''),
  run: runTls,
});
