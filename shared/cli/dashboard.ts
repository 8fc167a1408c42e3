/** The local dashboard: every check's latest state, served on loopback by `watchpost dev`. */
import { readFile } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ValidatedConfig } from '../config/types';
import { probeKind } from '../probes/registry';
import { answerAck, openPages, readForm, type DashboardOnCall, type PageView } from './dashboard-oncall';
import { redact, redactText } from '../redact';
import { STATUS_CSP } from '../status/site/lambda-env';
import type { LiveSite } from '../status/site/live';
import type { ResultStore } from '../store/types';
import { codeWord, type CheckResult } from '../types';

/** The page's files (shared/cli/dashboard/, beside this module) and the type each is served with. */
const PAGE_FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
};

/** Reads the page's files once, at start (a missing file fails `dev` at once), keyed by the path served. */
async function loadPage(): Promise<Map<string, { body: Buffer; type: string }>> {
  const dir = new URL('./dashboard/', import.meta.url);
  const page = new Map<string, { body: Buffer; type: string }>();
  for (const [file, type] of Object.entries(PAGE_FILES))
    page.set(`/${file}`, { body: await readFile(new URL(file, dir)), type });
  page.set('/', page.get('/index.html')!);
  return page;
}

/** A degraded result's reason as the dashboard shows it; results stored before reasons were slow. */
function degradedView(r: CheckResult): { code: string; word: string; message: string } {
  const d = r.degraded ?? { code: 'SLOW', message: `took ${r.durationMs} ms` };
  return { code: d.code, word: d.code === 'SLOW' ? 'SLOW' : codeWord(d.code), message: d.message };
}

/** /status/<file> from the live status site, with the headers CloudFront would send (but no caching). */
async function serveStatus(path: string, res: ServerResponse, status?: LiveSite): Promise<void> {
  if (!status) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('no status page: add statusPage to the config (docs/status-page.md), then restart watchpost dev\n');
    return;
  }
  // Relative asset links need the trailing slash.
  if (path === '/status') {
    res.writeHead(308, { location: '/status/' });
    res.end();
    return;
  }
  const file = (await status.files()).get(path.slice('/status/'.length) || 'index.html');
  if (!file) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('not found\n');
    return;
  }
  res.writeHead(200, {
    'content-type': file.contentType,
    'cache-control': 'no-cache',
    'content-security-policy': STATUS_CSP,
    'x-content-type-options': 'nosniff',
  });
  res.end(file.body);
}

export interface Dashboard {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves the page and `/api/state` (every check's latest state and recent runs, redacted) on loopback. */
export async function startDashboard(opts: {
  port: number;
  host?: string;
  config: ValidatedConfig;
  store: ResultStore;
  /** The status page served at /status (config `statusPage`). @default none: /status says how to add one */
  status?: LiveSite;
  /** On-call (watchpost dev): open pages per check, the ack button (POST api/ack) and ack links (/ack/…). */
  oncall?: Partial<DashboardOnCall> & { key: string };
}): Promise<Dashboard> {
  const host = opts.host ?? '127.0.0.1';
  const page = await loadPage();
  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
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
      if (path === '/api/state') {
        const ids = opts.config.checks.map((ch) => ch.id);
        const [latest, recent, open] = await Promise.all([
          opts.store.latest(ids),
          Promise.all(ids.map((id) => opts.store.history(id, { limit: 30 }))),
          oncall ? openPages(oncall) : ({} as Record<string, PageView>),
        ]);
        const checks = opts.config.checks.map((ch, i) => {
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
        res.writeHead(200, { 'content-type': 'application/json' });
        // The sink redacts: stored results from before a secret was known, targets, errors.
        return res.end(JSON.stringify(redact({ checks })));
      }
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
