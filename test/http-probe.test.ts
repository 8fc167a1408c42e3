/**
 * The `http` kind against real servers on loopback (port 0): checks are validated with
 * parseConfig and run through runCheck, as users run them. No public hosts; name lookups go
 * to a DNS server on loopback. Timing checks are only generous upper bounds ("ended within
 * the timeout"), never speed expectations.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../shared/config/validate';
import type { ValidatedCheck } from '../shared/config/types';
import { runCheck, type RunCheckOptions } from '../shared/runner/run-check';
import { envSecrets } from '../shared/secrets';
import type { CheckResult } from '../shared/types';
import { makeTestCerts, type TestCerts } from './helpers/certs';
import { loopbackLookup, startDnsServer, type DnsServer } from './helpers/dns-server';
import {
  closedPort,
  readBody,
  startHttpServer,
  startHttpsServer,
  startTcpServer,
  type Handler,
  type TestServer,
} from './helpers/http-servers';

const REGION = 'eu-central-1';

/** Validates one http check the way a config file would be, and returns it with defaults. */
function check(fields: Record<string, unknown>): ValidatedCheck {
  const config = parseConfig({
    project: 'test',
    homeRegion: REGION,
    regions: [REGION],
    checks: [{ id: 'probe', kind: 'http', ...fields }],
  });
  return config.checks[0]!;
}

function run(c: ValidatedCheck, opts: Partial<RunCheckOptions> = {}): Promise<CheckResult> {
  return runCheck(c, { region: REGION, secrets: envSecrets, ...opts });
}

