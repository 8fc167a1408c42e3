/**
 * The status page in a real browser (Debian's Chromium, headless, through playwright-core),
 * served from loopback with the hosted page's headers (CSP: nothing but the site itself): what a
 * reader sees with and without JavaScript, keyboard access to each day's detail, no request
 * leaving loopback, light and dark, phone and desktop, a screenshot that shows something.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderSite } from '../shared/status/site/render';
import { percent } from '../shared/status/site/present';
import type { StatusModel } from '../shared/status/site/types';
import { fixtureModel } from './helpers/status-fixture';
import { decodePng, distinctColours } from './helpers/png';
import { launchChromium, type SiteServer, serveSite } from './helpers/site-browser';

let browser: Browser;
let site: SiteServer;
let model: StatusModel;
const outside: string[] = [];
const problems: string[] = [];

/** A page that records every request not to the site's loopback server, and every console error. */
async function open(opts: { javaScriptEnabled?: boolean; width?: number; dark?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext({
    javaScriptEnabled: opts.javaScriptEnabled ?? true,
    viewport: { width: opts.width ?? 1200, height: 900 },
    colorScheme: opts.dark ? 'dark' : 'light',
  });
  const page = await context.newPage();
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (!(u.protocol === 'data:' || (u.hostname === '127.0.0.1' && site.url.startsWith(u.origin))))
      outside.push(r.url());
  });
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(site.url, { waitUntil: 'networkidle' });
  return page;
}

