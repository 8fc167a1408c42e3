/**
 * The `tls` kind against real TLS servers on loopback (port 0) presenting certificates made
 * for the test: expiring in 3, 10 and 60 days, expired, self-signed, from an unknown CA, and
 * for the wrong host.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WatchpostConfig } from '../shared/config/types';
import { parseConfig, validateConfig } from '../shared/config/validate';
import { tlsKind, type ValidatedTlsCheck } from '../shared/probes/tls';
import { runCheck } from '../shared/runner/run-check';
import type { SecretResolver } from '../shared/secrets';
import { loopbackLookup, startDnsServer } from './helpers/dns-server';
import { makeCa, makeCert, type Pem } from './helpers/tls-certs';
import { listenSockets } from './helpers/socket-server';

const base = { project: 'test', homeRegion: 'eu-central-1', regions: ['eu-central-1'] };
const noSecrets: SecretResolver = async (name) => {
  throw new Error(`no secret ${name}`);
};
const tlsCheck = (fields: Record<string, unknown>) =>
  parseConfig({
    ...base,
    checks: [{ id: 'cert', kind: 'tls', host: '127.0.0.1', servername: 'shop.test', timeout: '3s', ...fields }],
  }).checks[0]!;
const run = (fields: Record<string, unknown>) =>
  runCheck(tlsCheck(fields), { region: 'eu-central-1', secrets: noSecrets });

let ca: Pem;
let otherCa: Pem;
const certs: Record<string, Pem> = {};
let dir: string;
beforeAll(() => {
  ca = makeCa();
  otherCa = makeCa('Somebody Else CA');
  certs.days60 = makeCert({ dnsNames: ['shop.test'], days: 60, issuer: ca });
  certs.days10 = makeCert({ dnsNames: ['shop.test'], days: 10, issuer: ca });
  certs.days3 = makeCert({ dnsNames: ['shop.test'], days: 3, issuer: ca });
  certs.expired = makeCert({ dnsNames: ['shop.test'], days: -2, validSinceDays: 90, issuer: ca });
  certs.selfSigned = makeCert({ dnsNames: ['shop.test'], days: 60 });
  certs.unknownCa = makeCert({ dnsNames: ['shop.test'], days: 60, issuer: otherCa });
  certs.wrongHost = makeCert({ dnsNames: ['other.test'], days: 60, issuer: ca });
  certs.ipOnly = makeCert({ dnsNames: [], cn: '127.0.0.1', ips: ['127.0.0.1'], days: 60, issuer: ca });
  dir = mkdtempSync(join(tmpdir(), 'watchpost-tls-'));
  writeFileSync(join(dir, 'ca.pem'), ca.cert);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function listen(server: net.Server): Promise<number> {
  const s = await listenSockets(server);
  cleanups.push(s.close);
  return s.port;
}
/** A TLS server presenting `pem` (and the CA's certificate as the chain, like a real server). */
const serveCert = (pem: Pem) => listen(tls.createServer({ cert: pem.cert, key: pem.key }, (s) => s.end()));

