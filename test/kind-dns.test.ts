/**
 * The `dns` kind against a DNS server on loopback (test/helpers/dns-server.ts, UDP port 0):
 * every record type, response codes, a resolver that does not answer, config diagnostics.
 */
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, validateConfig } from '../shared/config/validate';
import { runCheck } from '../shared/runner/run-check';
import type { SecretResolver } from '../shared/secrets';
import { startDnsServer, type DnsServer } from './helpers/dns-server';

const base = { project: 'test', homeRegion: 'eu-central-1', regions: ['eu-central-1'] };
const noSecrets: SecretResolver = async (name) => {
  throw new Error(`no secret ${name}`);
};
const dnsCheck = (fields: Record<string, unknown>) =>
  parseConfig({ ...base, checks: [{ id: 'probe', kind: 'dns', timeout: '3s', ...fields }] }).checks[0]!;
const run = (fields: Record<string, unknown>) =>
  runCheck(dnsCheck(fields), { region: 'eu-central-1', secrets: noSecrets });
const answer = (comparison: string, target?: unknown) => ({
  source: 'answer',
  comparison,
  ...(target !== undefined ? { target } : {}),
});

let zone: DnsServer;
let server: string;
beforeAll(async () => {
  zone = await startDnsServer({
    records: [
      { name: 'shop.test', type: 'A', data: '10.0.0.7', ttl: 60 },
      { name: 'shop.test', type: 'A', data: '10.0.0.8', ttl: 60 },
      { name: 'shop.test', type: 'AAAA', data: '2001:db8::7' },
      { name: 'shop.test', type: 'MX', data: { preference: 10, exchange: 'mx1.shop.test' } },
      { name: 'shop.test', type: 'MX', data: { preference: 20, exchange: 'mx2.shop.test' } },
      { name: 'shop.test', type: 'TXT', data: ['v=spf1 ', 'include:mail.test -all'] },
      { name: 'shop.test', type: 'NS', data: 'ns1.shop.test' },
      { name: 'www.shop.test', type: 'CNAME', data: 'shop.test' },
      { name: 'ipv4only.shop.test', type: 'A', data: '10.0.0.9' },
    ],
  });
  server = `127.0.0.1:${zone.port}`;
});
afterAll(() => zone.close());

describe('dns kind: answers', () => {
  it('A: every address, lookup timing, details with TTLs', async () => {
    const r = await run({
      name: 'shop.test',
      type: 'A',
      server,
      assertions: [answer('contains', '10.0.0.7'), { source: 'answerCount', comparison: 'equals', target: 2 }],
    });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('pass');
    expect(r.assertions.map((a) => a.pass)).toEqual([true, true]);
    expect(r.assertions[0]!.actual).toEqual(['10.0.0.7', '10.0.0.8']);
    expect(Object.keys(r.timings).sort()).toEqual(['lookup', 'total']);
    expect(r.details).toMatchObject({
      name: 'shop.test',
      type: 'A',
      server,
      rcode: 'NOERROR',
      answers: [
        { value: '10.0.0.7', ttl: 60 },
        { value: '10.0.0.8', ttl: 60 },
      ],
    });
  });

  it('type defaults to A', async () => {
    const r = await run({ name: 'ipv4only.shop.test', server, assertions: [answer('contains', '10.0.0.9')] });
    expect(r.status).toBe('pass');
    expect(r.details!.type).toBe('A');
  });

  it('AAAA, CNAME, MX, TXT, NS read as text', async () => {
    const cases: Array<[string, string, string]> = [
      ['AAAA', 'shop.test', '2001:db8::7'],
      ['CNAME', 'www.shop.test', 'shop.test'],
      ['MX', 'shop.test', '10 mx1.shop.test'],
      ['TXT', 'shop.test', 'v=spf1 include:mail.test -all'],
      ['NS', 'shop.test', 'ns1.shop.test'],
    ];
    for (const [type, name, expected] of cases) {
      const r = await run({ name, type, server, assertions: [answer('contains', expected)] });
      expect(r.error, `${type}: ${r.error?.message}`).toBeUndefined();
      expect(r.status).toBe('pass');
    }
  });

  it('an A query for a CNAME follows it to the addresses', async () => {
    const r = await run({ name: 'www.shop.test', type: 'A', server, assertions: [answer('contains', '10.0.0.8')] });
    expect(r.status).toBe('pass');
  });

  it('a wrong answer fails with ASSERTION and shows what came back', async () => {
    const r = await run({ name: 'shop.test', server, assertions: [answer('contains', '10.0.0.99')] });
    expect(r.status).toBe('fail');
    expect(r.error!.code).toBe('ASSERTION');
    expect(r.error!.message).toContain('10.0.0.7');
  });

  it('matches works on the list of answers', async () => {
    const r = await run({ name: 'shop.test', type: 'TXT', server, assertions: [answer('matches', 'v=spf1 .*-all')] });
    expect(r.status).toBe('pass');
  });
});

