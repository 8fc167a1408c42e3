/**
 * The local dashboard, served on loopback by `watchpost dev`: an overview of every check's latest
 * state and a page per check (`#/check/<id>`: response time per phase, uptime, state changes, the
 * kind's figures, the last failure). Everything it needs is served from here: no third-party host.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ValidatedConfig } from '../config/types';
import { probeKind } from '../probes/registry';
import { addSecret, redact, redactText } from '../redact';
import { envSecrets, secretNames, type SecretResolver } from '../secrets';
import type { LiveSite } from '../status/site/live';
import type { ResultStore } from '../store/types';
import { answerAck, openPages, readForm, type DashboardOnCall, type PageView } from './dashboard-oncall';
import { serveStatus } from './dashboard-status';
import { codeWord, type CheckResult } from '../types';
import { checkView, type DashboardTable, RANGES } from './dashboard/check-view';
import { closest } from '../config/schema';

/** The page's files (shared/cli/dashboard/, beside this module) and the type each is served with. */
const PAGE_FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'overview.js': 'text/javascript; charset=utf-8',
  'check.js': 'text/javascript; charset=utf-8',
  'chart.js': 'text/javascript; charset=utf-8',
  'view.js': 'text/javascript; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

/** uPlot, served from the installed package (a dependency), never from a CDN. */
const VENDOR_FILES: Record<string, [string, string]> = {
  '/vendor/uPlot.iife.min.js': ['uplot/dist/uPlot.iife.min.js', 'text/javascript; charset=utf-8'],
  '/vendor/uPlot.min.css': ['uplot/dist/uPlot.min.css', 'text/css; charset=utf-8'],
};

/** Reads the page's files once, at start (a missing file fails `dev` at once), keyed by the path served. */
async function loadPage(): Promise<Map<string, { body: Buffer; type: string }>> {
  const dir = new URL('./dashboard/', import.meta.url);
  const page = new Map<string, { body: Buffer; type: string }>();
  for (const [file, type] of Object.entries(PAGE_FILES))
    page.set(`/${file}`, { body: await readFile(new URL(file, dir)), type });
  page.set('/', page.get('/index.html')!);
  const require = createRequire(import.meta.url);
  for (const [path, [module, type]] of Object.entries(VENDOR_FILES))
    page.set(path, { body: await readFile(require.resolve(module)), type });
  return page;
}

/** A degraded result's reason as the dashboard shows it; results stored before reasons were slow. */
function degradedView(r: CheckResult): { code: string; word: string; message: string } {
  const d = r.degraded ?? { code: 'SLOW', message: `took ${r.durationMs} ms` };
  return { code: d.code, word: d.code === 'SLOW' ? 'SLOW' : codeWord(d.code), message: d.message };
}

export interface Dashboard {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Marks every secret the config references as known; one that cannot be resolved cannot have leaked here. */
async function knowSecrets(config: ValidatedConfig, resolve: SecretResolver): Promise<void> {
  const names = new Set(config.checks.flatMap((ch) => [...secretNames(ch)]));
  await Promise.all([...names].map((n) => resolve(n).then(addSecret, () => undefined)));
}

/** Sends a JSON payload through the redaction step (stored results from before a secret was known, targets, errors). */
function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(redact(body)));
}