const servers: TestServer[] = [];
async function serve(handler: Handler): Promise<TestServer> {
  const s = await startHttpServer(handler);
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const PHASES = ['dns', 'connect', 'tls', 'ttfb', 'transfer', 'total'];

describe('http probe: a working JSON API', () => {
  it('passes status, header, text and json assertions, with sane timings and details', async () => {
    let userAgent: string | undefined;
    const srv = await serve((req, res) => {
      userAgent = req.headers['user-agent'];
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.setHeader('x-multi', ['a', 'b']);
      res.end(JSON.stringify({ shop: 'open', items: [{ price: 9.5 }, { price: 3 }], 'odd key': true }));
    });
    const r = await run(
      check({
        url: srv.url('/api/items?x=1'),
        assertions: [
          { source: 'status', comparison: 'equals', target: 200 },
          { source: 'header', property: 'Content-Type', comparison: 'contains', target: 'application/json' },
          { source: 'header', property: 'X-MULTI', comparison: 'equals', target: 'a, b' },
          { source: 'header', property: 'x-absent', comparison: 'notExists' },
          { source: 'text', comparison: 'contains', target: '"open"' },
          { source: 'json', property: '$.items[0].price', comparison: 'equals', target: 9.5 },
          { source: 'json', property: '$.items.length', comparison: 'greaterThan', target: 1 },
          { source: 'json', property: "$['odd key']", comparison: 'equals', target: true },
          { source: 'latency', comparison: 'lessThan', target: 10_000 },
        ],
      }),
    );
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('pass');
    expect(r.attempts).toBe(1);
    expect(r.assertions.map((a) => a.pass)).toEqual(Array(9).fill(true));
    expect(r.assertions[1]!.actual).toBe('application/json; charset=utf-8');
    expect(Object.keys(r.timings).sort()).toEqual([...PHASES].sort());
    for (const p of PHASES) expect(r.timings[p], p).toBeGreaterThanOrEqual(0);
    expect(r.timings.dns).toBe(0); // an IP literal needs no lookup
    expect(r.timings.tls).toBe(0); // plain http
    expect(r.timings.total).toBeGreaterThanOrEqual(r.timings.ttfb!);
    expect(r.timings.total).toBeGreaterThanOrEqual(r.timings.connect!);
    expect(r.details).toMatchObject({
      statusCode: 200,
      httpVersion: '1.1',
      // query values stay out of what people see (a token may sit there)
      finalUrl: srv.url('/api/items?x=…'),
      redirects: [],
      remoteAddress: '127.0.0.1',
    });
    expect(r.details!.bodyBytes).toBeGreaterThan(40);
    expect(userAgent).toBe('watchpost/0.1');
  });

  it('sends a JSON body with content-type application/json and reads the echo', async () => {
    let seen: { method?: string; type?: string; length?: string; body?: string } = {};
    const srv = await serve(async (req, res) => {
      const body = await readBody(req);
      seen = { method: req.method, type: req.headers['content-type'], length: req.headers['content-length'], body };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ echo: JSON.parse(body) }));
    });
    const r = await run(
      check({
        url: srv.url('/orders'),
        method: 'POST',
        body: { sku: 'A-1', qty: 2, tags: ['x'] },
        headers: { 'x-request': 'test' },
        assertions: [
          { source: 'status', comparison: 'equals', target: 200 },
          { source: 'json', property: '$.echo.sku', comparison: 'equals', target: 'A-1' },
          { source: 'json', property: '$.echo.qty', comparison: 'equals', target: 2 },
          { source: 'json', property: '$.echo.tags', comparison: 'contains', target: 'x' },
        ],
      }),
    );
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('pass');
    expect(seen).toEqual({
      method: 'POST',
      type: 'application/json',
      length: String(seen.body!.length),
      body: '{"sku":"A-1","qty":2,"tags":["x"]}',
    });
  });

  it('sends a string body as is and keeps a content-type the check sets', async () => {
    let seen: { type?: string; body?: string; ua?: string } = {};
    const srv = await serve(async (req, res) => {
      seen = { type: req.headers['content-type'], body: await readBody(req), ua: req.headers['user-agent'] };
      res.end('ok');
    });
    const r = await run(
      check({
        url: srv.url('/form'),
        method: 'PUT',
        body: 'a=1&b=2',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'User-Agent': 'custom/1' },
        assertions: [{ source: 'text', comparison: 'equals', target: 'ok' }],
      }),
    );
    expect(r.status).toBe('pass');
    expect(seen).toEqual({ type: 'application/x-www-form-urlencoded', body: 'a=1&b=2', ua: 'custom/1' });
  });

  it('answers a HEAD request without waiting for a body', async () => {
    const srv = await serve((req, res) => {
      res.setHeader('content-length', '1000');
      res.end(req.method === 'HEAD' ? undefined : 'x'.repeat(1000));
    });
    const r = await run(
      check({
        url: srv.url('/'),
        method: 'HEAD',
        assertions: [{ source: 'header', property: 'content-length', comparison: 'equals', target: 1000 }],
      }),
    );
    expect(r.status).toBe('pass');
    expect(r.details!.bodyBytes).toBe(0);
  });

  it('reaches an IPv6 literal such as http://[::1]:port/', async (ctx) => {
    let srv: TestServer;
    try {
      srv = await startHttpServer((_req, res) => res.end('v6'), { host: '::1' });
    } catch {
      return ctx.skip(); // no IPv6 loopback on this machine
    }
    servers.push(srv);
    expect(srv.origin).toBe(`http://[::1]:${srv.port}`);
    const r = await run(
      check({ url: srv.url('/'), assertions: [{ source: 'text', comparison: 'equals', target: 'v6' }] }),
    );
    expect(r.status).toBe('pass');
    expect(r.timings.dns).toBe(0);
    expect(r.details!.remoteAddress).toBe('::1');
  });

  it('reports the HTTP version the server answered with', async () => {
    const srv = await startTcpServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nold server'));
    });
    servers.push(srv);
    const r = await run(
      check({ url: srv.url('/'), assertions: [{ source: 'text', comparison: 'equals', target: 'old server' }] }),
    );
    expect(r.status).toBe('pass');
    expect(r.details!.httpVersion).toBe('1.0');
  });
});

