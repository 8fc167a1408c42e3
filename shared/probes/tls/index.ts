/** The `tls` probe kind: the certificate a host presents — expiry, trust, host name, protocol, issuer. */
import { joinKey, s } from '../../config/schema';
import type { ProbeKind } from '../types';
import { hostPort } from '../net';
import { hostSchema, portSchema } from '../tcp/schema';
import { runTls } from './run';
import type { TlsCheck } from './types';

export type { TlsCheck } from './types';

const days = s.number({ integer: true, min: 0, max: 3650 });

export const tlsKind: ProbeKind<TlsCheck> = {
  kind: 'tls',
  description: 'TLS certificate a host presents: days to expiry (warn/fail thresholds and alarms), chain trust, host name, protocol, issuer',
  fields: {
    host: hostSchema,
    port: s.optional(portSchema, 443),
    servername: s.optional(hostSchema),
    ca: s.optional(s.string({ minLength: 1, expected: 'a PEM text or a path to a PEM file' })),
    warnDays: s.optional(days, 21),
    failDays: s.optional(days, 7),
  },
  assertionSources: ['daysToExpiry', 'issuer', 'subject', 'protocol', 'latency'],
  numericSources: ['daysToExpiry', 'latency'],
  metrics: [{ name: 'DaysToExpiry', unit: 'None', description: 'Days until the certificate expires (negative once expired)' }],
  validate(check, path, issues) {
    const warn = check.warnDays ?? 21;
    const fail = check.failDays ?? 7;
    if (fail >= warn)
      issues.add(
        joinKey(path, 'failDays'),
        `${fail} is not below warnDays ${warn}`,
        'a result turns degraded below warnDays (default 21) first and fails below failDays (default 7) later: set warnDays above failDays',
      );
  },
  alarms: (check) => {
    const where = hostPort(check.host, check.port ?? 443);
    const warn = check.warnDays ?? 21;
    const fail = check.failDays ?? 7;
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
  target: (check) => `tls://${hostPort(check.host, check.port ?? 443)}${check.servername && check.servername !== check.host ? ` (${check.servername})` : ''}`,
  run: runTls,
};
