/// <reference lib="dom" />
/**
 * The local dashboard in a real headless Chromium (Debian's, driven by playwright-core): the check
 * page of a store seeded as `watchpost dev` fills it shows the response-time chart (a drawn canvas),
 * uptime as `watchpost report` computes it, the state changes and the last failure; it works from
 * the keyboard and on a phone; no request leaves loopback and no payload carries the secret.
 */
import { QUIET_FLAGS } from '../shared/probes/browser/chromium';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dashboard, startDashboard } from '../shared/cli/dashboard';
import { buildReport } from '../shared/status/report';
import { type EmbeddedStore, startEmbeddedStore } from '../shared/store/embedded';
import { dashboardConfig, SECRET, SECRET_ENV, seedDashboard } from './helpers/seed-dashboard';

let embedded: EmbeddedStore;
let dash: Dashboard;
let browser: Browser;
const now = Date.now();
const config = dashboardConfig();

beforeAll(async () => {
  process.env[SECRET_ENV] = SECRET;
  embedded = await startEmbeddedStore({ inMemory: true });
  await seedDashboard(embedded, now);
  dash = await startDashboard({ port: 0, config, store: embedded.store, table: embedded });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: QUIET_FLAGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await dash?.close();
  await embedded?.close();
  delete process.env[SECRET_ENV];
});

/** A page that records every request and every API body, and refuses anything not on loopback. */
async function open(opts: { width: number; height: number; dark?: boolean }) {
  const page = await browser.newPage({
    viewport: { width: opts.width, height: opts.height },
    colorScheme: opts.dark ? 'dark' : 'light',
  });
  const requests: string[] = [];
  const bodies: string[] = [];
  const errors: string[] = [];
  await page.route('**/*', (route) => {
    const url = new URL(route.request().url());
    requests.push(url.href);
    return url.hostname === '127.0.0.1' ? route.continue() : route.abort();
  });
  page.on('response', async (r) => {
    if (r.url().includes('/api/')) bodies.push(await r.text().catch(() => ''));
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return { page, requests, bodies, errors };
}

/** Distinct colours drawn on the chart's canvas: a blank canvas has one (or none). */
const canvasColours = (page: Page, selector: string) =>
  page.$eval(selector, (c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < d.length; i += 4) if (d[i + 3]! > 0) seen.add((d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!);
    return seen.size;
  });

describe('dashboard check page in Chromium', () => {
  it('shows the phase chart, uptime as the report computes it, state changes and the last failure', async () => {
    const { page, requests, bodies, errors } = await open({ width: 1280, height: 1000 });
    await page.goto(`${dash.url}#/check/shop-api?range=6h`);
    await page.waitForSelector('#chart canvas');
    await page.waitForSelector('[data-uptime="24 h"]');

    expect(await page.title()).toBe('shop-api — watchpost local');
    expect(await page.textContent('h1')).toBe('Shop API');
    // One series a phase, named in the legend (uPlot's own), and pixels drawn.
    const legend = await page.$$eval('#chart .u-legend .u-label', (ls) => ls.map((l) => l.textContent));
    expect(legend).toEqual(['Time', 'dns', 'connect', 'ttfb', 'total']);
    expect(await canvasColours(page, '#chart canvas')).toBeGreaterThan(3);
    const shot = await page.locator('#chart').screenshot();
    expect(shot.length).toBeGreaterThan(5_000); // a blank 1000×300 PNG compresses to a few hundred bytes

    const report = await buildReport({
      config,
      checks: [config.checks[0]!],
      ...embedded,
      from: now - 86_400_000,
      to: now,
    });
    expect(await page.textContent('[data-uptime="24 h"]')).toBe(`${report.checks[0]!.uptimePercent}%`);
    expect(report.checks[0]!.downMinutes).toBeGreaterThanOrEqual(10);

    const events = await page.$$eval('#events li', (ls) => ls.map((l) => l.textContent!.replace(/\s+/g, ' ')));
    expect(events).toHaveLength(4); // pass→fail, fail→pass, pass→slow, slow→pass; newest first
    expect(events[3]).toMatch(/PASS → ✕ FAIL HTTP 503 from http:\/\/127\.0\.0\.1:9\/api \(token \*\*\* rejected\)/);
    expect(events[1]).toContain('SLOW');

    const failure = (await page.textContent('#last-failure'))!.replace(/\s+/g, ' ');
    expect(failure).toContain('FAIL HTTP 503 from http://127.0.0.1:9/api (token *** rejected)');
    expect(failure).toContain('1 assertion failed');
    expect(failure).toContain('503');

    expect(errors).toEqual([]);
    expect(requests.length).toBeGreaterThan(5);
    expect(requests.filter((u) => !u.startsWith(dash.url))).toEqual([]);
    expect(bodies.length).toBeGreaterThan(0);
    for (const b of bodies) expect(b).not.toContain(SECRET);
    expect(await page.content()).not.toContain(SECRET);
    await page.close();
  });

  it("shows a tls check's days to expiry as a figure and a chart", async () => {
    const { page, errors } = await open({ width: 1280, height: 1000 });
    await page.goto(`${dash.url}#/check/shop-cert`);
    await page.waitForSelector('#figure-chart canvas');
    expect(await page.textContent('[data-figure="DaysToExpiry"]')).toBe('38 days');
    expect(await page.textContent('#cards')).toContain('days to expiry');
    expect(await page.textContent('#figure-title')).toBe('Days to expiry');
    expect(await canvasColours(page, '#figure-chart canvas')).toBeGreaterThan(3);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('works from the keyboard and fits a phone in dark mode', async () => {
    const { page, errors } = await open({ width: 390, height: 844, dark: true });
    await page.goto(dash.url);
    await page.waitForSelector('.check-link');
    // Tab to the first check's link and open it with Enter.
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      if ((await page.evaluate(() => document.activeElement?.className)) === 'check-link') break;
    }
    await page.keyboard.press('Enter');
    await page.waitForSelector('#chart canvas');
    expect(page.url()).toContain('#/check/shop-api');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg).toBe('rgb(15, 19, 24)');
    // Status is a word (and a glyph), not a colour alone.
    expect(await page.textContent('#cards .badge')).toMatch(/✓ PASS/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('names an unknown check on the page', async () => {
    const { page } = await open({ width: 800, height: 600 });
    await page.goto(`${dash.url}#/check/shop-ap`);
    await page.waitForSelector('[role="alert"]');
    expect(await page.textContent('[role="alert"]')).toBe(
      'no check "shop-ap" in the config — hint: did you mean "shop-api"?',
    );
    await page.close();
  });
});