beforeAll(async () => {
  model = fixtureModel(new Date());
  site = await serveSite(renderSite(model));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe('the status page in Chromium', () => {
  it('says the overall state and each component state in words, with their uptime figures', async () => {
    const page = await open();
    await expect(page.locator('.banner h2').textContent()).resolves.toBe('Partial outage');
    for (const c of model.components) {
      const card = page.locator(`article.component[data-component="${c.name}"]`);
      await expect(card.locator('h3').textContent()).resolves.toBe(c.name);
      expect(await card.locator('.state').textContent()).toMatch(
        c.state === 'operational' ? /Operational/ : /Partial outage/,
      );
      for (const w of ['24h', '7d', '30d', '90d'] as const)
        expect(await card.locator(`dd[data-window="${w}"]`).textContent()).toBe(percent(c.uptime[w]));
      // One bar a day, oldest first, each with its uptime.
      const bars = card.locator('.bar');
      expect(await bars.count()).toBe(90);
      expect(await bars.first().getAttribute('data-date')).toBe(c.days[0]!.date);
      expect(await bars.last().getAttribute('data-date')).toBe(c.days[89]!.date);
    }
    // The interactive chart replaced the drawn one where there is latency data.
    expect(await page.locator('figure.latency.has-chart canvas').count()).toBe(2);
    expect(await page.locator('figure.latency.empty').textContent()).toMatch(/no data in the last 7 days/);
    // The incident updates, newest first; model text is shown as text, never as markup.
    const open1 = page.locator('section.incidents.open article').first();
    expect(await open1.locator('h3').textContent()).toBe('Payments are failing');
    expect(await open1.locator('.updates li').first().textContent()).toContain('A card provider is <down>');
    expect(await page.locator('.maintenance-item h3').textContent()).toContain('Database upgrade');
    expect(await page.locator('#accounting-title + p').textContent()).toBe(model.accounting);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('shows a day’s detail on keyboard focus, and arrow keys move between days', async () => {
    const page = await open();
    const checkout = page.locator('article.component[data-component="Checkout"]');
    // Tab through the page until the Checkout strip has focus (one tab stop per strip: today).
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      const inCheckout = await page.evaluate(
        () =>
          (globalThis as any).document.activeElement?.closest('article.component')?.getAttribute('data-component') ===
          'Checkout',
      );
      if (inCheckout) break;
    }
    const today = checkout.locator('.bar').last();
    await expect(today.evaluate((el) => el === (globalThis as any).document.activeElement)).resolves.toBe(true);
    const tip = today.locator('.tip');
    expect(await tip.isVisible()).toBe(true);
    const day = model.components[0]!.days[89]!;
    expect(await tip.textContent()).toContain(`${percent(day.uptimePercent)} uptime`);
    expect(await tip.textContent()).toContain('Payments are failing');
    // 29 days back: the day of the resolved incident.
    for (let i = 0; i < 29; i++) await page.keyboard.press('ArrowLeft');
    const past = checkout.locator('.bar').nth(60);
    await expect(past.evaluate((el) => el === (globalThis as any).document.activeElement)).resolves.toBe(true);
    expect(await past.locator('.tip').isVisible()).toBe(true);
    expect(await past.locator('.tip').textContent()).toMatch(/99\.31% uptime · down 10 min.*Checkout is unavailable/);
    expect(await today.locator('.tip').isVisible()).toBe(false);
    await page.context().close();
  });

  it('is complete without JavaScript: figures, bars, detail on focus, the drawn chart, incidents', async () => {
    const page = await open({ javaScriptEnabled: false });
    await expect(page.locator('.banner h2').textContent()).resolves.toBe('Partial outage');
    expect(await page.locator('.bar').count()).toBe(90 * model.components.length);
    expect(await page.locator('figure.latency .chart-fallback svg').first().isVisible()).toBe(true);
    expect(await page.locator('canvas').count()).toBe(0);
    const bar = page.locator('article.component[data-component="Checkout"] .bar').nth(60);
    await bar.focus();
    expect(await bar.locator('.tip').isVisible()).toBe(true);
    expect(await page.locator('section.incidents.past article h3').textContent()).toBe('Checkout is unavailable');
    // Times are readable as written (UTC) without the script's local formatting.
    expect(await page.locator('.maintenance-item .meta').textContent()).toMatch(/\d{2}:\d{2} UTC/);
    await page.context().close();
  });

  it('sends no request beyond the loopback server: no fonts, scripts or images from elsewhere', async () => {
    const page = await open();
    await page.hover('article.component .bar >> nth=45');
    await page.context().close();
    expect(outside).toEqual([]);
    expect(site.requested.some((p) => /uPlot\.[0-9a-f]+\.js$/.test(p))).toBe(true);
    // The CSP allows only the site itself; a violation would be a console error.
    expect(problems.filter((p) => /Content Security Policy/i.test(p))).toEqual([]);
  });

  it('says when the page itself is stale', async () => {
    const stale = fixtureModel(new Date(Date.now() - 3600_000), { stale: true });
    site.set(renderSite(stale));
    try {
      const page = await open({ javaScriptEnabled: false });
      const notice = page.locator('p.stale');
      expect(await notice.isVisible()).toBe(true);
      expect(await notice.textContent()).toMatch(/Stale: this page has not been updated since .*UTC/);
      await page.context().close();
      // Built fresh but not rebuilt since (the builder stopped): the script notices from the build time.
      site.set(renderSite(fixtureModel(new Date(Date.now() - 3600_000))));
      const live = await open();
      expect(await live.locator('p.stale').isVisible()).toBe(true);
      await live.context().close();
    } finally {
      site.set(renderSite(model));
    }
    const fresh = await open();
    expect(await fresh.locator('p.stale').isVisible()).toBe(false);
    await fresh.context().close();
  });

  it('renders on desktop and phone, light and dark: screenshots that show a page', async () => {
    const shots: { name: string; colours: number; corner: number[] }[] = [];
    for (const [name, width, dark] of [
      ['desktop light', 1200, false],
      ['phone dark', 390, true],
    ] as const) {
      const page = await open({ width, dark });
      const png = await page.screenshot({ fullPage: true });
      const img = decodePng(png);
      expect(img.width).toBe(width);
      shots.push({ name, colours: distinctColours(img), corner: [...img.data.subarray(0, 3)] });
      // Phones see the last 30 days only, and no horizontal scrolling.
      const visibleBars = await page.locator('article.component[data-component="Checkout"] .bar:visible').count();
      expect(visibleBars).toBe(width < 600 ? 30 : 90);
      expect(
        await page.evaluate(
          () => (globalThis as any).document.documentElement.scrollWidth <= (globalThis as any).innerWidth,
        ),
      ).toBe(true);
      await page.context().close();
    }
    for (const s of shots) expect(s.colours, s.name).toBeGreaterThan(50);
    // Light background, then dark.
    expect(Math.min(...shots[0]!.corner)).toBeGreaterThan(200);
    expect(Math.max(...shots[1]!.corner)).toBeLessThan(60);
  });
});
