/**
 * A small authoritative DNS server on loopback (UDP, port 0) for tests, built on dns-packet.
 * Answers from `records` (following CNAMEs for other types), NXDOMAIN for unknown names,
 * NOERROR with no answers for a known name without that type, or `rcode` for everything.
 * @example
 * const dns = await startDnsServer({ records: [{ name: 'shop.test', type: 'A', data: '10.0.0.7' }] });
 * resolver.setServers([`127.0.0.1:${dns.port}`]); … await dns.close();
 */
import dgram from 'node:dgram';
import { Resolver, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import packet, { type Answer, type Question } from 'dns-packet';

export interface DnsRecord {
  name: string;
  /** A, AAAA, CNAME, MX, TXT, NS, … */
  type: string;
  /** As dns-packet wants it: an address, a name, `{ preference, exchange }` for MX, a string or list for TXT. */
  data: unknown;
  /** @default 300 */
  ttl?: number;
}

export interface DnsServerOptions {
  records: DnsRecord[];
  /** Answer every query with this rcode (e.g. `SERVFAIL`, `REFUSED`) and no records. */
  rcode?: string;
  /** Never answer (the resolver times out). @default false */
  silent?: boolean;
}

export interface DnsServer {
  port: number;
  /** Questions received, in order. */
  queries: Question[];
  close(): Promise<void>;
}

const norm = (n: string) => n.toLowerCase().replace(/\.$/, '');

function answersFor(records: DnsRecord[], q: Question): Answer[] {
  const out: Answer[] = [];
  let name = norm(q.name);
  for (let hops = 0; hops < 8; hops++) {
    const here = records.filter((r) => norm(r.name) === name);
    const direct = here.filter((r) => r.type === q.type);
    const toAnswer = (r: DnsRecord) =>
      ({ name: r.name, type: r.type, ttl: r.ttl ?? 300, class: 'IN', data: r.data }) as Answer;
    if (direct.length) return [...out, ...direct.map(toAnswer)];
    const cname = here.find((r) => r.type === 'CNAME');
    if (!cname) return out;
    out.push(toAnswer(cname));
    name = norm(String(cname.data));
  }
  return out;
}

export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const socket = dgram.createSocket('udp4');
  const queries: Question[] = [];
  socket.on('message', (msg, rinfo) => {
    let query: ReturnType<typeof packet.decode>;
    try {
      query = packet.decode(msg);
    } catch {
      return;
    }
    const q = query.questions?.[0];
    if (!q) return;
    queries.push(q);
    if (opts.silent) return;
    let rcode = opts.rcode ?? 'NOERROR';
    let answers: Answer[] = [];
    if (!opts.rcode) {
      const known = opts.records.some((r) => norm(r.name) === norm(q.name));
      if (!known) rcode = 'NXDOMAIN';
      else answers = answersFor(opts.records, q);
    }
    const flags =
      packet.AUTHORITATIVE_ANSWER | packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | rcodeNumber(rcode);
    const reply = packet.encode({ id: query.id, type: 'response', flags, questions: [q], answers });
    socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

function rcodeNumber(rcode: string): number {
  const codes = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];
  const i = codes.indexOf(rcode.toUpperCase());
  if (i < 0) throw new Error(`unknown rcode ${rcode}`);
  return i;
}

/**
 * A `dns.lookup`-compatible function that asks only the server on loopback at `port` (A, then
 * AAAA), so name lookups in tests never reach the system resolver. Pass it as `lookup` to
 * `runCheck` (it becomes the probe's `ctx.lookup`).
 * @example runCheck(check, { region, secrets, lookup: loopbackLookup(dns.port) })
 */
export function loopbackLookup(port: number, opts: { timeoutMs?: number } = {}): LookupFunction {
  const resolver = new Resolver({ timeout: opts.timeoutMs ?? 1_000, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  const ask = (fn: 'resolve4' | 'resolve6', host: string) =>
    new Promise<string[]>((resolve, reject) =>
      resolver[fn](host, (err, addrs) => (err && err.code !== 'ENODATA' ? reject(err) : resolve(err ? [] : addrs))),
    );
  return (hostname, options, callback) => {
    const family = typeof options === 'object' ? options.family : options;
    const wantAll = typeof options === 'object' && options.all === true;
    (async () => {
      const v4 = family === 6 || family === 'IPv6' ? [] : await ask('resolve4', hostname);
      const v6 = family === 4 || family === 'IPv4' ? [] : await ask('resolve6', hostname);
      return [
        ...v4.map((address) => ({ address, family: 4 })),
        ...v6.map((address) => ({ address, family: 6 })),
      ] as LookupAddress[];
    })().then(
      (all) => {
        if (!all.length) {
          const err: NodeJS.ErrnoException = Object.assign(new Error(`queryA ENODATA ${hostname}`), {
            code: 'ENODATA',
            hostname,
          });
          return callback(err, wantAll ? [] : '', 0);
        }
        if (wantAll) callback(null, all);
        else callback(null, all[0]!.address, all[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, wantAll ? [] : '', 0),
    );
  };
}
