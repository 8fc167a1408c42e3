import type { CheckCommon } from '../../config/types';

/** Record types the `dns` kind can ask for. */
export type DnsRecordType = 'A' | 'AAAA' | 'CNAME' | 'MX' | 'TXT' | 'NS';

/**
 * A DNS check: resolves a name through a chosen resolver (or the system's) and asserts on the
 * answers and the response code.
 *
 * Answers read as text: an address for A/AAAA, the target name for CNAME/NS, `"10 mx.example.com"`
 * (preference, exchange) for MX, the joined strings of each TXT record.
 *
 * Unless an assertion looks at `rcode` or `answerCount`, the check itself requires `NOERROR`
 * and at least one answer, and fails with `DNS` otherwise.
 * @example
 * { id: 'shop-dns', kind: 'dns', name: 'shop.example.com', type: 'A', server: '10.0.0.2:53',
 *   assertions: [{ source: 'answer', comparison: 'contains', target: '203.0.113.7' }] }
 * @example
 * { id: 'old-host-gone', kind: 'dns', name: 'old.example.com',
 *   assertions: [{ source: 'rcode', comparison: 'equals', target: 'NXDOMAIN' }] }
 */
export interface DnsCheck extends CheckCommon {
  kind: 'dns';
  /** The name to resolve, e.g. `shop.example.com` or `_dmarc.example.com`. */
  name: string;
  /** @default "A" */
  type?: DnsRecordType;
  /**
   * The resolver to ask: an IP address with an optional port, e.g. `10.0.0.2`, `10.0.0.2:53`,
   * `[2001:db8::53]:5353`. @default the system's resolvers
   */
  server?: string;
}

declare module '../../config/types' {
  interface CheckKinds {
    dns: DnsCheck;
  }
}