describe('tls kind: expiry', () => {
  it('60 days left, trusted, matching: pass with DaysToExpiry, timings and certificate details', async () => {
    const port = await serveCert(certs.days60!);
    const r = await run({
      port,
      ca: ca.cert,
      assertions: [
        { source: 'daysToExpiry', comparison: 'greaterThan', target: 30 },
        { source: 'issuer', comparison: 'contains', target: 'Watchpost Test CA' },
        { source: 'protocol', comparison: 'matches', target: '^TLSv1\\.[23]$' },
        { source: 'subject', comparison: 'contains', target: 'CN=shop.test' },
      ],
    });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('pass');
    expect(r.assertions.every((a) => a.pass)).toBe(true);
    expect(r.metrics.DaysToExpiry).toBeGreaterThan(59);
    expect(r.metrics.DaysToExpiry).toBeLessThanOrEqual(60);
    expect(Object.keys(r.timings).sort()).toEqual(['connect', 'tls', 'total']);
    expect(r.details).toMatchObject({
      subject: 'CN=shop.test, O=Shop Test',
      issuer: 'CN=Watchpost Test CA, O=Watchpost Tests',
      altNames: ['shop.test'],
      trusted: true,
      hostnameMatch: true,
      servername: 'shop.test',
    });
  });

  it('10 days left: degraded (below warnDays 21), not failed', async () => {
    const port = await serveCert(certs.days10!);
    const r = await run({ port, ca: ca.cert });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('degraded');
    expect(r.metrics.DaysToExpiry).toBeGreaterThan(9);
    expect(r.metrics.DaysToExpiry).toBeLessThan(10);
    expect(r.details!.warning).toContain('below warnDays 21');
  });

  it('3 days left: fail with TLS (below failDays 7), DaysToExpiry still published', async () => {
    const port = await serveCert(certs.days3!);
    const r = await run({ port, ca: ca.cert });
    expect(r.status).toBe('fail');
    expect(r.error!.code).toBe('TLS');
    expect(r.error!.message).toMatch(/expires in 2d 2\dh .*below failDays 7/);
    expect(r.metrics.DaysToExpiry).toBeGreaterThan(2);
    expect(r.metrics.DaysToExpiry).toBeLessThan(3);
  });

  it('own thresholds: 10 days left passes with warnDays 5, failDays 2', async () => {
    const port = await serveCert(certs.days10!);
    const r = await run({ port, ca: ca.cert, warnDays: 5, failDays: 2 });
    expect(r.status).toBe('pass');
  });

  it('expired: fail with TLS saying since when, certificate still read', async () => {
    const port = await serveCert(certs.expired!);
    const r = await run({ port, ca: ca.cert });
    expect(r.status).toBe('fail');
    expect(r.error!.code).toBe('TLS');
    expect(r.error!.message).toMatch(/expired 2d ago/);
    expect(r.metrics.DaysToExpiry).toBeLessThan(-1);
    expect(r.details).toMatchObject({
      subject: 'CN=shop.test, O=Shop Test',
      trusted: false,
      authorizationError: 'CERT_HAS_EXPIRED',
    });
  });
});