describe('http probe: connection failures', () => {
  it('CONNECT_REFUSED for a port nothing listens on, naming the target', async () => {
    const port = await closedPort();
    const r = await run(check({ url: `http://127.0.0.1:${port}/health` }));
    expect(r.status).toBe('fail');
    expect(r.error).toEqual({
      code: 'CONNECT_REFUSED',
      message: `connection refused by 127.0.0.1:${port}: nothing is listening on that port`,
    });
    expect(r.assertions).toEqual([]);
  });

  describe('name lookup through a DNS server on loopback', () => {
    let dns: DnsServer;
    beforeAll(async () => {
      dns = await startDnsServer({ records: [{ name: 'shop.test', type: 'A', data: '127.0.0.1' }] });
    });
    afterAll(() => dns.close());

    it('DNS for a name that does not exist (NXDOMAIN)', async () => {
      const r = await run(check({ url: 'http://missing.test/' }), { lookup: loopbackLookup(dns.port) });
      expect(r.status).toBe('fail');
      expect(r.error).toEqual({
        code: 'DNS',
        message: 'cannot resolve missing.test: the name does not exist (ENOTFOUND)',
      });
      expect(dns.queries.some((q) => q.name === 'missing.test')).toBe(true);
    });

    it('resolves a name it knows and times the lookup', async () => {
      const srv = await serve((_req, res) => res.end('hello'));
      const r = await run(
        check({
          url: `http://shop.test:${srv.port}/`,
          assertions: [{ source: 'text', comparison: 'equals', target: 'hello' }],
        }),
        {
          lookup: loopbackLookup(dns.port),
        },
      );
      expect(r.status).toBe('pass');
      expect(r.timings.dns).toBeGreaterThan(0);
      expect(r.details!.remoteAddress).toBe('127.0.0.1');
    });

    it('DNS when the lookup does not finish within the timeout', async () => {
      const silent = await startDnsServer({ records: [], silent: true });
      try {
        const t = Date.now();
        const r = await run(check({ url: 'http://slow.test/', timeout: '1s' }), {
          lookup: loopbackLookup(silent.port, { timeoutMs: 5_000 }),
        });
        expect(Date.now() - t).toBeLessThan(3_000);
        expect(r.error).toEqual({ code: 'DNS', message: 'name lookup of slow.test did not finish within 1000ms' });
      } finally {
        await silent.close();
      }
    });
  });

  it('TIMEOUT when the TLS handshake never finishes (the port answered: not CONNECT_TIMEOUT)', async () => {
    const srv = await startTcpServer(() => {
      /* accepts, never speaks TLS */
    });
    servers.push(srv);
    const t = Date.now();
    const r = await run(check({ url: `https://127.0.0.1:${srv.port}/`, timeout: '1s' }));
    expect(Date.now() - t).toBeLessThan(3_000);
    const message = `TLS handshake with 127.0.0.1:${srv.port} did not finish within 1000ms`;
    expect(r.error).toEqual({ code: 'TIMEOUT', message });
  });

  it('TLS when the server does not speak TLS', async () => {
    const srv = await serve((_req, res) => res.end('plain'));
    const r = await run(check({ url: `https://127.0.0.1:${srv.port}/`, timeout: '2s' }));
    expect(r.error?.code).toBe('TLS');
    expect(r.error?.message).toMatch(new RegExp(`^TLS handshake with 127\\.0\\.0\\.1:${srv.port} failed: `));
  });
});

