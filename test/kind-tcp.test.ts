/**
 * The `tcp` kind against real servers on loopback (port 0): an SMTP-like banner, a Redis-like
 * PING/PONG, TLS, and every way a target can misbehave.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig, parseConfig } from '../shared/config/validate';
import { runCheck } from '../shared/runner/run-check';
import type { SecretResolver } from '../shared/secrets';
import { loopbackLookup, startDnsServer } from './helpers/dns-server';
import { makeCa, makeCert, type Pem } from './helpers/tls-certs';
import { listenSockets } from './helpers/socket-server';

const base = { project: 'test', homeRegion: 'eu-central-1', regions: ['eu-central-1'] };
const noSecrets: SecretResolver = async (name) => {
  throw new Error(`no secret ${name}`);
};

function tcpCheck(fields: Record<string, unknown>) {
  return parseConfig({ ...base, checks: [{ id: 'probe', kind: 'tcp', host: '127.0.0.1', timeout: '3s', ...fields }] })
    .checks[0]!;
}
const run = (fields: Record<string, unknown>, secrets: SecretResolver = noSecrets) =>
  runCheck(tcpCheck(fields), { region: 'eu-central-1', secrets });

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

type Handler = (socket: net.Socket) => void;
async function serve(handler: Handler, server: net.Server = net.createServer()): Promise<number> {
  const s = await listenSockets(server, handler);
  cleanups.push(s.close);
  return s.port;
}

/** Redis-ish: answers PING with +PONG, AUTH with an error that echoes the password. */
const redisLike: Handler = (socket) => {
  let buf = '';
  socket.on('data', (d) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\r\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (line === 'PING') socket.write('+PONG\r\n');
      else if (line.startsWith('AUTH ')) socket.write(`-ERR invalid password '${line.slice(5)}'\r\n`);
      else socket.write(`-ERR unknown command '${line}'\r\n`);
    }
  });
};

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('tcp kind: a healthy target', () => {
  it('reads an SMTP banner and matches expect', async () => {
    const port = await serve((s) => s.write('220 mail.shop.test ESMTP ready\r\n'));
    const r = await run({
      port,
      expect: '^220 ',
      assertions: [{ source: 'response', comparison: 'contains', target: 'ESMTP' }],
    });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('pass');
    expect(r.kind).toBe('tcp');
    expect(Object.keys(r.timings).sort()).toEqual(['connect', 'response', 'total']);
    expect(r.assertions).toEqual([
      expect.objectContaining({ source: 'response', pass: true, actual: '220 mail.shop.test ESMTP ready\r\n' }),
    ]);
    expect(r.details).toMatchObject({ host: '127.0.0.1', port, response: '220 mail.shop.test ESMTP ready\r\n' });
  });

  it('waits across chunks and lines until expect matches (multi-line SMTP greeting)', async () => {
    const port = await serve((s) => {
      s.write('220-mail.shop.test welcome\r\n');
      setTimeout(() => s.write('220-more text\r\n'), 20);
      setTimeout(() => s.write('220 ready\r\n'), 40);
    });
    const r = await run({ port, expect: '^220 ' });
    expect(r.status).toBe('pass');
    expect(r.details!.response).toContain('220 ready');
  });

  it('sends a line and expects the reply (Redis PING → PONG)', async () => {
    const port = await serve(redisLike);
    const r = await run({
      port,
      send: 'PING',
      expect: '^\\+PONG',
      assertions: [{ source: 'latency', comparison: 'lessThan', target: 3000 }],
    });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('pass');
    expect(r.assertions[0]).toMatchObject({ source: 'latency', pass: true });
    expect(r.details!.response).toBe('+PONG\r\n');
  });

  it('without expect, one line is the reply and assertions judge it', async () => {
    const port = await serve(redisLike);
    const ok = await run({
      port,
      send: 'PING',
      assertions: [{ source: 'response', comparison: 'matches', target: '^\\+PONG' }],
    });
    expect(ok.status).toBe('pass');
    const bad = await run({
      port,
      send: 'FLUSHALL',
      assertions: [{ source: 'response', comparison: 'matches', target: '^\\+PONG' }],
    });
    expect(bad.status).toBe('fail');
    expect(bad.error).toMatchObject({ code: 'ASSERTION' });
    expect(bad.error!.message).toContain('response matches');
  });

  it('a bare connect passes and times only the connection', async () => {
    const port = await serve(() => {});
    const r = await run({ port });
    expect(r.status).toBe('pass');
    expect(Object.keys(r.timings).sort()).toEqual(['connect', 'total']);
  });

  it('resolves a host name (through a DNS server on loopback) and reports the dns phase', async () => {
    const port = await serve((s) => s.write('220 hi\r\n'));
    const dns = await startDnsServer({ records: [{ name: 'mail.shop.test', type: 'A', data: '127.0.0.1' }] });
    cleanups.push(() => dns.close());
    const r = await runCheck(tcpCheck({ host: 'mail.shop.test', port, expect: '^220' }), {
      region: 'eu-central-1',
      secrets: noSecrets,
      lookup: loopbackLookup(dns.port),
    });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('pass');
    expect(Object.keys(r.timings).sort()).toEqual(['connect', 'dns', 'response', 'total']);
    expect(dns.queries.map((q) => q.name)).toContain('mail.shop.test');
  });
});

