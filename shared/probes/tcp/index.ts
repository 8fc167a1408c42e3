/** The `tcp` probe kind: connect to host:port, optionally (TLS and) send a line and expect a reply. */
import { INVALID, joinKey, s, type Schema } from '../../config/schema';
import type { SecretRef } from '../../types';
import { defineKind, type KindCheck } from '../types';
import { hostPort } from '../net';
import { runTcp } from './run';
import { hostSchema, portSchema } from './schema';
import type { TcpCheck, TcpTlsOptions } from './types';

export type { TcpCheck, TcpTlsOptions } from './types';

const tlsObject: Schema<TcpTlsOptions> = s.object({
  servername: s.optional(hostSchema),
  ca: s.optional(s.string({ minLength: 1, expected: 'a PEM text or a path to a PEM file' })),
  insecure: s.optional(s.boolean()),
});

/** `true`/`false` or TLS options; object problems keep their own paths. */
const tlsField: Schema<boolean | TcpTlsOptions> = {
  expected: 'true, false or TLS options { servername?, ca?, insecure? }',
  check(v, path, issues) {
    if (typeof v === 'boolean') return v;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return tlsObject.check(v, path, issues);
    issues.add(path, `expected true, false or TLS options { servername?, ca?, insecure? }, got ${JSON.stringify(v)}`);
    return INVALID;
  },
};

/** The fields of {@link TcpCheck}, with the defaults validation applies. */
const fields = {
  host: hostSchema,
  port: portSchema,
  tls: s.optional(tlsField, false),
  send: s.optional(
    s.oneOf<string | SecretRef | Array<string | SecretRef>>(
      'a string, a secret reference { secret: "name" }, or a list of them',
      s.secretOr(s.string({ minLength: 1 })),
      s.array(s.secretOr(), { min: 1 }),
    ),
  ),
  expect: s.optional(s.string({ minLength: 1, expected: 'a regular expression such as "^220 "' })),
};

/** A validated tcp check: the fields with a default are set. */
export type ValidatedTcpCheck = KindCheck<TcpCheck, typeof fields>;

/** TCP connect (optionally TLS), optionally send a line and expect a reply (SMTP banner, Redis PONG). */
export const tcpKind = defineKind<TcpCheck>()({
  kind: 'tcp',
  fields,
  assertionSources: ['response', 'latency'],
  numericSources: ['latency'],
  metrics: [],
  validate(check, path, issues) {
    if (typeof check.expect === 'string') {
      try {
        new RegExp(check.expect, 'm');
      } catch (e) {
        issues.add(joinKey(path, 'expect'), `not a valid regular expression: ${(e as Error).message}`);
      }
    }
    if (typeof check.tls === 'object' && check.tls.insecure && check.tls.ca !== undefined)
      issues.add(
        joinKey(joinKey(path, 'tls'), 'insecure'),
        'insecure: true accepts any certificate, so ca is never used',
        'remove one of them',
      );
  },
  target: (check) => `${check.tls ? 'tls' : 'tcp'}://${hostPort(check.host, check.port)}`,
  run: runTcp,
});