describe('http probe: misbehaving responses', () => {
  it('TIMEOUT when the server hangs before sending headers, within the timeout', async () => {
    const srv = await serve(() => {
      /* never answers */
    });
    const t = Date.now();
    const r = await run(check({ url: srv.url('/slow'), timeout: '1s' }));
    expect(Date.now() - t).toBeLessThan(3_000);
    expect(r.error).toEqual({ code: 'TIMEOUT', message: `no response headers within 1000ms from ${srv.url('/slow')}` });
    expect(r.timings.connect).toBeGreaterThanOrEqual(0);
    expect(r.timings.ttfb).toBeUndefined();
  });

  it('TIMEOUT when the body drips slower than the timeout, with the bytes so far', async () => {
    let timer: NodeJS.Timeout | undefined;
    const srv = await serve((req, res) => {
      res.writeHead(200, { 'content-length': '100000' });
      res.write('start');
      timer = setInterval(() => res.write('.'), 50);
      req.socket.on('close', () => clearInterval(timer));
    });
    const t = Date.now();
    const r = await run(check({ url: srv.url('/drip'), timeout: '1s' }));
    clearInterval(timer);
    expect(Date.now() - t).toBeLessThan(3_000);
    expect(r.error?.code).toBe('TIMEOUT');
    expect(r.error?.message).toMatch(
      new RegExp(
        `^body still arriving after 1000ms \\(\\d+ bytes so far\\) from ${srv.url('/drip').replace(/[.?]/g, '\\$&')}$`,
      ),
    );
    expect(r.details!.bodyBytes).toBeGreaterThanOrEqual(5);
    expect(r.details!.statusCode).toBe(200);
  });

  it('RESET when the connection is reset mid-body', async () => {
    const srv = await serve((req, res) => {
      res.writeHead(200, { 'content-length': '100000' });
      res.write('partial body', () => setTimeout(() => req.socket.resetAndDestroy(), 20));
    });
    const r = await run(check({ url: srv.url('/reset') }));
    expect(r.error?.code).toBe('RESET');
    expect(r.error?.message).toBe(
      `the connection was reset by the server while the body of ${srv.url('/reset')} was arriving (12 bytes so far)`,
    );
  });

  it('RESET when the server closes the socket before the body is complete', async () => {
    const srv = await serve((req, res) => {
      res.writeHead(200, { 'content-length': '100000' });
      res.write('partial', () => setTimeout(() => req.socket.destroy(), 20));
    });
    const r = await run(check({ url: srv.url('/cut') }));
    expect(r.error).toEqual({
      code: 'RESET',
      message: `the server closed the connection while the body of ${srv.url('/cut')} was arriving (7 bytes so far)`,
    });
  });

  it('RESET when the server closes without any response', async () => {
    const srv = await startTcpServer((socket) => socket.once('data', () => socket.end()));
    servers.push(srv);
    const r = await run(check({ url: srv.url('/') }));
    expect(r.error).toEqual({
      code: 'RESET',
      message: `the server closed the connection before sending response headers for ${srv.url('/')}`,
    });
  });

  it('PROTOCOL when the answer is not HTTP', async () => {
    const srv = await startTcpServer((socket) => socket.once('data', () => socket.end('SSH-2.0-OpenSSH_9.2\r\n')));
    servers.push(srv);
    const r = await run(check({ url: srv.url('/') }));
    expect(r.error?.code).toBe('PROTOCOL');
    expect(r.error?.message).toMatch(/^invalid HTTP response from http:\/\/127\.0\.0\.1:\d+\/: /);
  });

  /** Streams `total` bytes, recording how far it got and whether the client hung up first. */
  function bigBody(total: number) {
    const seen = { written: 0, closedEarly: false };
    const handler: Handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = () => {
        while (seen.written < total && !res.destroyed) {
          seen.written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        if (!res.destroyed) res.end();
      };
      res.on('close', () => {
        if (!res.writableFinished) seen.closedEarly = true;
      });
      pump();
    };
    return { seen, handler };
  }

  it('BODY_TOO_LARGE beyond the default 1 MiB: stops reading and closes the connection', async () => {
    const big = bigBody(64 * 1024 * 1024);
    const srv = await serve(big.handler);
    const r = await run(check({ url: srv.url('/huge') }));
    expect(r.error).toEqual({
      code: 'BODY_TOO_LARGE',
      message: `body larger than 1048576 bytes (1 MiB), stopped reading from ${srv.url('/huge')}`,
    });
    await expect.poll(() => big.seen.closedEarly).toBe(true);
    expect(big.seen.written).toBeLessThan(64 * 1024 * 1024);
    expect(r.details!.bodyBytes).toBeGreaterThan(1024 * 1024);
  });

  it('BODY_TOO_LARGE with a smaller maxBodyBytes; a body of exactly the limit passes', async () => {
    const big = bigBody(64 * 1024 * 1024); // far more than loopback socket buffers hold
    const srv = await serve((req, res) => (req.url === '/exact' ? res.end('x'.repeat(1000)) : big.handler(req, res)));
    const r = await run(check({ url: srv.url('/big'), maxBodyBytes: 1000 }));
    expect(r.error).toEqual({
      code: 'BODY_TOO_LARGE',
      message: `body larger than 1000 bytes, stopped reading from ${srv.url('/big')}`,
    });
    await expect.poll(() => big.seen.closedEarly).toBe(true);
    const ok = await run(
      check({
        url: srv.url('/exact'),
        maxBodyBytes: 1000,
        assertions: [{ source: 'text', comparison: 'contains', target: 'xxx' }],
      }),
    );
    expect(ok.status).toBe('pass');
    expect(ok.details!.bodyBytes).toBe(1000);
  });
});