describe('tls kind: trust and host name', () => {
  it('self-signed: fail with TLS and a clear reason', async () => {
    const port = await serveCert(certs.selfSigned!);
    const r = await run({ port, ca: ca.cert });
    expect(r.error!.code).toBe('TLS');
    expect(r.error!.message).toContain('self-signed');
    expect(r.details).toMatchObject({
      trusted: false,
      authorizationError: 'DEPTH_ZERO_SELF_SIGNED_CERT',
      daysToExpiry: expect.any(Number),
    });
    expect(r.metrics.DaysToExpiry).toBeGreaterThan(59);
  });

  it('issued by a CA nobody trusts: fail with TLS naming the issuer', async () => {
    const port = await serveCert(certs.unknownCa!);
    const r = await run({ port, ca: ca.cert });
    expect(r.error!.code).toBe('TLS');
    expect(r.error!.message).toContain('issuer that is not trusted');
    expect(r.error!.message).toContain('Somebody Else CA');
  });

  it('without the private CA the system roots do not trust it', async () => {
    const port = await serveCert(certs.days60!);
    const r = await run({ port });
    expect(r.error!.code).toBe('TLS');
    expect(r.error!.message).toContain('not trusted');
  });

  it('for another host: fail with TLS naming the expected name and what the certificate covers', async () => {
    const port = await serveCert(certs.wrongHost!);
    const r = await run({ port, ca: ca.cert });
    expect(r.error!.code).toBe('TLS');
    expect(r.error!.message).toContain('the certificate is for other.test, not "shop.test"');
    expect(r.details).toMatchObject({ hostnameMatch: false, trusted: true });
  });

  it('several problems are all named', async () => {
    const port = await serveCert(certs.selfSigned!);
    const r = await run({ port, servername: 'www.shop.test' });
    expect(r.error!.message).toContain('self-signed');
    expect(r.error!.message).toContain('not "www.shop.test"');
    expect(r.details!.problems).toHaveLength(2);
  });

  it('an IP address host is matched against IP subject alternative names', async () => {
    const port = await serveCert(certs.ipOnly!);
    const ok = await runCheck(tlsCheck({ port, ca: ca.cert, servername: undefined }), {
      region: 'eu-central-1',
      secrets: noSecrets,
    });
    expect(ok.error).toBeUndefined();
    expect(ok.status).toBe('pass');
  });

  it('a host name resolves (DNS on loopback), is sent in SNI and matched by default', async () => {
    const served: string[] = [];
    const context = tls.createSecureContext({ cert: certs.days60!.cert, key: certs.days60!.key });
    const server = tls.createServer({
      cert: certs.days60!.cert,
      key: certs.days60!.key,
      // Called with the SNI name during the ClientHello.
      SNICallback: (name, cb) => {
        served.push(name);
        cb(null, context);
      },
    });
    const port = await listen(server);
    const dns = await startDnsServer({ records: [{ name: 'shop.test', type: 'A', data: '127.0.0.1' }] });
    cleanups.push(() => dns.close());
    const r = await runCheck(tlsCheck({ host: 'shop.test', servername: undefined, port, ca: ca.cert }), {
      region: 'eu-central-1',
      secrets: noSecrets,
      lookup: loopbackLookup(dns.port),
    });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('pass');
    expect(Object.keys(r.timings).sort()).toEqual(['connect', 'dns', 'tls', 'total']);
    expect(served).toEqual(['shop.test']);
  });

  it('ca may be a path to a PEM file', async () => {
    const port = await serveCert(certs.days60!);
    const r = await run({ port, ca: join(dir, 'ca.pem') });
    expect(r.status).toBe('pass');
    const missing = await run({ port, ca: join(dir, 'missing.pem') });
    expect(missing.error).toMatchObject({ code: 'TLS', message: expect.stringContaining('cannot read CA file') });
  });
});

