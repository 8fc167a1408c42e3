/**
 * HTTP probe benchmarks: probe rate with a fresh connection per check (beside raw undici and
 * Prometheus blackbox_exporter measured in the same run) and timing error against a known delay
 * (beside curl).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Pool } from 'undici';
import { parseConfig } from '../shared/config/validate';
import { mapLimit } from '../shared/retry';
import { runCheck } from '../shared/runner/run-check';
import { envSecrets } from '../shared/secrets';
import { fmt, median, startTarget, type Figure } from './lib';

const CONCURRENCY = 64;

export function httpCheck(url: string, extra: Record<string, unknown> = {}) {
  const config = parseConfig({
    project: 'bench',
    homeRegion: 'eu-central-1',
    regions: ['eu-central-1'],
    checks: [{ id: 'bench', kind: 'http', url, timeout: '10s', ...extra }],
  });
  return config.checks[0]!;
}

/** Runs `fn` `total` times at `concurrency`; returns completions per second. */
async function rate(total: number, concurrency: number, fn: () => Promise<unknown>): Promise<number> {
  const items = Array.from({ length: total }, (_, i) => i);
  const t0 = performance.now();
  await mapLimit(items, concurrency, async () => {
    await fn();
  });
  return total / ((performance.now() - t0) / 1000);
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function which(cmd: string): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)('sh', ['-c', `command -v ${cmd}`]);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

async function blackboxRate(targetUrl: string, total: number): Promise<number | undefined> {
  const bin = await which('prometheus-blackbox-exporter');
  if (!bin) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'wp-bb-'));
  const cfg = join(dir, 'blackbox.yml');
  writeFileSync(
    cfg,
    'modules:\n  http_2xx:\n    prober: http\n    timeout: 10s\n    http:\n      preferred_ip_protocol: ip4\n',
  );
  const port = await freePort();
  const child = spawn(bin, [`--config.file=${cfg}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  try {
    const api = new Pool(`http://127.0.0.1:${port}`, { connections: CONCURRENCY });
    for (let i = 0; i < 50; i++) {
      try {
        const r = await api.request({ path: '/-/healthy', method: 'GET' });
        await r.body.text();
        if (r.statusCode === 200) break;
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const path = `/probe?module=http_2xx&target=${encodeURIComponent(targetUrl)}`;
    const once = async () => {
      const r = await api.request({ path, method: 'GET' });
      const text = await r.body.text();
      if (!text.includes('probe_success 1')) throw new Error('blackbox probe failed');
    };
    await rate(200, CONCURRENCY, once); // warm-up
    const v = await rate(total, CONCURRENCY, once);
    await api.close();
    return v;
  } finally {
    child.kill();
  }
}

export async function benchHttp(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const target = await startTarget(0);
  const url = `http://127.0.0.1:${target.port}/`;
  try {
    const check = httpCheck(url, { assertions: [{ source: 'status', comparison: 'equals', target: 200 }] });
    const opts = { region: 'local', secrets: envSecrets };
    const undiciOnce = async () => {
      const client = new Client(`http://127.0.0.1:${target.port}`, { pipelining: 0 });
      const r = await client.request({ path: '/', method: 'GET' });
      await r.body.text();
      await client.close();
    };
    const N = 6_000;
    await rate(500, CONCURRENCY, () => runCheck(check, opts)); // warm-up (JIT)
    await rate(500, CONCURRENCY, undiciOnce);
    let failures = 0;
    const wp = await rate(N, CONCURRENCY, async () => {
      const r = await runCheck(check, opts);
      if (r.status !== 'pass') failures++;
    });
    const raw = await rate(N, CONCURRENCY, undiciOnce);
    const bb = await blackboxRate(url, N);
    const floor = Math.max(2_000, bb ?? 0);
    figures.push({
      name: `probe rate, fresh connection, concurrency ${CONCURRENCY} (checks/s)`,
      value: `${fmt(wp)}${failures ? ` (${failures} failed!)` : ''}`,
      baseline: `raw undici ${fmt(raw)}; blackbox_exporter ${bb === undefined ? 'not installed' : fmt(bb)}`,
      target: `≥ ${fmt(floor)} (2,000 and ≥ blackbox_exporter)`,
      ok: wp >= floor && failures === 0,
    });
  } finally {
    await target.stop();
  }

  const DELAY = 50;
  const slow = await startTarget(DELAY);
  try {
    const check = httpCheck(`http://127.0.0.1:${slow.port}/`);
    // Error = measured ttfb minus the time the server really held the request (its timer's own
    // lateness is not the probe's error); the same for curl.
    const errors: number[] = [];
    const held = await import('./http-held');
    for (let i = 0; i < 60; i++) {
      const r = await held.ttfbAndHeld(check);
      if (i >= 10) errors.push(Math.abs(r.ttfb - r.held));
    }
    const curl = await which('curl');
    const curlErrors: number[] = [];
    if (curl) {
      for (let i = 0; i < 30; i++) {
        const { stdout } = await promisify(execFile)(curl, [
          '-s',
          '-D',
          '-',
          '-o',
          '/dev/null',
          '-w',
          '\n%{time_pretransfer} %{time_starttransfer}',
          `http://127.0.0.1:${slow.port}/`,
        ]);
        const heldMs = Number(/x-server-delay-ms: ([\d.]+)/i.exec(stdout)?.[1]);
        const [pre, start] = stdout.trim().split('\n').pop()!.split(' ').map(Number);
        curlErrors.push(Math.abs((start! - pre!) * 1000 - heldMs));
      }
    }
    const m = median(errors);
    figures.push({
      name: `timing error, ttfb vs a ${DELAY} ms server delay as the server measured it (median ms)`,
      value: fmt(m, 2),
      baseline: curl ? `curl ${fmt(median(curlErrors), 2)}` : 'curl not installed',
      target: '≤ 1',
      ok: m <= 1,
    });
  } finally {
    await slow.stop();
  }
  return figures;
}
