/**
 * The shared network layer (shared/probes/net) against real loopback servers, and the promise it
 * makes: the same failure gets the same code from every kind that connects (http, tcp, tls).
 */
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../shared/config/validate';
import { openConnection, round, phaseTimer, errnoCode } from '../shared/probes/net';
import { runCheck } from '../shared/runner/run-check';
import type { SecretResolver } from '../shared/secrets';
import { makeTestCerts, type KeyCert, type TestCerts } from './helpers/certs';
import { loopbackLookup, startDnsServer, type DnsServer } from './helpers/dns-server';
import { closedPort } from './helpers/http-servers';
import { listenSockets } from './helpers/socket-server';

const noSecrets: SecretResolver = async (name) => {
  throw new Error(`no secret ${name}`);
};
const base = { project: 'test', homeRegion: 'eu-central-1', regions: ['eu-central-1'] };

let certs: TestCerts;
let dns: DnsServer;
beforeAll(async () => {
  certs = makeTestCerts();
  dns = await startDnsServer({ records: [] });
});
afterAll(async () => {
  certs.cleanup();
  await dns.close();
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A TCP (or TLS) server on port 0 that hands each socket to `onSocket`. */
async function listen(server: net.Server, onSocket?: (s: net.Socket) => void): Promise<number> {
  const s = await listenSockets(server, onSocket);
  cleanups.push(s.close);
  return s.port;
}

const tlsServer = (cert: KeyCert) => listen(tls.createServer(cert), (s) => s.end('220 ready\r\n'));

type Kind = 'http' | 'tcp' | 'tls';
/** The same target through each kind that connects: https for http, tcp with TLS (or plain), tls. */
function checkFor(kind: Kind, host: string, port: number, o: { tls?: boolean; ca?: string } = {}) {
  const secure = o.tls ?? true;
  const fields =
    kind === 'http'
      ? { url: `${secure ? 'https' : 'http'}://${host}:${port}/`, ...(o.ca ? { tls: { ca: o.ca } } : {}) }
      : kind === 'tcp'
        ? { host, port, ...(secure ? { tls: o.ca ? { ca: o.ca } : true } : {}) }
        : { host, port, ...(o.ca ? { ca: o.ca } : {}) };
  const check = { id: `via-${kind}`, kind, timeout: '1s', ...fields };
  return parseConfig({ ...base, checks: [check] }).checks[0]!;
}

async function viaEveryKind(host: string, port: number, o: { tls?: boolean; ca?: string } = {}) {
  const lookup = loopbackLookup(dns.port);
  const kinds: Kind[] = o.tls === false ? ['http', 'tcp'] : ['http', 'tcp', 'tls'];
  const out: Record<string, { code?: string; message?: string }> = {};
  for (const kind of kinds) {
    const r = await runCheck(checkFor(kind, host, port, o), { region: 'eu-central-1', secrets: noSecrets, lookup });
    out[kind] = { code: r.error?.code, message: r.error?.message };
  }
  return out;
}

const codes = (r: Record<string, { code?: string }>) =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.code]));

