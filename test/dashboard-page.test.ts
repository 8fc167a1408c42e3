/**
 * The local dashboard's page lives in its own files (shared/cli/dashboard/): the server on a
 * loopback port serves the HTML, its stylesheet and its script, and the script draws one escaped
 * row a check from `/api/state` (run here in a bare VM context with a stub document).
 */
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
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

  it('the script draws one escaped row a check from api/state', async () => {
    const script = await (await fetch(`${dash.url}dashboard.js`)).text();
    // load() writes the rows last: the promise resolves with what it drew.
    let drawn!: (html: string) => void;
    const rowsHtml = new Promise<string>((r) => (drawn = r));
    const when = { textContent: '' };
    const rows = {
      set innerHTML(html: string) {
        drawn(html);
      },
    };
    runInNewContext(script, {
      fetch: (path: string) => fetch(new URL(path, dash.url)),
      document: { getElementById: (id: string) => ({ when, rows })[id] },
      setInterval: () => 0,
    });
    const html = await rowsHtml;
    expect(html.match(/<tr>/g)).toHaveLength(2);
    expect(html).toContain('<td class="fail">FAIL</td>');
    expect(html).toContain('Shop &lt;home&gt;');
    expect(html).toContain('HTTP: HTTP 503 &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('<i class="fail" title="');
    expect(html).toContain('WAITING'); // shop-new has not run yet
    expect(when.textContent).toMatch(/^updated .* · refreshes every 5 s$/);
  });
});
