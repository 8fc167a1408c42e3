/**
 * The runner core: which checks are due (deterministic spread), concurrency, the deadline
 * (a check still running ends as TIMEOUT, nothing is left unwritten), retries, and no silent
 * loss when the store or metrics fail.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../shared/config/validate';
import type { Log } from '../shared/log';
import type { MetricSink } from '../shared/metrics/types';
import { dueRuns } from '../shared/runner/schedule';
import { runPass, type PassOptions } from '../shared/runner/run-pass';
import { envSecrets } from '../shared/secrets';
import { startEmbeddedStore, type EmbeddedStore } from '../shared/store/embedded';
import type { CheckResult } from '../shared/types';

const base = { project: 'test', homeRegion: 'eu-central-1', regions: ['eu-central-1', 'us-east-1'] };
const cfg = (checks: unknown[]) => parseConfig({ ...base, checks });

function memoryLog() {
  const lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    lines.push({ level, message, fields });
  const log: Log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { log, lines };
}

let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/hang') return; // never answers
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('dueRuns', () => {
  const minute = Date.parse('2026-11-21T10:00:00Z');
  const many = cfg(
    Array.from({ length: 60 }, (_, i) => ({
      id: `c-${i}`,
      kind: 'http',
      url: 'http://127.0.0.1:9/',
      frequency: i % 2 ? '5m' : '1m',
    })),
  );

  it('runs a 1m check every minute and a 5m check in exactly one minute of five, always the same one', () => {
    const counts = new Map<string, number>();
    for (let m = 0; m < 10; m++)
      for (const r of dueRuns(many, 'eu-central-1', minute + m * 60_000))
        counts.set(r.check.id, (counts.get(r.check.id) ?? 0) + 1);
    expect(counts.get('c-0')).toBe(10);
    for (let i = 1; i < 60; i += 2) expect(counts.get(`c-${i}`)).toBe(2);
    // Deterministic: a second computation of the same tick gives the same runs.
    expect(dueRuns(many, 'eu-central-1', minute + 120_000)).toEqual(dueRuns(many, 'eu-central-1', minute + 120_000));
  });

  it('spreads start times across the first 20 s of the minute instead of all at :00', () => {
    const offsets = dueRuns(many, 'eu-central-1', minute).map((r) => r.scheduledAt - minute);
    expect(Math.min(...offsets)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...offsets)).toBeLessThan(20_000);
    expect(new Set(offsets).size).toBeGreaterThan(20);
  });

  it('runs a 30s check twice a minute, 30 s apart', () => {
    const runs = dueRuns(
      cfg([{ id: 'fast', kind: 'http', url: 'http://127.0.0.1:9/', frequency: '30s' }]),
      'eu-central-1',
      minute + 5_000,
    );
    expect(runs).toHaveLength(2);
    expect(runs[1]!.scheduledAt - runs[0]!.scheduledAt).toBe(30_000);
    expect(runs[0]!.scheduledAt).toBeGreaterThanOrEqual(minute);
  });

  it('skips disabled checks and checks not in the region', () => {
    const c = cfg([
      { id: 'eu-only', kind: 'http', url: 'http://127.0.0.1:9/', regions: ['eu-central-1'] },
      { id: 'off', kind: 'http', url: 'http://127.0.0.1:9/', enabled: false },
      { id: 'everywhere', kind: 'http', url: 'http://127.0.0.1:9/' },
    ]);
    expect(dueRuns(c, 'us-east-1', minute).map((r) => r.check.id)).toEqual(['everywhere']);
    expect(
      dueRuns(c, 'eu-central-1', minute)
        .map((r) => r.check.id)
        .sort(),
    ).toEqual(['eu-only', 'everywhere']);
  });
});

describe('runPass', () => {
  let local: EmbeddedStore;
  beforeAll(async () => {
    local = await startEmbeddedStore({ inMemory: true });
  });
  afterAll(() => local.close());

  it('ends a check still running at the deadline as TIMEOUT and writes every result, started or not', async () => {
    const config = cfg([
      { id: 'ok', kind: 'http', url: `${url}/ok`, timeout: '30s' },
      ...['h1', 'h2', 'h3'].map((id) => ({ id, kind: 'http', url: `${url}/hang`, timeout: '30s' })),
    ]);
    const { log } = memoryLog();
    const now = Date.now();
    const t0 = Date.now();
    const report = await runPass({
      config,
      region: 'eu-central-1',
      tick: now,
      deadline: now + 1_500,
      concurrency: 2, // h3 cannot start before the deadline: it must still get a result
      runs: config.checks.map((check) => ({ check, scheduledAt: now })),
      waitForSchedule: false,
      secrets: envSecrets,
      store: local.store,
      log,
    });
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeLessThan(5_000); // bounded by the deadline, not by the 30 s timeouts
    const byId = Object.fromEntries(report.results.map((r) => [r.checkId, r]));
    expect(Object.keys(byId).sort()).toEqual(['h1', 'h2', 'h3', 'ok']);
    expect(byId.ok!.status).toBe('pass');
    for (const id of ['h1', 'h2', 'h3']) {
      expect(byId[id]!.status).toBe('fail');
      expect(byId[id]!.error?.code).toBe('TIMEOUT');
      expect(byId[id]!.error?.message).toMatch(/deadline/);
    }
    expect(report.written).toBe(4);
    const stored = await local.store.latest(['h1', 'h2', 'h3', 'ok']);
    expect(stored).toHaveLength(4);
  });

  it('logs every result it could not store or publish, whole, and carries on', async () => {
    const config = cfg([{ id: 'lost-store', kind: 'http', url: `${url}/ok` }]);
    const { log, lines } = memoryLog();
    const brokenMetrics: MetricSink = {
      publish: async () => {
        throw new Error('CloudWatch unreachable');
      },
    };
    const now = Date.now();
    const report = await runPass({
      config,
      region: 'eu-central-1',
      tick: now,
      deadline: now + 10_000,
      runs: config.checks.map((check) => ({ check, scheduledAt: now })),
      waitForSchedule: false,
      secrets: envSecrets,
      store: {
        writeResults: async () => {
          throw new Error('table gone');
        },
        history: async () => [],
        latest: async () => [],
      },
      metrics: brokenMetrics,
      log,
    });
    expect(report.results).toHaveLength(1);
    expect(report.writeFailures).toBe(1);
    expect(report.publishFailures).toBe(1);
    const notStored = lines.find((l) => l.message === 'result not stored');
    expect(notStored?.level).toBe('error');
    expect(notStored?.fields?.reason).toBe('table gone');
    expect((notStored?.fields?.result as CheckResult | undefined)?.checkId).toBe('lost-store');
    expect((notStored?.fields?.result as CheckResult | undefined)?.status).toBe('pass');
    expect(lines.find((l) => l.message === 'metrics not published')?.fields?.reason).toBe('CloudWatch unreachable');
  });

  it('keeps at most `concurrency` checks in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const slow = createServer((_req, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight--;
        res.end('ok');
      }, 100);
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
    const port = (slow.address() as AddressInfo).port;
    const config = cfg(
      Array.from({ length: 12 }, (_, i) => ({ id: `s-${i}`, kind: 'http', url: `http://127.0.0.1:${port}/` })),
    );
    const now = Date.now();
    const report = await runPass({
      config,
      region: 'eu-central-1',
      tick: now,
      deadline: now + 20_000,
      concurrency: 3,
      runs: config.checks.map((check) => ({ check, scheduledAt: now })),
      waitForSchedule: false,
      secrets: envSecrets,
      log: memoryLog().log,
    });
    slow.close();
    expect(report.results.every((r) => r.status === 'pass')).toBe(true);
    expect(peak).toBe(3);
  });

  /** One pass over every check of `config`, all due now, with the deadline `ms` away. */
  const passNow = (config: ReturnType<typeof cfg>, ms: number, secrets: PassOptions['secrets']) => {
    const now = Date.now();
    return runPass({
      config,
      region: 'eu-central-1',
      tick: now,
      deadline: now + ms,
      runs: config.checks.map((check) => ({ check, scheduledAt: now })),
      waitForSchedule: false,
      secrets,
      log: memoryLog().log,
    });
  };

  it('turns a missing secret into a failed result, not a crash', async () => {
    const config = cfg([
      {
        id: 'needs-secret',
        kind: 'http',
        url: `${url}/ok`,
        headers: { authorization: { secret: 'never-set-anywhere' } },
      },
    ]);
    const report = await passNow(config, 5_000, envSecrets);
    expect(report.results[0]!.status).toBe('fail');
    expect(report.results[0]!.error).toEqual({
      code: 'SECRET',
      message: 'secret "never-set-anywhere" is not set — hint: export WATCHPOST_SECRET_NEVER_SET_ANYWHERE=…',
    });
  });

  it('names the secrets of a check whose resolver hangs past the deadline', async () => {
    const config = cfg([
      {
        id: 'slow-secret',
        kind: 'http',
        url: `${url}/ok`,
        headers: { authorization: { secret: 'shop/token' }, 'x-key': { secret: 'shop/key' } },
      },
    ]);
    const never = () => new Promise<string>(() => {});
    const report = await passNow(config, 300, never);
    expect(report.results[0]!.error).toEqual({
      code: 'SECRET',
      message: 'secrets "shop/token", "shop/key" not read before the runner\'s deadline',
    });
  });
});