describe('one failure, one code in every kind', () => {
  it('a refused port: CONNECT_REFUSED, and one sentence', async () => {
    const port = await closedPort();
    const r = await viaEveryKind('127.0.0.1', port, { tls: false });
    expect(codes(r)).toEqual({ http: 'CONNECT_REFUSED', tcp: 'CONNECT_REFUSED' });
    const viaTls = await viaEveryKind('127.0.0.1', port);
    expect(viaTls.tls!.code).toBe('CONNECT_REFUSED');
    const sentence = `connection refused by 127.0.0.1:${port}: nothing is listening on that port`;
    expect([r.http!.message, r.tcp!.message, viaTls.tls!.message]).toEqual([sentence, sentence, sentence]);
  });

  it('a port that accepts TCP but never answers TLS: TIMEOUT naming the handshake', async () => {
    const port = await listen(net.createServer());
    const r = await viaEveryKind('127.0.0.1', port);
    const message = `TLS handshake with 127.0.0.1:${port} did not finish within 1000ms`;
    expect(r).toEqual({
      http: { code: 'TIMEOUT', message },
      tcp: { code: 'TIMEOUT', message },
      tls: { code: 'TIMEOUT', message },
    });
  });

  it('an expired certificate: TLS saying when', async () => {
    const port = await tlsServer(certs.expired);
    const r = await viaEveryKind('127.0.0.1', port, { ca: certs.caFile });
    expect(codes(r)).toEqual({ http: 'TLS', tcp: 'TLS', tls: 'TLS' });
    expect(r.http!.message).toBe(r.tcp!.message);
    expect(r.http!.message).toMatch(/^certificate of 127\.0\.0\.1 expired on .*, 10 days ago$/);
    expect(r.tls!.message).toContain('expired');
  });

  it('a self-signed certificate: TLS saying so', async () => {
    const port = await tlsServer(certs.selfSigned);
    const r = await viaEveryKind('127.0.0.1', port, { ca: certs.caFile });
    expect(codes(r)).toEqual({ http: 'TLS', tcp: 'TLS', tls: 'TLS' });
    expect(r.http!.message).toBe(r.tcp!.message);
    for (const k of ['http', 'tcp', 'tls']) expect(r[k]!.message).toContain('self-signed');
  });

  it('a certificate for another host: TLS naming what it covers', async () => {
    const port = await tlsServer(certs.wrongHost);
    const r = await viaEveryKind('127.0.0.1', port, { ca: certs.caFile });
    expect(codes(r)).toEqual({ http: 'TLS', tcp: 'TLS', tls: 'TLS' });
    expect(r.http!.message).toBe('certificate is for wrong.example.test not 127.0.0.1');
    expect(r.tcp!.message).toBe(r.http!.message);
    expect(r.tls!.message).toContain('wrong.example.test');
  });

  it('a reset in the middle of the handshake: TLS naming the reset', async () => {
    const port = await listen(net.createServer(), (s) => s.once('data', () => s.resetAndDestroy()));
    const r = await viaEveryKind('127.0.0.1', port);
    expect(codes(r)).toEqual({ http: 'TLS', tcp: 'TLS', tls: 'TLS' });
    const message = `TLS handshake with 127.0.0.1:${port} failed: the server reset the connection`;
    expect(Object.values(r).map((v) => v.message)).toEqual([message, message, message]);
  });

  it('a name that does not resolve (through a DNS server on loopback): DNS', async () => {
    const r = await viaEveryKind('nowhere.shop.test', 443);
    expect(codes(r)).toEqual({ http: 'DNS', tcp: 'DNS', tls: 'DNS' });
    for (const k of ['http', 'tcp', 'tls']) expect(r[k]!.message).toContain('cannot resolve nowhere.shop.test');
  });
});

describe('openConnection', () => {
  const opts = (port: number) => ({ host: '127.0.0.1', port, signal: AbortSignal.timeout(1_000), timeoutMs: 1_000 });

  it('connects, shakes hands, times each phase and reports the certificate', async () => {
    const port = await tlsServer(certs.leaf);
    const secureContext = tls.createSecureContext({ ca: certs.ca.cert });
    const r = await openConnection({ ...opts(port), tls: { verify: true, secureContext } });
    if (!r.ok) throw new Error(r.error.message);
    r.tlsSocket!.destroy();
    r.socket.destroy();
    expect(Object.keys(r.timings).sort()).toEqual(['connect', 'tls']);
    expect(r.remoteAddress).toBe('127.0.0.1');
    expect(r.certificate).toMatchObject({ names: 'localhost, 127.0.0.1', issuer: 'CN=Watchpost Test CA' });
    expect(r.session!.protocol).toMatch(/^TLSv1\.[23]$/);
  });

  it('falls back to the next address when one is refused (localhost → ::1 refused, 127.0.0.1 listens)', async () => {
    const port = await listen(net.createServer());
    const lookup: net.LookupFunction = (_h, _o, cb) =>
      (cb as (e: null, a: { address: string; family: number }[]) => void)(null, [
        { address: '::1', family: 6 },
        { address: '127.0.0.1', family: 4 },
      ]);
    const r = await openConnection({ ...opts(port), host: 'localhost', lookup });
    if (!r.ok) throw new Error(r.error.message);
    r.socket.destroy();
    expect(r.remoteAddress).toBe('127.0.0.1');
    expect(Object.keys(r.timings).sort()).toEqual(['connect', 'dns']);
  });

  it('an aborted signal ends the attempt in the phase it is in', async () => {
    const r = await openConnection({ host: 'slow.test', port: 1, signal: AbortSignal.abort(), timeoutMs: 50 });
    expect(r).toMatchObject({
      ok: false,
      phase: 'dns',
      error: { code: 'DNS', message: 'name lookup of slow.test did not finish within 50ms' },
    });
  });

  it('the table and the helpers', () => {
    expect([
      errnoCode('ECONNREFUSED'),
      errnoCode('ENOTFOUND'),
      errnoCode('EPIPE'),
      errnoCode('CERT_HAS_EXPIRED'),
    ]).toEqual(['CONNECT_REFUSED', 'DNS', 'RESET', 'TLS']);
    expect([errnoCode('ETIMEOUT'), errnoCode('ETIMEDOUT'), errnoCode('EWHATEVER')]).toEqual([
      'TIMEOUT',
      'CONNECT_TIMEOUT',
      undefined,
    ]);
    expect([round(1.26), round(-3)]).toEqual([1.3, 0]);
    const t = phaseTimer();
    expect(t.lap()).toBeGreaterThanOrEqual(0);
    expect(t.total()).toBeGreaterThanOrEqual(0);
  });
});
