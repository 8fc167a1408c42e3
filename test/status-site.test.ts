/**
 * The status site's files (shared/status/site): what is built from a model (page, status.json,
 * feed, badges, hashed assets with their headers), that text people typed is escaped and
 * redacted, and that a rebuild writes only the files that changed, into a folder and into an S3
 * bucket (a loopback S3 endpoint), pages after their assets, leftovers removed.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSecret } from '../shared/redact';
import { LONG_CACHE, renderSite, SHORT_CACHE } from '../shared/status/site/render';
import { liveSite } from '../shared/status/site/live';
import { slugs } from '../shared/status/site/present';
import type { SiteFile } from '../shared/status/site/types';
import { ASSET_GRACE_MS, writeSiteToDir, writeSiteToS3 } from '../shared/status/site/write';
import { startS3Bucket, type S3Bucket } from './helpers/s3-bucket';
import { fixtureModel } from './helpers/status-fixture';

const NOW = new Date('2026-11-30T12:00:00Z');
const text = (files: SiteFile[], path: string) => files.find((f) => f.path === path)!.body.toString('utf8');

describe('the built files', () => {
  const files = renderSite(fixtureModel(NOW), { siteUrl: 'https://status.acme.example/' });
  const paths = files.map((f) => f.path);

  it('are the page, its data, its feed, a badge per component and content-hashed assets', () => {
    expect(paths).toEqual(
      expect.arrayContaining([
        'index.html',
        'status.json',
        'feed.xml',
        'badges/checkout.svg',
        'badges/search.svg',
        'badges/public-api.svg',
      ]),
    );
    const assets = paths.filter((p) => p.startsWith('assets/'));
    expect(assets.map((p) => p.replace(/\.[0-9a-f]{10}\./, '.'))).toEqual(
      expect.arrayContaining(['assets/status.css', 'assets/status.js', 'assets/uPlot.js', 'assets/uPlot.css']),
    );
    // The page names exactly these assets, by their hashed names.
    const html = text(files, 'index.html');
    for (const a of assets.filter((p) => !p.includes('favicon'))) expect(html).toContain(`"${a}"`);
  });

  it('each carry their Content-Type and Cache-Control', () => {
    const by = new Map(files.map((f) => [f.path, f]));
    expect(by.get('index.html')).toMatchObject({ contentType: 'text/html; charset=utf-8', cacheControl: SHORT_CACHE });
    expect(by.get('status.json')!.contentType).toBe('application/json; charset=utf-8');
    expect(by.get('feed.xml')!.contentType).toBe('application/atom+xml; charset=utf-8');
    expect(by.get('badges/checkout.svg')).toMatchObject({ contentType: 'image/svg+xml', cacheControl: SHORT_CACHE });
    for (const f of files.filter((x) => x.path.startsWith('assets/'))) expect(f.cacheControl).toBe(LONG_CACHE);
    expect(SHORT_CACHE).toMatch(/max-age=30\b.*stale-if-error=86400/);
  });

  it('status.json is the model; the feed lists incidents with updates and announced maintenance', () => {
    expect(JSON.parse(text(files, 'status.json'))).toEqual(fixtureModel(NOW));
    const feed = text(files, 'feed.xml');
    expect(feed).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?>\n<feed xmlns="http:\/\/www.w3.org\/2005\/Atom">/);
    expect(feed.match(/<entry>/g)).toHaveLength(3);
    expect(feed).toContain('<title>Payments are failing</title>');
    expect(feed).toContain('<title>[Resolved] Checkout is unavailable</title>');
    expect(feed).toContain('<title>[Maintenance] Database upgrade</title>');
    expect(feed).toContain(
      '<link rel="alternate" type="text/html" href="https://status.acme.example/#incident-inc-b2"/>',
    );
    // Update text is escaped twice over: HTML inside XML.
    expect(feed).toContain('A card provider is &amp;lt;down&amp;gt;');
    // Newest first (maintenance by its start, ahead of time), and `updated` is the newest entry's:
    // the feed does not change on every build.
    expect(feed.indexOf('Database upgrade')).toBeLessThan(feed.indexOf('Payments are failing'));
    expect(feed.indexOf('Payments are failing')).toBeLessThan(feed.indexOf('Checkout is unavailable'));
    expect(/<feed[\s\S]*?<updated>([^<]+)<\/updated>/.exec(feed)![1]).toBe('2026-12-03T02:00:00.000Z');
    const later = { ...fixtureModel(NOW), generatedAt: '2026-11-30T12:01:00.000Z' };
    expect(text(renderSite(later, { siteUrl: 'https://status.acme.example/' }), 'feed.xml')).toBe(feed);
  });

  it('badges say the state and 30-day uptime in words', () => {
    const badge = text(files, 'badges/checkout.svg');
    expect(badge).toContain('<title>Checkout: partial outage · 99.91% (30-day uptime)</title>');
    expect(badge).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(text(files, 'badges/search.svg')).toContain('operational · 100%');
  });

  it('escapes what people typed and redacts secrets in every file', () => {
    addSecret('hunter2-token-value');
    const m = fixtureModel(NOW);
    m.incidents.open[0]!.updates.push({
      at: '2026-11-30T11:58:00.000Z',
      status: 'monitoring',
      message: '<script>alert(1)</script> retried with hunter2-token-value',
    });
    m.components[0]!.name = 'Check<out> & "pay"';
    const built = renderSite(m);
    const html = text(built, 'index.html');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('Check&lt;out&gt; &amp; &quot;pay&quot;');
    for (const f of built) expect(f.body.toString('utf8'), f.path).not.toContain('hunter2-token-value');
    expect(built.map((f) => f.path)).toContain('badges/check-out-pay.svg');
  });

  it('gives each component its own badge name', () => {
    expect([...slugs(['Checkout', 'checkout!', 'Ünïcode API', '***']).values()]).toEqual([
      'checkout',
      'checkout-2',
      'unicode-api',
      'component',
    ]);
  });
});

describe('writing only what changed', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'watchpost-site-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('into a folder: a rebuild with nothing new writes nothing; own leftovers go, other files stay', async () => {
    const first = await writeSiteToDir(dir, renderSite(fixtureModel(NOW)));
    expect(first.written).toHaveLength(11);
    expect(first.written.at(-1)).toBe('index.html');
    await writeFile(join(dir, 'CNAME'), 'status.acme.example\n');
    const again = await writeSiteToDir(dir, renderSite(fixtureModel(NOW)));
    expect(again).toEqual({ written: [], unchanged: 11, removed: [] });

    const m = fixtureModel(NOW);
    m.components.pop();
    m.incidents.open = [];
    const next = await writeSiteToDir(dir, renderSite(m));
    expect(next.written.sort()).toEqual(['feed.xml', 'index.html', 'status.json']);
    expect(next.removed).toEqual(['badges/public-api.svg']);
    await expect(readFile(join(dir, 'badges/public-api.svg'))).rejects.toThrow(/ENOENT/);
    expect(await readFile(join(dir, 'CNAME'), 'utf8')).toBe('status.acme.example\n');
  });

  describe('into the S3 bucket', () => {
    let bucket: S3Bucket;
    let s3: S3Client;
    beforeAll(async () => {
      bucket = await startS3Bucket('acme-status');
      s3 = new S3Client({
        endpoint: bucket.endpoint,
        forcePathStyle: true,
        region: 'eu-central-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts: 1,
      });
    });
    afterAll(async () => {
      s3?.destroy();
      await bucket?.close();
    });

    it('puts each changed file with its headers, assets before the page, and removes leftovers', async () => {
      const files = renderSite(fixtureModel(NOW));
      const first = await writeSiteToS3(s3, 'acme-status', files);
      expect(first.written).toHaveLength(11);
      const puts = bucket.calls.filter((c) => c.startsWith('PUT '));
      expect(puts.at(-1)).toBe('PUT index.html');
      expect(puts.findIndex((c) => c.includes('assets/'))).toBe(0);
      const page = bucket.objects.get('index.html')!;
      expect(page.contentType).toBe('text/html; charset=utf-8');
      expect(page.cacheControl).toBe(SHORT_CACHE);
      const css = [...bucket.objects.entries()].find(([k]) => /^assets\/status\.[0-9a-f]+\.css$/.test(k))![1];
      expect(css).toMatchObject({ contentType: 'text/css; charset=utf-8', cacheControl: LONG_CACHE });

      bucket.calls.length = 0;
      const again = await writeSiteToS3(s3, 'acme-status', renderSite(fixtureModel(NOW)));
      expect(again).toEqual({ written: [], unchanged: 11, removed: [] });
      expect(bucket.calls).toEqual(['LIST']);

      // A new stylesheet: the old hashed one stays a day (cached pages still name it), then goes.
      const oldCss = [...bucket.objects.keys()].find((k) => k.endsWith('.css') && k.includes('status.'))!;
      const restyled = files.map((f) => (f.path === oldCss ? { ...f, path: 'assets/status.0123456789.css' } : f));
      const m = fixtureModel(NOW);
      m.components.pop();
      const fewer = restyled.filter((f) => f.path !== 'badges/public-api.svg');
      const next = await writeSiteToS3(s3, 'acme-status', fewer);
      expect(next.written).toEqual(['assets/status.0123456789.css']);
      expect(next.removed).toEqual(['badges/public-api.svg']);
      expect(bucket.objects.has(oldCss)).toBe(true);
      const later = await writeSiteToS3(s3, 'acme-status', fewer, Date.now() + ASSET_GRACE_MS + 60_000);
      expect(later.removed).toEqual([oldCss]);
    });
  });
});

describe('the live site of watchpost dev', () => {
  it('rebuilds when results arrive or a minute passed, keeps the last good build on failure', async () => {
    let t = 0;
    let builds = 0;
    let fail = false;
    const site = liveSite(
      async () => {
        builds++;
        if (fail) throw new Error('store gone');
        return renderSite(fixtureModel(NOW));
      },
      { now: () => t },
    );
    await site.files();
    await site.files();
    expect(builds).toBe(1);
    site.invalidate();
    expect((await site.files()).has('index.html')).toBe(true);
    expect(builds).toBe(2);
    t += 60_000;
    fail = true;
    expect((await site.files()).has('index.html')).toBe(true);
    expect(builds).toBe(3);
  });
});

describe('watchpost dev at /status', () => {
  it('serves the live site with the hosted headers; says how to get one when the config has none', async () => {
    const { startDashboard } = await import('../shared/cli/dashboard');
    const { startEmbeddedStore } = await import('../shared/store/embedded');
    const { parseConfig } = await import('../shared/config/validate');
    const config = parseConfig({
      project: 'shop',
      homeRegion: 'eu-central-1',
      regions: ['eu-central-1'],
      checks: [{ id: 'shop-home', kind: 'http', url: 'http://127.0.0.1:9/' }],
    });
    const embedded = await startEmbeddedStore({ inMemory: true });
    const status = liveSite(async () => renderSite(fixtureModel(NOW)));
    const [withPage, without] = await Promise.all([
      startDashboard({ port: 0, config, store: embedded.store, status }),
      startDashboard({ port: 0, config, store: embedded.store }),
    ]);
    try {
      const redirect = await fetch(`${withPage.url}status`, { redirect: 'manual' });
      expect(redirect.status).toBe(308);
      expect(redirect.headers.get('location')).toBe('/status/');
      const page = await fetch(`${withPage.url}status/`);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
      const html = await page.text();
      expect(html).toContain('<h1>Acme Shop status</h1>');
      const css = /href="(assets\/status\.[0-9a-f]+\.css)"/.exec(html)![1];
      expect((await fetch(`${withPage.url}status/${css}`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
      expect((await fetch(`${withPage.url}status/badges/checkout.svg`)).status).toBe(200);
      expect((await fetch(`${withPage.url}status/nothing.js`)).status).toBe(404);
      const none = await fetch(`${without.url}status/`);
      expect(none.status).toBe(404);
      expect(await none.text()).toMatch(/add statusPage to the config/);
    } finally {
      await Promise.all([withPage.close(), without.close()]);
      await embedded.close();
    }
  });
});
