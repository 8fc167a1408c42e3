/**
 * The status page as a user builds it: 90 days of seeded history in the local store (two
 * components, a DOWN incident with updates, a DEGRADED one, maintenance past and announced),
 * `watchpost status build --out DIR` run as a command, the folder served from loopback and
 * read in headless Chromium. The bars and percentages say what the accounting says (status.json
 * and the model come from the same code as `watchpost report`), the seeded facts are there in
 * words, nothing internal (check ids, targets, hosts, regions, error text) is in any file, and
 * no request leaves loopback. Also the command's mistakes: each one line, exit 2.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalStore } from '../shared/cli/local';
import type { StatusModel } from '../shared/status/model';
import { percent } from '../shared/status/site/present';
import { contentType, SHORT_CACHE } from '../shared/status/site/render';
import type { SiteFile } from '../shared/status/site/types';
import { SEEDED, type Seeded, seedStatus } from './helpers/seed-status';
import { launchChromium, type SiteServer, serveSite } from './helpers/site-browser';

const BIN = join(__dirname, '..', 'bin', 'watchpost.mjs');
const env = { ...process.env, NO_COLOR: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

function cli(args: string[], cwd: string, extra: Record<string, string> = {}) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...env, ...extra } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Every file under a folder, as the site serves it. */
function readSite(dir: string): SiteFile[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => {
      const path = relative(dir, join(e.parentPath, e.name));
      return { path, body: readFileSync(join(dir, path)), contentType: contentType(path), cacheControl: SHORT_CACHE };
    });
}