describe('tls kind: a misbehaving target', () => {
  it('refused: CONNECT_REFUSED', async () => {
    const s = net.createServer();
    const port = await new Promise<number>((r) =>
      s.listen(0, '127.0.0.1', () => r((s.address() as net.AddressInfo).port)),
    );
    await new Promise((r) => s.close(r));
    const r = await run({ port });
    expect(r.error!.code).toBe('CONNECT_REFUSED');
  });

  it('not TLS at all: TLS', async () => {
    const port = await listen(net.createServer((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n')));
    const r = await run({ port });
    expect(r.status).toBe('fail');
    expect(r.error!.code).toBe('TLS');
  });

  it('reset during the handshake: TLS naming the reset', async () => {
    const port = await listen(net.createServer((s) => s.once('data', () => s.resetAndDestroy())));
    const r = await run({ port });
    expect(r.error!.code).toBe('TLS');
    expect(r.error!.message).toMatch(/ECONNRESET|reset|closed/i);
  });

  it('a server that never answers the handshake: TIMEOUT within the timeout', async () => {
    const port = await listen(net.createServer(() => {}));
    const started = Date.now();
    const r = await run({ port, timeout: '1s' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(r.error!.code).toBe('TIMEOUT');
    expect(r.error!.message).toContain('TLS handshake');
  });
});

describe('tls kind: alarms through the seam', () => {
  it('DaysToExpiry below warnDays → warning, below failDays → critical, worst region decides', () => {
    const check = tlsCheck({ port: 8443 }) as ValidatedTlsCheck;
    const alarms = tlsKind.alarms!(check);
    expect(alarms).toEqual([
      expect.objectContaining({
        metric: 'DaysToExpiry',
        comparison: 'LessThanThreshold',
        threshold: 21,
        severity: 'warning',
        acrossRegions: 'min',
        statistic: 'Minimum',
      }),
      expect.objectContaining({
        metric: 'DaysToExpiry',
        comparison: 'LessThanThreshold',
        threshold: 7,
        severity: 'critical',
        acrossRegions: 'min',
        statistic: 'Minimum',
      }),
    ]);
    expect(alarms[0]!.description).toContain('127.0.0.1:8443');
    const own = tlsKind.alarms!(tlsCheck({ warnDays: 30, failDays: 10 }) as ValidatedTlsCheck);
    expect(own.map((a) => a.threshold)).toEqual([30, 10]);
    expect(tlsKind.metrics!.map((m) => m.name)).toEqual(['DaysToExpiry']);
  });
});

describe('tls kind: config diagnostics', () => {
  const diagnose = (fields: Record<string, unknown>) => {
    const v = validateConfig({ ...base, checks: [{ id: 'cert', kind: 'tls', host: 'shop.test', ...fields }] });
    return v.ok ? [] : v.diagnostics;
  };

  it('defaults port 443, warnDays 21, failDays 7', () => {
    expect(tlsCheck({})).toMatchObject({ port: 443, warnDays: 21, failDays: 7 });
  });

  it('failDays must be below warnDays', () => {
    expect(diagnose({ warnDays: 7, failDays: 14 })).toEqual([
      expect.objectContaining({ path: 'checks[0] "cert".failDays', message: '14 is not below warnDays 7' }),
    ]);
    expect(diagnose({ failDays: 30 })).toEqual([
      expect.objectContaining({ message: '30 is not below warnDays 21', hint: expect.stringContaining('default 21') }),
    ]);
  });

  it('rejects a bad port, a URL host and unknown keys, each with its path', () => {
    const d = diagnose({ host: 'https://shop.test', port: 0, warnDay: 3 });
    expect(d.map((x) => x.path).sort()).toEqual([
      'checks[0] "cert".host',
      'checks[0] "cert".port',
      'checks[0] "cert".warnDay',
    ]);
    expect(d.find((x) => x.path.endsWith('warnDay'))!.hint).toBe('did you mean "warnDays"?');
  });
});

describe('the connection kinds in a typed config', () => {
  it('tcp, dns, tls and multistep checks type-check with defineConfig types and validate together', () => {
    const config = {
      ...base,
      checks: [
        { id: 'mail', kind: 'tcp', host: 'mail.shop.test', port: 25, expect: '^220 ' },
        {
          id: 'redis',
          kind: 'tcp',
          host: '10.0.0.5',
          port: 6379,
          tls: { servername: 'redis.shop.test' },
          send: ['AUTH ', { secret: 'redis-password' }, '\r\nPING'],
          expect: '^\\+PONG',
        },
        {
          id: 'shop-dns',
          kind: 'dns',
          name: 'shop.test',
          type: 'MX',
          server: '10.0.0.2:53',
          assertions: [{ source: 'answer', comparison: 'contains', target: '10 mx1.shop.test' }],
        },
        { id: 'shop-cert', kind: 'tls', host: 'shop.test', warnDays: 30, failDays: 10 },
        {
          id: 'shop-cart',
          kind: 'multistep',
          steps: [
            {
              name: 'login',
              request: {
                url: 'https://shop.test/api/login',
                method: 'POST',
                headers: { 'x-api-key': { secret: 'shop-api-key' } },
              },
              extract: { token: '$.token' },
            },
            {
              name: 'cart',
              request: { url: 'https://shop.test/api/cart', headers: { authorization: 'Bearer {{vars.token}}' } },
              assertions: [{ source: 'status', comparison: 'equals', target: 200 }],
            },
          ],
        },
      ],
    } satisfies WatchpostConfig;
    const v = validateConfig(config);
    expect(v.diagnostics).toEqual([]);
    expect(v.ok && v.config.checks.map((c) => c.kind)).toEqual(['tcp', 'tcp', 'dns', 'tls', 'multistep']);
  });
});
