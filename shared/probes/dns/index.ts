/** The `dns` probe kind: resolve a name through a chosen resolver, assert on answers and rcode. */
import { closest, INVALID, joinIndex, joinKey, s, type Schema } from '../../config/schema';
import { defineKind, type KindCheck } from '../types';
import { runDns } from './run';
import { parseServer } from './server';
import type { DnsCheck, DnsRecordType } from './types';

export type { DnsCheck, DnsRecordType } from './types';

const RECORD_TYPES: readonly DnsRecordType[] = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS'];
const LABEL = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
const NAME_RE = new RegExp(`^(?=.{1,254}$)(?:${LABEL}\\.)*${LABEL}\\.?$`);

const RCODES = ['NOERROR', 'NXDOMAIN', 'SERVFAIL', 'REFUSED', 'NOTIMP', 'FORMERR'] as const;

const SERVER_EXPECTED = 'a resolver address such as "10.0.0.2", "10.0.0.2:53" or "[2001:db8::53]:53"';
const serverSchema: Schema<string> = {
  expected: SERVER_EXPECTED,
  check(v, path, issues) {
    if (typeof v === 'string' && parseServer(v)) return v;
    const shown = typeof v === 'string' ? JSON.stringify(v) : v === null ? 'null' : typeof v;
    const hint =
      typeof v === 'string' && /[a-z]/i.test(v) && !v.includes('[') && !/^[0-9a-f:]+$/i.test(v)
        ? 'give the resolver as an IP address (with an optional port), not a host name'
        : undefined;
    issues.add(path, `expected ${SERVER_EXPECTED}, got ${shown}`, hint);
    return INVALID;
  },
};

/** The fields of {@link DnsCheck}, with the defaults validation applies. */
const fields = {
  name: s.string({
    pattern: NAME_RE,
    expected: 'a domain name such as "shop.example.com"',
    patternHint: 'no scheme, port or path; labels of letters, digits, "-" and "_"',
  }),
  type: s.optional(s.literalUnion(RECORD_TYPES), 'A'),
  server: s.optional(serverSchema),
};

/** A validated dns check: the fields with a default are set. */
export type ValidatedDnsCheck = KindCheck<DnsCheck, typeof fields>;

/** DNS lookup (A, AAAA, CNAME, MX, TXT, NS) through a chosen resolver, with assertions on answers and rcode. */
export const dnsKind = defineKind<DnsCheck>()({
  kind: 'dns',
  fields,
  assertionSources: ['answer', 'answerCount', 'rcode', 'latency'],
  numericSources: ['answerCount', 'latency'],
  metrics: [],
  validate(check, path, issues) {
    // A typo in an rcode would make an assertion that can never pass.
    check.assertions.forEach((a, i) => {
      if (a.source !== 'rcode' || typeof a.target !== 'string' || (RCODES as readonly string[]).includes(a.target))
        return;
      const near = closest(a.target, RCODES);
      issues.add(
        joinKey(joinIndex(joinKey(path, 'assertions'), i), 'target'),
        `"${a.target}" is not a response code (${RCODES.join(', ')})`,
        near ? `did you mean "${near}"?` : undefined,
      );
    });
  },
  target: (check) => `${check.name} ${check.type}${check.server ? ` @${check.server}` : ''}`,
  run: runDns,
});