let dir: string;
let seed: Seeded;
let built: { status: number | null; stdout: string; stderr: string };
let files: SiteFile[];
let model: StatusModel;
let browser: Browser;
let site: SiteServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'watchpost-status-'));
  const local = await openLocalStore(join(dir, '.watchpost'));
  try {
    seed = await seedStatus({ client: local.client, tableName: local.tableName, store: local.store });
  } finally {
    await local.close();
  }
  writeFileSync(join(dir, 'watchpost.config.json'), JSON.stringify(seed.config, null, 2));
  built = await cli(['status', 'build', '--config', 'watchpost.config.json', '--out', 'site'], dir, {
    WATCHPOST_NOW: seed.now.toISOString(),
  });
  files = readSite(join(dir, 'site'));
  model = JSON.parse(files.find((f) => f.path === 'status.json')!.body.toString('utf8'));
  site = await serveSite(files);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('watchpost status build from seeded history', () => {
  it('writes the site and says what it did', () => {
    expect(built.stderr).toBe('');
    expect(built.status).toBe(0);
    expect(built.stdout).toMatch(/✓ status page: 10 files written, 0 unchanged in site\//);
    expect(built.stdout).toContain('2 components, overall operational');
    expect(files.map((f) => f.path).sort()).toEqual(
      expect.arrayContaining(['index.html', 'status.json', 'feed.xml', 'badges/website.svg', 'badges/checkout.svg']),
    );
  });

  it('writes nothing when nothing changed', { timeout: 60_000 }, async () => {
    const again = await cli(['status', 'build', '--config', 'watchpost.config.json', '--out', 'site'], dir, {
      WATCHPOST_NOW: seed.now.toISOString(),
    });
    expect(again.stdout).toMatch(/0 files written, 10 unchanged/);
  });

  it('shows in Chromium the bars and percentages the accounting computed, and the seeded facts in words', async () => {
    const page = await browser.newPage();
    const outside: string[] = [];
    page.on('request', (r) => !r.url().startsWith(site.url) && outside.push(r.url()));
    await page.goto(site.url, { waitUntil: 'networkidle' });
    for (const c of model.components) {
      const card = page.locator(`article.component[data-component="${c.name}"]`);
      const bars = await card
        .locator('.bar')
        .evaluateAll((els) => els.map((el) => [el.getAttribute('data-date'), el.getAttribute('data-uptime')]));
      expect(bars).toEqual(c.days.map((d) => [d.date, d.uptimePercent === null ? '' : String(d.uptimePercent)]));
      for (const w of ['24h', '7d', '30d', '90d'] as const)
        expect(await card.locator(`dd[data-window="${w}"]`).textContent()).toBe(percent(c.uptime[w]));
    }
    const detail = (component: string, daysAgo: number) =>
      page
        .locator(`article.component[data-component="${component}"] .bar`)
        .nth(89 + daysAgo)
        .getAttribute('aria-label');
    // 45 of 1,440 minutes down: 96.87 %, and the day names its incident by its public title.
    expect(await detail('Checkout', SEEDED.down.day)).toMatch(/96\.87% uptime · down 45 min · incidents: Checkout/);
    expect(await detail('Checkout', SEEDED.maintenance.day)).toMatch(/100% uptime · maintenance 2 h/);
    expect(await detail('Website', SEEDED.degraded.day)).toMatch(/100% uptime · degraded 30 min/);
    expect(await detail('Website', -89)).toMatch(/· no data$/);
    expect(await page.locator('.banner h2').textContent()).toBe('All systems operational');
    expect(await page.locator('.maintenance-item').count()).toBe(1);
    expect(await page.locator('section.incidents.past article').count()).toBe(2);
    expect(await page.locator('section.incidents.past').textContent()).toContain(
      'A faulty payment deploy is being rolled back.',
    );
    expect(await page.locator('#accounting-title + p').textContent()).toBe(model.accounting);
    expect(outside).toEqual([]);
    await page.close();
  });

  it('agrees with `watchpost report --json`: each component (one check each) has its check’s uptime', {
    timeout: 120_000,
  }, async () => {
    const byComponent = new Map(seed.config.statusPage!.components.map((c) => [c.name, c.checks[0]!]));
    // One after the other: the local store is one process's at a time.
    const reports: (readonly [string, { checks: { checkId: string; uptimePercent: number | null }[] }])[] = [];
    for (const since of ['7d', '30d', '90d']) {
      const r = await cli(['report', '--config', 'watchpost.config.json', '--since', since, '--json'], dir, {
        WATCHPOST_NOW: seed.now.toISOString(),
      });
      expect(r.status, r.stderr).toBe(0);
      reports.push([since, JSON.parse(r.stdout)] as const);
    }
    const page = await browser.newPage();
    await page.goto(site.url, { waitUntil: 'networkidle' });
    for (const [since, report] of reports)
      for (const [component, checkId] of byComponent) {
        const figure = report.checks.find((c) => c.checkId === checkId)!.uptimePercent;
        const shown = await page
          .locator(`article.component[data-component="${component}"] dd[data-window="${since}"]`)
          .textContent();
        expect(shown, `${component} ${since}`).toBe(percent(figure));
      }
    // The seeded down day is what the report counts as down minutes for the month around it.
    const cart = reports[1]![1].checks.find((c) => c.checkId === 'shop-cart') as unknown as { downMinutes: number };
    expect(cart.downMinutes).toBe(SEEDED.down.minutes);
    await page.close();
  });

  it('reveals nothing internal in any file: no check id, target, host, region or error text', () => {
    const internal = [
      ...seed.config.checks.flatMap((c) => [c.id, c.name, (c as { url?: string }).url!]),
      '127.0.0.1',
      ...SEEDED.regions,
      seed.config.homeRegion,
      'CONNECT_REFUSED',
      'DOWN because',
      'alice',
    ];
    for (const f of files) {
      const text = f.path.startsWith('assets/uPlot') ? '' : f.body.toString('utf8');
      for (const word of internal) expect(text.includes(word), `${f.path} contains "${word}"`).toBe(false);
      for (const word of internal) expect(f.path.includes(word), `file name ${f.path}`).toBe(false);
    }
  });
});

describe('watchpost status build mistakes', () => {
  it('answers each in one line with exit 2', { timeout: 120_000 }, async () => {
    writeFileSync(join(dir, 'plain.json'), JSON.stringify({ ...seed.config, statusPage: undefined }));
    const build = ['status', 'build', '--config', 'watchpost.config.json'];
    const [noOut, sub, flag, none, when] = await Promise.all([
      cli(build, dir),
      cli(['status', 'biuld'], dir),
      cli(['status', 'build', '--outt', 'x'], dir),
      cli(['status', 'build', '--config', 'plain.json', '--out', 'x'], dir),
      cli([...build, '--out', 'x'], dir, { WATCHPOST_NOW: 'yesterday' }),
    ]);
    expect(noOut.status).toBe(2);
    expect(noOut.stderr).toMatch(/^error: --out DIR is required/);
    expect(sub.status).toBe(2);
    expect(sub.stderr).toMatch(/unknown `watchpost status` subcommand "biuld" — hint: watchpost status build/);
    expect(flag.stderr).toMatch(/unknown flag --outt .* did you mean --out\?/);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/plain\.json has no statusPage — hint: add statusPage: \{ title, components/);
    expect(when.stderr).toMatch(/WATCHPOST_NOW must be an ISO time/);
    for (const r of [noOut, sub, flag, none, when]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