/** Every check's latest state and its last 30 runs: the overview. */
async function statePayload(config: ValidatedConfig, store: ResultStore, oncall?: DashboardOnCall) {
  const ids = config.checks.map((ch) => ch.id);
  const [latest, recent, open] = await Promise.all([
    store.latest(ids),
    Promise.all(ids.map((id) => store.history(id, { limit: 30 }))),
    oncall ? openPages(oncall) : ({} as Record<string, PageView>),
  ]);
  const checks = config.checks.map((ch, i) => {
    const s = latest.find((l) => l.checkId === ch.id);
    return {
      id: ch.id,
      name: ch.name,
      kind: ch.kind,
      enabled: ch.enabled,
      target: probeKind(ch.kind).target(ch),
      status: s?.status,
      since: s?.since,
      consecutiveFailures: s?.consecutiveFailures ?? 0,
      durationMs: s?.lastResult.durationMs,
      error: s?.lastResult.error,
      // Why it is degraded, with the word pages use (CERT-EXPIRING), so the page never says "slow" for it.
      ...(s?.status === 'degraded' ? { degraded: degradedView(s.lastResult) } : {}),
      // The open page (on-call), with its acknowledgement.
      ...(open[ch.id] ? { page: open[ch.id] } : {}),
      // Oldest first, for a strip that reads left to right.
      recent: recent[i]!.map((r) => ({
        status: r.status,
        scheduledAt: r.scheduledAt,
        durationMs: r.durationMs,
        error: r.error?.code,
        degraded: r.degraded?.code,
      })).reverse(),
    };
  });
  return { checks };
}

/** `/api/check/<id>?range=24h`: the per-check page's payload, or a 4xx naming what is wrong. */
async function checkPayload(
  url: URL,
  opts: { config: ValidatedConfig; store: ResultStore; table?: DashboardTable },
): Promise<[number, unknown]> {
  const id = decodeURIComponent(url.pathname.slice('/api/check/'.length));
  const check = opts.config.checks.find((ch) => ch.id === id);
  const ids = opts.config.checks.map((ch) => ch.id);
  if (!check) {
    const near = closest(id, ids);
    return [
      404,
      { error: `no check "${id}" in the config`, hint: near ? `did you mean "${near}"?` : `checks: ${ids.join(', ')}` },
    ];
  }
  const range = url.searchParams.get('range') ?? '24h';
  if (!(range in RANGES))
    return [400, { error: `range must be one of ${Object.keys(RANGES).join(', ')}, got "${range}"` }];
  return [200, await checkView({ ...opts, check, rangeMs: RANGES[range]! })];
}

/**
 * Serves the page, uPlot, `/api/state` (every check's latest state and recent runs) and
 * `/api/check/<id>` (one check's page) on loopback; every payload is redacted.
 */
export async function startDashboard(opts: {
  port: number;
  host?: string;
  config: ValidatedConfig;
  store: ResultStore;
  /** The results table, for uptime from daily rollups and incidents. @default none: uptime is shown as unavailable */
  table?: DashboardTable;
  /** Resolves the config's secrets, so runs stored before this process knew them are scrubbed too. @default env */
  secrets?: SecretResolver;
  /** The status page served at /status (config `statusPage`). @default none: /status says how to add one */
  status?: LiveSite;
  /** On-call (watchpost dev): open pages per check, the ack button (POST api/ack) and ack links (/ack/…). */
  oncall?: Partial<DashboardOnCall> & { key: string };
}): Promise<Dashboard> {
  const host = opts.host ?? '127.0.0.1';
  const page = await loadPage();
  await knowSecrets(opts.config, opts.secrets ?? envSecrets);
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const path = url.pathname;
    try {
      const asset = page.get(path);
      if (asset) {
        res.writeHead(200, { 'content-type': asset.type });
        return res.end(asset.body);
      }
      if (path === '/status' || path.startsWith('/status/')) return await serveStatus(path, res, opts.status);
      const oncall = opts.oncall?.deps ? (opts.oncall as DashboardOnCall) : undefined;
      if (oncall && (path === '/api/ack' || path.startsWith('/ack/'))) {
        const r = await answerAck(oncall, req.method ?? 'GET', path, await readForm(req));
        res.writeHead(r.status, r.headers);
        return res.end(r.body);
      }
      if (path === '/api/state') return sendJson(res, 200, await statePayload(opts.config, opts.store, oncall));
      if (path.startsWith('/api/check/')) {
        const [status, body] = await checkPayload(url, opts);
        return sendJson(res, status, body);
      }
      if (path.startsWith('/api/')) return sendJson(res, 404, { error: `no API ${path}` });
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(redactText(`error: ${(e as Error).message}`));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${host}:${port}/`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