describe('dns kind: response codes', () => {
  it('NXDOMAIN fails with DNS unless asserted on', async () => {
    const r = await run({ name: 'gone.shop.test', server });
    expect(r.status).toBe('fail');
    expect(r.error).toMatchObject({ code: 'DNS', message: expect.stringContaining('NXDOMAIN') });
    expect(r.details!.rcode).toBe('NXDOMAIN');
  });

  it('asserting rcode NXDOMAIN watches that a name stays gone', async () => {
    const r = await run({
      name: 'gone.shop.test',
      server,
      assertions: [{ source: 'rcode', comparison: 'equals', target: 'NXDOMAIN' }],
    });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('pass');
    const present = await run({
      name: 'shop.test',
      server,
      assertions: [{ source: 'rcode', comparison: 'equals', target: 'NXDOMAIN' }],
    });
    expect(present.error).toMatchObject({ code: 'ASSERTION' });
  });

  it('an empty answer (NOERROR, no records) fails with DNS unless asserted on', async () => {
    const r = await run({ name: 'ipv4only.shop.test', type: 'AAAA', server });
    expect(r.error).toMatchObject({ code: 'DNS', message: expect.stringContaining('no AAAA records') });
    const asserted = await run({
      name: 'ipv4only.shop.test',
      type: 'AAAA',
      server,
      assertions: [{ source: 'answerCount', comparison: 'equals', target: 0 }],
    });
    expect(asserted.status).toBe('pass');
    expect(asserted.details!.rcode).toBe('NOERROR');
  });

  for (const rcode of ['SERVFAIL', 'REFUSED'] as const) {
    it(`${rcode} from the resolver fails with DNS naming it`, async () => {
      const bad = await startDnsServer({ records: [], rcode });
      try {
        const r = await run({ name: 'shop.test', server: `127.0.0.1:${bad.port}` });
        expect(r.status).toBe('fail');
        expect(r.error).toMatchObject({ code: 'DNS', message: expect.stringContaining(rcode) });
        const asserted = await run({
          name: 'shop.test',
          server: `127.0.0.1:${bad.port}`,
          assertions: [{ source: 'rcode', comparison: 'equals', target: rcode }],
        });
        expect(asserted.status).toBe('pass');
      } finally {
        await bad.close();
      }
    });
  }
});

describe('dns kind: a resolver that misbehaves', () => {
  it('a silent resolver: TIMEOUT within the timeout', async () => {
    const silent = await startDnsServer({ records: [], silent: true });
    try {
      const started = Date.now();
      const r = await run({ name: 'shop.test', server: `127.0.0.1:${silent.port}`, timeout: '1s' });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(r.status).toBe('fail');
      expect(r.error!.code).toBe('TIMEOUT');
      expect(silent.queries.length).toBeGreaterThan(0);
    } finally {
      await silent.close();
    }
  });

  it('nothing listening: DNS', async () => {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    const port = s.address().port;
    await new Promise<void>((r) => s.close(() => r()));
    const started = Date.now();
    const r = await run({ name: 'shop.test', server: `127.0.0.1:${port}`, timeout: '1s' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(r.status).toBe('fail');
    // ICMP port unreachable gives ECONNREFUSED (DNS); a host that drops it would time out.
    expect(['DNS', 'TIMEOUT']).toContain(r.error!.code);
  });
});

describe('dns kind: config diagnostics', () => {
  const diagnose = (fields: Record<string, unknown>) => {
    const v = validateConfig({ ...base, checks: [{ id: 'probe', kind: 'dns', ...fields }] });
    return v.ok ? [] : v.diagnostics;
  };

  it('accepts resolver addresses with and without a port', () => {
    for (const server of ['10.0.0.2', '10.0.0.2:53', '[2001:db8::53]:5353', '2001:db8::53'])
      expect(diagnose({ name: 'shop.test', server })).toEqual([]);
  });

  it('rejects a bad name, type, server and rcode with paths and hints', () => {
    const d = diagnose({
      name: 'https://shop.test/',
      type: 'SRVV',
      server: 'dns.shop.test',
      assertions: [{ source: 'rcode', comparison: 'equals', target: 'NXDOMIAN' }],
    });
    const byPath = Object.fromEntries(d.map((x) => [x.path, x]));
    expect(byPath['checks[0] "probe".name']).toBeDefined();
    expect(byPath['checks[0] "probe".type']!.message).toContain('"AAAA"');
    expect(byPath['checks[0] "probe".server']!.hint).toContain('IP address');
    expect(diagnose({ name: 'shop.test', server: '10.0.0.2:99999' })[0]!.path).toBe('checks[0] "probe".server');
    const rc = diagnose({
      name: 'shop.test',
      assertions: [{ source: 'rcode', comparison: 'equals', target: 'NXDOMIAN' }],
    });
    expect(rc).toEqual([
      expect.objectContaining({ path: 'checks[0] "probe".assertions[0].target', hint: 'did you mean "NXDOMAIN"?' }),
    ]);
  });

  it('rejects http sources and a string target for answerCount', () => {
    const d = diagnose({
      name: 'shop.test',
      assertions: [
        { source: 'status', comparison: 'equals', target: 200 },
        { source: 'answerCount', comparison: 'greaterThan', target: '1' },
      ],
    });
    expect(d.map((x) => x.path)).toEqual([
      'checks[0] "probe".assertions[0].source',
      'checks[0] "probe".assertions[1].target',
    ]);
  });
});
