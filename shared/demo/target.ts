/**
 * A demo shop served on loopback so the example config shows pass, degraded and fail on a
 * fresh machine without internet: `/health` (fast), `/api/products` (JSON), `/checkout`
 * (slow), `/search` (broken: 503), and a login → cart flow (`POST /api/login`, `GET /api/cart`
 * with the token) for the multistep check, and `/shop`, a page rendered in the browser with an
 * add-to-cart button, for the browser check (`?mode=broken|slow|throws` shows its failures;
 * `/shop/hang` never answers).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const DEMO_PORT_ENV = 'WATCHPOST_DEMO_PORT';
/** Port the example config points at unless WATCHPOST_DEMO_PORT says otherwise. */
export const DEFAULT_DEMO_PORT = 4319;

const PRODUCTS = {
  items: [
    { id: 'mug', name: 'Mug', price: 12.5, stock: 31 },
    { id: 'tee', name: 'T-shirt', price: 24, stock: 12 },
    { id: 'cap', name: 'Cap', price: 18, stock: 0 },
  ],
};

/**
 * The demo's cron job: it pings the heartbeat check `nightly-export` with this token (set as
 * WATCHPOST_SECRET_DEMO_JOB_TOKEN for the demo unless already set). Not a secret: loopback only.
 */
export const DEMO_JOB = {
  checkId: 'nightly-export',
  tokenEnv: 'WATCHPOST_SECRET_DEMO_JOB_TOKEN',
  // 16+ characters: the endpoint refuses shorter tokens.
  token: 'demo-job-token-7c41e9b2',
  everyMs: 30_000,
} as const;

/** How long the demo job stays failed after someone reports a failure of it (then it recovers). */
export const DEMO_JOB_FAILED_FOR_MS = 120_000;

export interface DemoJobOptions {
  /** The check's ping state (dev reads it from the local store): a failure ping sent by hand is honoured. */
  state?: () => Promise<{ lastFailAt?: number; lastSuccessAt?: number } | undefined>;
  /** Told when the job turns failed because of a failure ping, with the time it recovers. */
  onFailed?: (until: number) => void;
}

/**
 * Plays the demo's job against the ping endpoint: a finished run right away (awaited, so the
 * first check sees it), then start and success a moment later every 30 s. When a failure ping
 * (`POST /ping/<id>/fail`, e.g. the curl dev prints) is the latest end of the job, the job stays
 * failed for {@link DEMO_JOB_FAILED_FOR_MS}: it sends nothing, so the next heartbeat run reports
 * JOB_FAILED, and then it succeeds again. Failures to ping are ignored (the check will say so).
 * Resolves to a stop function.
 */
export async function startDemoJob(pingUrl: string, opts: DemoJobOptions = {}): Promise<() => void> {
  const token = process.env[DEMO_JOB.tokenEnv] ?? DEMO_JOB.token;
  const ping = (suffix: string) =>
    fetch(`${pingUrl}/ping/${DEMO_JOB.checkId}${suffix}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    })
      .then((r) => r.body?.cancel())
      .catch(() => undefined);
  let failedUntil = 0;
  let failSeen: number | undefined;
  /** Whether the job is (now) failed: a failure ping newer than its last good one holds it for a while. */
  const failed = async () => {
    const st = await opts.state?.().catch(() => undefined);
    const fail = st?.lastFailAt;
    if (fail !== undefined && fail !== failSeen && (st!.lastSuccessAt === undefined || fail > st!.lastSuccessAt)) {
      failSeen = fail;
      failedUntil = Date.now() + DEMO_JOB_FAILED_FOR_MS;
      opts.onFailed?.(failedUntil);
    }
    return Date.now() < failedUntil;
  };
  let done: NodeJS.Timeout | undefined;
  let stopped = false;
  const run = async () => {
    if (await failed()) return;
    void ping('/start');
    done = setTimeout(async () => {
      if (!stopped && !(await failed())) void ping('');
    }, 1_500);
  };
  await ping('');
  const every = setInterval(() => void run(), DEMO_JOB.everyMs);
  return () => {
    stopped = true;
    clearInterval(every);
    clearTimeout(done);
  };
}

/** The session token the demo login hands out (not a secret: the demo shop is on loopback). */
const DEMO_TOKEN = 'demo-session-7f3a';

export interface DemoTarget {
  port: number;
  url: string;
  close(): Promise<void>;
}

let SHOP_HTML: string | undefined;

function send(res: import('node:http').ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Starts the demo shop for the example config: on WATCHPOST_DEMO_PORT (default 4319), or any
 * free port when that one is taken, and sets WATCHPOST_DEMO_PORT so the config (loaded after)
 * points at it.
 */
export async function startDemoForConfig(): Promise<DemoTarget> {
  process.env[DEMO_JOB.tokenEnv] ??= DEMO_JOB.token;
  const wanted = Number(process.env[DEMO_PORT_ENV] ?? DEFAULT_DEMO_PORT);
  let demo: DemoTarget;
  try {
    demo = await startDemoTarget(wanted);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    demo = await startDemoTarget(0);
  }
  process.env[DEMO_PORT_ENV] = String(demo.port);
  return demo;
}

/** Starts the demo target on `port` (0 = any free port). */
export async function startDemoTarget(port = 0, host = '127.0.0.1'): Promise<DemoTarget> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') return send(res, 200, { status: 'ok', version: '1.4.2' });
    if (path === '/api/products') return send(res, 200, PRODUCTS);
    if (path === '/shop') {
      SHOP_HTML ??= readFileSync(new URL('./shop.html', import.meta.url), 'utf8');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      return res.end(SHOP_HTML);
    }
    if (path === '/favicon.ico') return res.writeHead(204).end();
    if (path === '/shop/hang') return; // never answers: a browser check's timeout
    if (path === '/checkout') {
      const t = setTimeout(() => send(res, 200, { step: 'payment', ok: true }), 1_200);
      res.on('close', () => clearTimeout(t));
      return;
    }
    if (path === '/search') return send(res, 503, { error: 'search index unavailable' });
    if (path === '/api/login' && req.method === 'POST')
      return send(res, 200, { token: DEMO_TOKEN, user: { id: 'u-42' } });
    if (path === '/api/cart') {
      if (req.headers.authorization !== `Bearer ${DEMO_TOKEN}`) return send(res, 401, { error: 'log in first' });
      return send(res, 200, { user: 'u-42', items: [{ id: 'mug', qty: 2 }], total: 25 });
    }
    send(res, 404, { error: 'not found' });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    port: actual,
    url: `http://${host}:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