describe('http probe: redirects', () => {
  it('follows a redirect to a 200 and lists the hops', async () => {
    const srv = await serve((req, res) => {
      if (req.url === '/old') res.writeHead(301, { location: '/middle' }).end('moved');
      else if (req.url === '/middle') res.writeHead(302, { location: `${srv.origin}/new?x=1` }).end();
      else res.end(`at ${req.url}`);
    });
    const r = await run(
      check({ url: srv.url('/old'), assertions: [{ source: 'text', comparison: 'equals', target: 'at /new?x=1' }] }),
    );
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('pass');
    expect(r.details).toMatchObject({
      statusCode: 200,
      finalUrl: srv.url('/new?x=…'),
      redirects: [srv.url('/middle'), srv.url('/new?x=…')],
    });
    expect(srv.connections).toBe(3); // a fresh connection per hop
    expect(r.timings.total).toBeGreaterThanOrEqual(r.timings.ttfb! + r.timings.connect!);
  });

  it('turns POST into GET without a body on 303 and on 301/302; keeps both on 307', async () => {
    const seen: string[] = [];
    const srv = await serve(async (req, res) => {
      const body = await readBody(req);
      seen.push(`${req.method} ${req.url} ${body} ${req.headers['content-type'] ?? '-'}`);
      if (req.url === '/303') res.writeHead(303, { location: '/done' }).end();
      else if (req.url === '/302') res.writeHead(302, { location: '/done' }).end();
      else if (req.url === '/307') res.writeHead(307, { location: '/done' }).end();
      else res.end('done');
    });
    for (const from of ['/303', '/302', '/307']) {
      const r = await run(check({ url: srv.url(from), method: 'POST', body: { a: 1 } }));
      expect(r.status).toBe('pass');
    }
    expect(seen).toEqual([
      'POST /303 {"a":1} application/json',
      'GET /done  -',
      'POST /302 {"a":1} application/json',
      'GET /done  -',
      'POST /307 {"a":1} application/json',
      'POST /done {"a":1} application/json',
    ]);
  });

  it('returns the 3xx itself when followRedirects is false', async () => {
    const srv = await serve((_req, res) => res.writeHead(302, { location: '/elsewhere' }).end());
    const r = await run(
      check({
        url: srv.url('/'),
        followRedirects: false,
        assertions: [
          { source: 'status', comparison: 'equals', target: 302 },
          { source: 'header', property: 'location', comparison: 'equals', target: '/elsewhere' },
        ],
      }),
    );
    expect(r.status).toBe('pass');
    expect(r.details).toMatchObject({ statusCode: 302, redirects: [] });
  });

  it('drops credentials on a redirect to another origin, keeps them on the same origin', async () => {
    const seen: Array<[string, string | undefined, string | undefined]> = [];
    const other = await serve((req, res) => {
      seen.push(['other', req.headers.authorization, req.headers['x-trace'] as string | undefined]);
      res.end('other');
    });
    const first = await serve((req, res) => {
      seen.push([req.url!, req.headers.authorization, req.headers['x-trace'] as string | undefined]);
      if (req.url === '/start') res.writeHead(302, { location: '/same' }).end();
      else res.writeHead(302, { location: other.url('/x') }).end();
    });
    const r = await run(check({ url: first.url('/start'), headers: { authorization: 'Bearer abc', 'x-trace': 't1' } }));
    expect(r.status).toBe('pass');
    expect(seen).toEqual([
      ['/start', 'Bearer abc', 't1'],
      ['/same', 'Bearer abc', 't1'],
      ['other', undefined, 't1'],
    ]);
  });

  it('REDIRECT_LOOP when a URL comes back', async () => {
    const srv = await serve((req, res) => res.writeHead(302, { location: req.url === '/a' ? '/b' : '/a' }).end());
    const r = await run(check({ url: srv.url('/a') }));
    expect(r.error).toEqual({
      code: 'REDIRECT_LOOP',
      message: `redirect loop: ${srv.url('/a')} → ${srv.url('/b')} → ${srv.url('/a')}`,
    });
  });

  it('TOO_MANY_REDIRECTS beyond maxRedirects', async () => {
    const srv = await serve((req, res) =>
      res.writeHead(301, { location: `/hop/${Number(req.url!.split('/')[2] ?? 0) + 1}` }).end(),
    );
    const r = await run(check({ url: srv.url('/hop/0'), maxRedirects: 3 }));
    expect(r.error).toEqual({
      code: 'TOO_MANY_REDIRECTS',
      message: `more than 3 redirects starting at ${srv.url('/hop/0')} (next: ${srv.url('/hop/4')})`,
    });
    expect(r.details!.redirects).toEqual([srv.url('/hop/1'), srv.url('/hop/2'), srv.url('/hop/3')]);
  });
});