describe('tcp kind: a misbehaving target', () => {
  it('refused: CONNECT_REFUSED', async () => {
    const r = await run({ port: await freePort() });
    expect(r.status).toBe('fail');
    expect(r.error).toMatchObject({ code: 'CONNECT_REFUSED' });
    expect(r.error!.message).toContain('127.0.0.1:');
  });

  it('an unknown host name: DNS', async () => {
    const dns = await startDnsServer({ records: [{ name: 'mail.shop.test', type: 'A', data: '127.0.0.1' }] });
    cleanups.push(() => dns.close());
    const r = await runCheck(tcpCheck({ host: 'nowhere.shop.test', port: 25 }), {
      region: 'eu-central-1',
      secrets: noSecrets,
      lookup: loopbackLookup(dns.port),
    });
    expect(r.status).toBe('fail');
    expect(r.error).toMatchObject({ code: 'DNS', message: expect.stringContaining('nowhere.shop.test') });
  });

  it('wrong reply, connection closed: ASSERTION naming what came back', async () => {
    const port = await serve((s) => s.end('554 go away\r\n'));
    const r = await run({ port, expect: '^220 ' });
    expect(r.status).toBe('fail');
    expect(r.error!.code).toBe('ASSERTION');
    expect(r.error!.message).toContain('554 go away');
  });

  it('wrong reply, connection kept open: ASSERTION at the timeout', async () => {
    const port = await serve(redisLike);
    const started = Date.now();
    const r = await run({ port, send: 'PING\r\nPING', expect: 'PANG', timeout: '1s' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(r.error!.code).toBe('ASSERTION');
    expect(r.error!.message).toContain('+PONG');
  });

  it('silent server: TIMEOUT within the timeout', async () => {
    const port = await serve(() => {});
    const started = Date.now();
    const r = await run({ port, expect: '^220', timeout: '1s' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(r.status).toBe('fail');
    expect(r.error!.code).toBe('TIMEOUT');
    expect(r.timings.connect).toBeTypeOf('number');
  });

  it('a dripping server that never completes a line: TIMEOUT', async () => {
    const port = await serve((s) => {
      const t = setInterval(() => s.write('.'), 50);
      s.on('close', () => clearInterval(t));
    });
    const started = Date.now();
    const r = await run({ port, send: 'PING', timeout: '1s' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(r.error!.code).toBe('TIMEOUT');
  });

  it('a flood is cut at 64 KiB and judged', async () => {
    const port = await serve((s) => s.write(Buffer.alloc(1024 * 1024, 'x')));
    const r = await run({ port, expect: '^220' });
    expect(r.error!.code).toBe('ASSERTION');
    expect(r.details!.bytesReceived).toBe(64 * 1024);
  });

  it('reset while waiting for the reply: RESET', async () => {
    const port = await serve((s) => s.once('data', () => s.resetAndDestroy()));
    const r = await run({ port, send: 'PING', expect: 'PONG' });
    expect(r.status).toBe('fail');
    expect(r.error!.code).toBe('RESET');
  });

  // Needs a listener that never accepts, which node cannot make: python3 does (skipped without it).
  const hasPython = spawnSync('python3', ['-c', 'pass']).status === 0;
  describe.skipIf(!hasPython)('connect timeout', () => {
    let py: ChildProcess | undefined;
    let port = 0;
    const fillers: net.Socket[] = [];
    beforeAll(async () => {
      // A listener that never accepts, with a full backlog: the kernel drops further SYNs.
      py = spawn(
        'python3',
        [
          '-c',
          "import socket,sys\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(0)\n" +
            'print(s.getsockname()[1],flush=True)\nsys.stdin.read()',
        ],
        {
          stdio: ['pipe', 'pipe', 'ignore'],
        },
      );
      port = await new Promise<number>((resolve, reject) => {
        py!.on('error', reject);
        py!.stdout!.once('data', (d) => resolve(Number(String(d).trim())));
      });
      for (let i = 0; i < 4; i++) {
        const s = net.connect(port, '127.0.0.1');
        s.on('error', () => {});
        fillers.push(s);
      }
      await new Promise((r) => setTimeout(r, 200));
    });
    afterAll(() => {
      for (const s of fillers) s.destroy();
      py?.kill();
    });

    it('a target that never completes the handshake: CONNECT_TIMEOUT', async () => {
      const started = Date.now();
      const r = await run({ port, timeout: '1s' });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(r.status).toBe('fail');
      expect(r.error!.code).toBe('CONNECT_TIMEOUT');
    });
  });
});

describe('tcp kind over TLS', () => {
  let ca: Pem;
  let leaf: Pem;
  beforeAll(() => {
    ca = makeCa();
    leaf = makeCert({ dnsNames: ['redis.shop.test'], issuer: ca });
  });
  const tlsServer = () => tls.createServer({ cert: leaf.cert, key: leaf.key });

  it('shakes hands with the given CA, then PING/PONG; reports the tls phase', async () => {
    const port = await serve(redisLike, tlsServer());
    const r = await run({ port, tls: { servername: 'redis.shop.test', ca: ca.cert }, send: 'PING', expect: 'PONG' });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('pass');
    expect(Object.keys(r.timings).sort()).toEqual(['connect', 'response', 'tls', 'total']);
    expect(r.details).toMatchObject({ tls: true, tlsProtocol: expect.stringMatching(/^TLSv1\.[23]$/) });
  });

  it('an untrusted certificate: TLS', async () => {
    const port = await serve(redisLike, tlsServer());
    const r = await run({ port, tls: { servername: 'redis.shop.test' }, send: 'PING', expect: 'PONG' });
    expect(r.error!.code).toBe('TLS');
    expect(r.error!.message).toMatch(/certificate/i);
  });

  it('a certificate for another name: TLS', async () => {
    const port = await serve(redisLike, tlsServer());
    const r = await run({ port, tls: { servername: 'cache.shop.test', ca: ca.cert }, send: 'PING', expect: 'PONG' });
    expect(r.error!.code).toBe('TLS');
    expect(r.error!.message).toContain('cache.shop.test');
  });

  it('insecure accepts any certificate', async () => {
    const port = await serve(redisLike, tlsServer());
    const r = await run({ port, tls: { insecure: true }, send: 'PING', expect: 'PONG' });
    expect(r.status).toBe('pass');
  });

  it('a plain-text server where TLS was expected: TLS', async () => {
    const port = await serve((s) => s.end('220 plain\r\n'));
    const r = await run({ port, tls: true, expect: '^220' });
    expect(r.error!.code).toBe('TLS');
  });

  it('a server that never answers the handshake: TIMEOUT within the timeout', async () => {
    const port = await serve(() => {});
    const started = Date.now();
    const r = await run({ port, tls: true, timeout: '1s' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(r.error!.code).toBe('TIMEOUT');
    expect(r.error!.message).toContain('TLS handshake');
  });
});

describe('tcp kind: secrets', () => {
  it('a secret send line never shows in the result, even when the server echoes it', async () => {
    const port = await serve(redisLike);
    const secrets: SecretResolver = async (name) =>
      name === 'redis-password' ? 's3cr3t-pa55' : Promise.reject(new Error('unknown'));
    const r = await run(
      { port, send: ['AUTH ', { secret: 'redis-password' }], expect: '^\\+OK', timeout: '1s' },
      secrets,
    );
    expect(r.error!.code).toBe('ASSERTION');
    expect(JSON.stringify(r)).not.toContain('s3cr3t-pa55');
  });
});

describe('tcp kind: config diagnostics', () => {
  const diagnose = (fields: Record<string, unknown>) => {
    const v = validateConfig({ ...base, checks: [{ id: 'probe', kind: 'tcp', ...fields }] });
    return v.ok ? [] : v.diagnostics;
  };

  it('accepts a complete check and fills defaults', () => {
    const c = tcpCheck({ port: 6379, send: 'PING', expect: 'PONG' });
    expect(c).toMatchObject({ kind: 'tcp', host: '127.0.0.1', port: 6379, tls: false });
  });

  it('rejects a port out of range, a quoted port and a missing host, with paths', () => {
    const d = diagnose({ host: undefined, port: 70000 });
    expect(d).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          path: 'checks[0] "probe".port',
          message: expect.stringContaining('from 1 to 65535'),
        }),
        expect.objectContaining({ path: 'checks[0] "probe".host', message: expect.stringContaining('required') }),
      ]),
    );
    expect(diagnose({ host: 'a', port: '25' })[0]).toMatchObject({
      path: 'checks[0] "probe".port',
      hint: 'write 25 without quotes',
    });
  });

  it('rejects a URL as host, a bad regular expression, unknown keys and bad tls options', () => {
    const d = diagnose({
      host: 'smtp://mail.shop.test:25',
      port: 25,
      expect: '(',
      tsl: true,
      tls: { servername: 'x', insecur: true },
    });
    const paths = d.map((x) => x.path);
    expect(paths).toEqual(
      expect.arrayContaining(['checks[0] "probe".host', 'checks[0] "probe".tsl', 'checks[0] "probe".tls.insecur']),
    );
    expect(d.find((x) => x.path.endsWith('.host'))!.hint).toContain('mail.shop.test');
    expect(diagnose({ host: 'a', port: 1, expect: '(' })).toEqual([
      expect.objectContaining({
        path: 'checks[0] "probe".expect',
        message: expect.stringContaining('regular expression'),
      }),
    ]);
  });

  it('rejects assertion sources the kind does not have', () => {
    const d = diagnose({ host: 'a', port: 1, assertions: [{ source: 'status', comparison: 'equals', target: 200 }] });
    expect(d[0]!.path).toBe('checks[0] "probe".assertions[0].source');
  });
});
