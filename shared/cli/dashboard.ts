/** The local dashboard: every check's latest state, served on loopback by `watchpost dev`. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ValidatedConfig } from '../config/types';
import { probeKind } from '../probes/registry';
import { redact, redactText } from '../redact';
import type { ResultStore } from '../store/types';
import { codeWord, type CheckResult } from '../types';

const PAGE = `<!doctype html><meta charset="utf-8"><title>watchpost — local</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;width:100%}
td,th{padding:.4rem .6rem;border-bottom:1px solid #eee;text-align:left;vertical-align:top}th{color:#666;font-weight:500}
.pass{color:#17803d}.degraded{color:#b26a00}.fail{color:#c62828}.muted{color:#777;font-size:12px}
.runs{display:flex;gap:2px}.runs i{display:inline-block;width:7px;height:18px;border-radius:2px;background:#ccc}
.runs i.pass{background:#2e9e55}.runs i.degraded{background:#e0a100}.runs i.fail{background:#d64541}</style>
<h1>watchpost <span class="muted">local</span></h1><p class="muted" id="when"></p>
<table><thead><tr><th>Status</th><th>Check</th><th>Kind</th><th>Since</th><th>Last run</th><th>Last 30 runs</th><th>Detail</th></tr></thead><tbody id="rows"></tbody></table>
<script>
const esc=s=>String(s??'').replace(/[&<>"]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
async function load(){const r=await fetch('api/state');const d=await r.json();
document.getElementById('when').textContent='updated '+new Date().toLocaleTimeString()+' · refreshes every 5 s';
document.getElementById('rows').innerHTML=d.checks.map(c=>'<tr><td class="'+esc(c.status)+'">'+esc(c.degraded?c.degraded.word:(c.status||'waiting').toUpperCase())+'</td><td><b>'+esc(c.id)+'</b><br><span class="muted">'+esc(c.name)+'</span></td><td>'+esc(c.kind)+'</td><td>'+esc(c.since?new Date(c.since).toLocaleTimeString():'')+(c.consecutiveFailures?'<br><span class="muted">'+c.consecutiveFailures+' failed in a row</span>':'')+'</td><td>'+esc(c.durationMs!=null?c.durationMs+' ms':'')+'</td><td><div class="runs">'+(c.recent||[]).map(r=>'<i class="'+esc(r.status)+'" title="'+esc(new Date(r.scheduledAt).toLocaleTimeString()+' '+r.status+' '+r.durationMs+' ms'+(r.error?' — '+r.error:r.degraded?' — '+r.degraded:''))+'"></i>').join('')+'</div></td><td>'+esc(c.error?c.error.code+': '+c.error.message:c.degraded?c.degraded.word+': '+c.degraded.message:c.target)+'</td></tr>').join('');}
load();setInterval(load,5000);
</script>`;

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

export async function startDashboard(opts: { port: number; host?: string; config: ValidatedConfig; store: ResultStore }): Promise<Dashboard> {
  const host = opts.host ?? '127.0.0.1';
  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (path === '/' || path === '/index.html') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return res.end(PAGE);
      }
      if (path === '/api/state') {
        const ids = opts.config.checks.map((ch) => ch.id);
        const [latest, recent] = await Promise.all([
          opts.store.latest(ids),
          Promise.all(ids.map((id) => opts.store.history(id, { limit: 30 }))),
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
            // Oldest first, for a strip that reads left to right.
            recent: recent[i]!
              .map((r) => ({ status: r.status, scheduledAt: r.scheduledAt, durationMs: r.durationMs, error: r.error?.code, degraded: r.degraded?.code }))
              .reverse(),
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
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
