/**
 * `watchpost report` and `watchpost incident` as a user runs them (child processes) on a seeded
 * local store: the JSON figures match the ones worked out by hand from the seed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckReport, UptimeReport } from '../shared/status/report';
import { startEmbeddedStore } from '../shared/store/embedded';
import { SEEDED, seedConfigRaw, seedStatus } from './helpers/seed-status';

const BIN = join(__dirname, '..', 'bin', 'watchpost.mjs');
const NOW = new Date('2026-11-30T15:00:00Z');
/** No AWS credentials anywhere, and no metadata service to ask. */
const env: NodeJS.ProcessEnv = {
  ...process.env,
  NO_COLOR: '1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: '/nonexistent',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
};
for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete env[k];

let dir: string;
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args, '--config', 'watchpost.config.json'], { cwd: dir, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wp-report-'));
  writeFileSync(join(dir, 'watchpost.config.json'), JSON.stringify(seedConfigRaw(NOW)));
  const embedded = await startEmbeddedStore({ dir: join(dir, '.watchpost', 'db') });
  await seedStatus({ client: embedded.client, tableName: embedded.tableName, store: embedded.store, now: NOW });
  await embedded.close();
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pct = (good: number, all: number) => Math.floor((good / all) * 100_000 + 1e-6) / 1000;

describe('watchpost report', () => {
  let report: UptimeReport;
  const check = (id: string) => report.checks.find((c) => c.checkId === id) as CheckReport;

  it('prints the month per check and region as JSON, figures as worked out by hand', async () => {
    const r = await cli(['report', '--month', '2026-11', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    report = JSON.parse(r.stdout) as UptimeReport;
    expect(report.period).toEqual({ from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z', minutes: 43200 });
    expect(report.accounting).toMatch(/maintenance/);
    // The seed ends at 15:00 on the 30th: the 9 hours after it have no data and are not counted.
    const noData = 9 * 60;
    const cart = check('shop-cart');
    expect(cart).toMatchObject({
      name: 'Shop cart',
      minutes: 43200,
      downMinutes: SEEDED.down.minutes,
      maintenanceMinutes: SEEDED.maintenance.minutes,
      noDataMinutes: noData,
      degradedMinutes: 0,
      incidents: { count: 1, down: 1, degraded: 0, longestMinutes: 45 },
    });
    const counted = 43200 - 120 - noData;
    expect(cart.uptimePercent).toBe(pct(counted - 45, counted));
    expect(cart.uptimePercent).toBe(99.894);
    // Per region: 711 hours × 12 runs, less the 2 hours of maintenance; 9 failed in the incident hour.
    const runs = 711 * 12 - 24;
    expect(cart.regions).toEqual([
      expect.objectContaining({ region: 'eu-west-1', runs, failures: 9, successPercent: pct(runs - 9, runs) }),
      expect.objectContaining({ region: 'us-east-1', runs, failures: 9, successPercent: pct(runs - 9, runs) }),
    ]);
    expect(Math.abs(cart.latencyMs.p50! - 300) / 300).toBeLessThan(0.1);
    expect(Math.abs(cart.regions[0]!.latencyMs.p99! - 300) / 300).toBeLessThan(0.1);

    const home = check('shop-home');
    expect(home).toMatchObject({
      uptimePercent: 100,
      downMinutes: 0,
      degradedMinutes: SEEDED.degraded.minutes,
      maintenanceMinutes: 0,
      incidents: { count: 1, down: 0, degraded: 1, longestMinutes: 30 },
    });
  }, 180_000);

  it('prints a table and CSV with the same figures, and one check with --check', async () => {
    const t = await cli(['report', '--month', '2026-11', '--check', 'shop-cart']);
    expect(t.status).toBe(0);
    expect(t.stdout).toMatch(/shop-cart\s+99\.894%\s+45m/);
    expect(t.stdout).not.toMatch(/shop-home/);
    const csv = await cli(['report', '--month', '2026-11', '--format', 'csv']);
    const lines = csv.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^checkId,region,uptimePercent,/);
    expect(lines).toContain(lines.find((l) => l.startsWith('shop-cart,,99.894,,43200,45,0,120,540,1,45,')));
    expect(lines.filter((l) => l.startsWith('shop-cart,'))).toHaveLength(3);
  }, 180_000);

  it('says clearly what is wrong with a flag, a check id, or missing AWS credentials', async () => {
    // Each spawn compiles the CLI: run them side by side.
    const [month, both, id, fmt, aws] = await Promise.all([
      cli(['report', '--month', '2026-13']),
      cli(['report', '--month', '2026-11', '--since', '30d']),
      cli(['report', '--check', 'shop-crat']),
      cli(['report', '--format', 'yaml']),
      cli(['report', '--aws']),
    ]);
    expect(month.status).toBe(2);
    expect(month.stderr).toMatch(/--month: expected a month such as "2026-11", got "2026-13"/);
    expect(both.stderr).toMatch(/--since or --month, not both/);
    expect(id.stderr).toMatch(/no check "shop-crat".*did you mean "shop-cart"/);
    expect(fmt.stderr).toMatch(/--format: unknown format "yaml".*table, csv, json/);
    expect(aws.status).toBe(1);
    expect(aws.stderr).toMatch(/no AWS credentials found to read the results table \(table shop-watchpost-results/);
    expect(aws.stderr).not.toMatch(/\n\s+at /);
  }, 180_000);
});

describe('watchpost incident', () => {
  it('opens, updates, lists and resolves an incident the page will show', async () => {
    const opened = await cli([
      'incident',
      'open',
      '--component',
      'Checkout',
      '--title',
      'Payments are slow',
      '--severity',
      'degraded',
      '--message',
      'We are looking into slow payments.',
      '--json',
    ]);
    expect(opened.stderr).toBe('');
    const inc = JSON.parse(opened.stdout) as { id: string; components: string[]; source: string };
    expect(inc).toMatchObject({ components: ['Checkout'], source: 'manual', severity: 'degraded' });
    const upd = await cli([
      'incident',
      'update',
      '--id',
      inc.id,
      '--status',
      'identified',
      '--message',
      'Fix on its way',
    ]);
    expect(upd.status).toBe(0);
    expect(upd.stdout).toMatch(/updated in the local store/);
    expect(upd.stdout).toMatch(/identified: Fix on its way/);
    const list = await cli(['incident', 'list', '--json', '--since', '400d']);
    const listed = (JSON.parse(list.stdout) as { incidents: { id: string; endedAt?: string }[] }).incidents;
    expect(listed.find((i) => i.id === inc.id)?.endedAt).toBeUndefined();
    expect(listed.length).toBe(3);
    const res = await cli(['incident', 'resolve', '--id', inc.id, '--message', 'Payments are fast again']);
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/resolved: Payments are fast again/);
    const table = await cli(['incident', 'list', '--since', '400d', '--component', 'Checkout']);
    expect(table.stdout).toMatch(new RegExp(`${inc.id}\\s+degraded\\s+resolved`));
  }, 180_000);

  it('names the mistake: unknown component, missing title, unknown id, unknown status', async () => {
    const [comp, title, id, st, act] = await Promise.all([
      cli(['incident', 'open', '--component', 'Chekout', '--title', 'x']),
      cli(['incident', 'open', '--component', 'Checkout']),
      cli(['incident', 'resolve', '--id', 'inc-nope']),
      cli(['incident', 'update', '--id', 'x', '--status', 'fixed', '--message', 'm']),
      cli(['incident', 'close']),
    ]);
    expect(comp.status).toBe(2);
    expect(comp.stderr).toMatch(/no component "Chekout".*did you mean "Checkout"/);
    expect(title.stderr).toMatch(/needs --title/);
    expect(id.stderr).toMatch(/no incident with id "inc-nope" in the local store/);
    expect(st.stderr).toMatch(/--status: unknown value "fixed".*investigating, identified, monitoring, resolved/);
    expect(act.stderr).toMatch(/unknown action "close"/);
  }, 180_000);
});