describe('http probe: TLS', () => {
  let certs: TestCerts;
  beforeAll(() => {
    certs = makeTestCerts();
  });
  afterAll(() => certs.cleanup());

  async function tlsServer(cert: TestCerts['leaf']): Promise<TestServer> {
    const s = await startHttpsServer(cert, (_req, res) => res.end('secure'));
    servers.push(s);
    return s;
  }

  it('accepts a certificate signed by the CA in tls.ca, with TLS timings and certificate details', async () => {
    const srv = await tlsServer(certs.leaf);
    const r = await run(
      check({
        url: srv.url('/'),
        tls: { ca: certs.caFile },
        assertions: [{ source: 'text', comparison: 'equals', target: 'secure' }],
      }),
    );
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('pass');
    expect(r.timings.tls).toBeGreaterThan(0);
    for (const p of PHASES) expect(r.timings[p], p).toBeGreaterThanOrEqual(0);
    expect(r.timings.total).toBeGreaterThanOrEqual(r.timings.ttfb!);
    const tls = r.details!.tls as Record<string, unknown>;
    expect(tls).toMatchObject({ subject: 'localhost', issuer: 'Watchpost Test CA' });
    expect(tls.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(typeof tls.cipher).toBe('string');
    expect(tls.daysToExpiry).toBeGreaterThanOrEqual(88);
    expect(Date.parse(tls.validTo as string)).toBeGreaterThan(Date.now());
  });

  it('accepts the CA-signed certificate by name (SNI) with the lookup on loopback', async () => {
    const dns = await startDnsServer({ records: [{ name: 'localhost', type: 'A', data: '127.0.0.1' }] });
    try {
      const srv = await tlsServer(certs.leaf);
      const r = await run(check({ url: `https://localhost:${srv.port}/`, tls: { ca: certs.caFile } }), {
        lookup: loopbackLookup(dns.port),
      });
      expect(r.error).toBeUndefined();
      expect(r.status).toBe('pass');
    } finally {
      await dns.close();
    }
  });

  it('TLS for an expired certificate, with the date', async () => {
    const srv = await tlsServer(certs.expired);
    const r = await run(check({ url: srv.url('/'), tls: { ca: certs.caFile } }));
    const date = `${certs.expiredOn.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
    expect(r.error).toEqual({ code: 'TLS', message: `certificate of 127.0.0.1 expired on ${date}, 10 days ago` });
    expect((r.details!.tls as Record<string, unknown>).daysToExpiry).toBeLessThan(0);
  });

  it('TLS for a self-signed certificate', async () => {
    const srv = await tlsServer(certs.selfSigned);
    const r = await run(check({ url: srv.url('/') }));
    expect(r.error).toEqual({
      code: 'TLS',
      message:
        'certificate of 127.0.0.1 is self-signed (CN=localhost) and not trusted — set tls.ca to its PEM file to ' +
        'trust it',
    });
  });

  it('TLS for a certificate from an issuer that is not trusted', async () => {
    const srv = await tlsServer(certs.leaf);
    const r = await run(check({ url: srv.url('/') }));
    expect(r.error?.code).toBe('TLS');
    expect(r.error?.message).toMatch(/^certificate of 127\.0\.0\.1 is signed by an issuer that is not trusted /);
    expect(r.error?.message).toContain('not trusted (CN=Watchpost Test CA)');
  });

  it('TLS for a certificate made out to another host', async () => {
    const srv = await tlsServer(certs.wrongHost);
    const r = await run(check({ url: srv.url('/'), tls: { ca: certs.caFile } }));
    expect(r.error).toEqual({ code: 'TLS', message: 'certificate is for wrong.example.test not 127.0.0.1' });
  });

  it('accepts any certificate with insecure: true', async () => {
    for (const cert of [certs.selfSigned, certs.expired, certs.wrongHost]) {
      const srv = await tlsServer(cert);
      const r = await run(
        check({
          url: srv.url('/'),
          tls: { insecure: true },
          assertions: [{ source: 'text', comparison: 'equals', target: 'secure' }],
        }),
      );
      expect(r.error).toBeUndefined();
      expect(r.status).toBe('pass');
    }
  });

  it('TLS when the tls.ca file cannot be read', async () => {
    const srv = await tlsServer(certs.leaf);
    const r = await run(check({ url: srv.url('/'), tls: { ca: '/nonexistent/ca.pem' } }));
    expect(r.error).toEqual({ code: 'TLS', message: 'cannot read CA file "/nonexistent/ca.pem": no such file' });
  });
});

describe('http probe: assertions, status and retries', () => {
  it('INVALID_JSON for a json assertion on a body that is not JSON', async () => {
    const srv = await serve((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>'),
    );
    const r = await run(
      check({
        url: srv.url('/'),
        assertions: [{ source: 'json', property: '$.ok', comparison: 'equals', target: true }],
      }),
    );
    expect(r.status).toBe('fail');
    expect(r.error?.code).toBe('INVALID_JSON');
    expect(r.error?.message).toBe(
      `response body is not valid JSON: Unexpected token '<' (24 bytes, text/html from ${srv.url('/')})`,
    );
    expect(r.assertions).toEqual([
      { source: 'json', property: '$.ok', comparison: 'equals', target: true, pass: false },
    ]);
  });

  it('ASSERTION with a readable message when an assertion fails', async () => {
    const srv = await serve((_req, res) => res.writeHead(503).end('{"items":[]}'));
    const r = await run(
      check({
        url: srv.url('/'),
        assertions: [
          { source: 'status', comparison: 'equals', target: 200 },
          { source: 'json', property: '$.items.length', comparison: 'greaterThan', target: 0 },
        ],
      }),
    );
    expect(r.status).toBe('fail');
    expect(r.error).toEqual({
      code: 'ASSERTION',
      message: 'assertion failed: status equals 200, got 503 (and 1 more)',
    });
    expect(r.assertions.map((a) => [a.actual, a.pass])).toEqual([
      [503, false],
      [0, false],
    ]);
  });

  it('degraded when slower than degradedAfter', async () => {
    const srv = await serve((_req, res) => void setTimeout(() => res.end('late'), 300));
    const r = await run(check({ url: srv.url('/'), degradedAfter: '100ms', timeout: '5s' }));
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('degraded');
    expect(r.timings.total).toBeGreaterThan(100);
  });

  it('passes on the third attempt with retries: 2 after two failures', async () => {
    let calls = 0;
    const srv = await serve((_req, res) => {
      calls++;
      res.writeHead(calls <= 2 ? 502 : 200).end(calls <= 2 ? 'bad gateway' : 'ok');
    });
    const r = await run(
      check({ url: srv.url('/'), retries: 2, assertions: [{ source: 'status', comparison: 'equals', target: 200 }] }),
    );
    expect(r.status).toBe('pass');
    expect(r.attempts).toBe(3);
    expect(calls).toBe(3);
  });

  it('fails after its retries when the target keeps failing', async () => {
    const port = await closedPort();
    const r = await run(check({ url: `http://127.0.0.1:${port}/`, retries: 1 }));
    expect(r.status).toBe('fail');
    expect(r.attempts).toBe(2);
    expect(r.error?.code).toBe('CONNECT_REFUSED');
  });
});

describe('http probe: secrets', () => {
  const SECRET = 'tok-9f8e7d6c5b4a-very-secret';
  beforeAll(() => {
    process.env.WATCHPOST_SECRET_API_TOKEN = SECRET;
  });
  afterAll(() => {
    delete process.env.WATCHPOST_SECRET_API_TOKEN;
  });

  it('sends the secret header; its value appears nowhere in the result, even when echoed back', async () => {
    const received: string[] = [];
    const srv = await serve((req, res) => {
      const token = String(req.headers.authorization);
      received.push(token);
      if (req.url!.startsWith('/loop'))
        return void res.writeHead(302, { location: `/loop?t=${token}&n=${received.length}` }).end();
      res.setHeader('x-echo', token);
      res.setHeader('content-type', 'application/json');
      res.end(req.url === '/json' ? JSON.stringify({ token, note: `you sent ${token}` }) : `${token} is what you sent`);
    });
    const auth = { authorization: { secret: 'api-token' } };
    const results = [
      // echoed into the body and a header, both shown as `actual` in failed assertions
      await run(
        check({
          url: srv.url('/json'),
          headers: auth,
          assertions: [
            { source: 'json', property: '$.token', comparison: 'equals', target: 'something else' },
            { source: 'header', property: 'x-echo', comparison: 'equals', target: 'nope' },
            { source: 'text', comparison: 'notContains', target: 'tok-' },
          ],
        }),
      ),
      // a body that starts with the token is not JSON: V8's parse error quotes the first ten
      // characters, a prefix redaction cannot catch, so the probe must not quote it
      await run(
        check({
          url: srv.url('/text'),
          headers: auth,
          assertions: [{ source: 'json', property: '$.x', comparison: 'exists' }],
        }),
      ),
      // echoed into redirect URLs, which end up in details and in the error
      await run(check({ url: srv.url('/loop'), headers: auth, maxRedirects: 2 })),
    ];
    expect(received.length).toBeGreaterThanOrEqual(5);
    for (const t of received) expect(t).toBe(SECRET);
    expect(results.map((r) => r.error?.code)).toEqual(['ASSERTION', 'INVALID_JSON', 'TOO_MANY_REDIRECTS']);
    for (const r of results) expect(JSON.stringify(r)).not.toContain(SECRET.slice(0, 6));
    expect(JSON.stringify(results[0])).toContain('***');
    // echoed into a redirect's query: the value is kept out of the URLs shown
    expect(results[2]!.details!.redirects).toEqual([srv.url('/loop?t=…&n=…'), srv.url('/loop?t=…&n=…')]);
  });
});
