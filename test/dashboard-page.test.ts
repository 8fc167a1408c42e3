/**
 * The local dashboard's page lives in its own files (shared/cli/dashboard/): the server on a
 * loopback port serves the HTML, its stylesheet, its scripts and uPlot, and the check API answers
 * mistakes with a sentence. test/dashboard-browser.test.ts loads it in a real Chromium.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dashboard, startDashboard } from '../shared/cli/dashboard';
import { parseConfig } from '../shared/config/validate';
import { type EmbeddedStore, startEmbeddedStore } from '../shared/store/embedded';
import type { CheckResult } from '../shared/types';

const file = (name: string) => readFileSync(new URL(`../shared/cli/dashboard/${name}`, import.meta.url), 'utf8');

let embedded: EmbeddedStore;
let dash: Dashboard;

beforeAll(async () => {
  const config = parseConfig({
    project: 'shop',
    homeRegion: 'eu-central-1',
    regions: ['eu-central-1'],
    checks: [
      { id: 'shop-home', name: 'Shop <home>', kind: 'http', url: 'http://127.0.0.1:9/' },
      { id: 'shop-new', kind: 'http', url: 'http://127.0.0.1:9/new' },
    ],
  });
  embedded = await startEmbeddedStore({ inMemory: true });
  dash = await startDashboard({ port: 0, config, store: embedded.store });
  const failed: CheckResult = {
    checkId: 'shop-home',
    kind: 'http',
    region: 'local',
    scheduledAt: new Date(Date.now() - 60_000).toISOString(),
    startedAt: new Date(Date.now() - 60_000).toISOString(),
    durationMs: 12,
    status: 'fail',
    attempts: 1,
    error: { code: 'HTTP', message: 'HTTP 503 <script>alert(1)</script>' },
    timings: {},
    assertions: [],
    metrics: {},
  };
  await embedded.store.writeResults([failed]);
});

afterAll(async () => {
  await dash?.close();
  await embedded?.close();
});

describe('local dashboard page', () => {
  it('serves the page and its stylesheet and script from their own files', async () => {
    const page = await fetch(dash.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    expect(html).toBe(file('index.html'));
    expect(html).toContain('<title>watchpost — local</title>');
    expect(html).toContain('href="dashboard.css"');
    expect(html).toContain('src="dashboard.js"');
    expect(await (await fetch(`${dash.url}index.html`)).text()).toBe(html);

    const css = await fetch(`${dash.url}dashboard.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await css.text()).toBe(file('dashboard.css'));
    const js = await fetch(`${dash.url}dashboard.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).toBe(file('dashboard.js'));

    expect((await fetch(`${dash.url}nothing.js`)).status).toBe(404);
  });

  it('serves uPlot itself (no CDN) and answers an unknown check or range with a sentence', async () => {
    const uplot = await fetch(`${dash.url}vendor/uPlot.iife.min.js`);
    expect(uplot.status).toBe(200);
    expect(await uplot.text()).toContain('uPlot');
    expect((await fetch(`${dash.url}vendor/uPlot.min.css`)).status).toBe(200);
    for (const f of ['index.html', 'dashboard.js', 'check.js', 'overview.js', 'chart.js', 'view.js'])
      expect(file(f)).not.toMatch(/(src|href)="https?:|from 'https?:|fetch\('https?:/);

    const unknown = await fetch(`${dash.url}api/check/shop-hom`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      error: 'no check "shop-hom" in the config',
      hint: 'did you mean "shop-home"?',
    });
    const range = await fetch(`${dash.url}api/check/shop-home?range=2y`);
    expect(range.status).toBe(400);
    expect(((await range.json()) as { error: string }).error).toBe('range must be one of 1h, 6h, 24h, 7d, got "2y"');
  });

  it('gives a check page its runs, events and last failure, escaped by the page, without the table', async () => {
    const d = (await (await fetch(`${dash.url}api/check/shop-home`)).json()) as any;
    expect(d.check).toMatchObject({
      id: 'shop-home',
      name: 'Shop <home>',
      kind: 'http',
      target: 'GET http://127.0.0.1:9/',
    });
    expect(d.runs).toHaveLength(1);
    expect(d.lastFailure.reason).toEqual({ code: 'HTTP', word: 'HTTP', message: 'HTTP 503 <script>alert(1)</script>' });
    // No results table given: uptime says why it is missing instead of showing 100%.
    expect(d.uptime).toEqual({ unavailable: 'no results table to read rollups from' });
    expect(file('view.js')).toContain("'<': '&lt;'");
  });
});
