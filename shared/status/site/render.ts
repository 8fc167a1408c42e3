/**
 * StatusModel → the site's files: index.html, status.json, feed.xml, badges/<slug>.svg, and the
 * page's stylesheet, script, icon and the bundled uPlot under assets/ (content-hashed names,
 * cached for a year; everything else is cached briefly and served stale if the origin fails).
 * Pure: no I/O but reading the page's own files once. Every text file passes redaction.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { redactText } from '../../redact';
import { renderBadge } from './badges';
import { renderFeed } from './feed';
import { type PageAssets, renderPage } from './page';
import { slugs } from './present';
import type { SiteFile, StatusModel } from './types';

/** Pages and data: fresh within a minute, and served stale for a day if the bucket cannot answer. */
export const SHORT_CACHE = 'public, max-age=30, stale-while-revalidate=30, stale-if-error=86400';
/** Content-hashed assets never change under their name. */
export const LONG_CACHE = 'public, max-age=31536000, immutable';

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  json: 'application/json; charset=utf-8',
  xml: 'application/atom+xml; charset=utf-8',
  svg: 'image/svg+xml',
};

/** The Content-Type a site path is served with. */
export function contentType(path: string): string {
  return TYPES[path.slice(path.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
}

/** The page's own files: beside this module, or at the bundle root's assets/ in the Lambda. */
const ASSETS = new URL('./assets/', import.meta.url);

/** uPlot from the bundle's assets/ (the Lambda), else from node_modules. */
function uplotFile(name: string): Buffer {
  const bundled = new URL(name, ASSETS);
  if (existsSync(fileURLToPath(bundled))) return readFileSync(bundled);
  return readFileSync(createRequire(import.meta.url).resolve(`uplot/dist/${name}`));
}

interface PageSources {
  template: string;
  css: Buffer;
  js: Buffer;
  favicon: Buffer;
  chartCss: Buffer;
  chartJs: Buffer;
}

let sources: PageSources | undefined;
function loadSources(): PageSources {
  sources ??= {
    template: readFileSync(new URL('index.html', ASSETS), 'utf8'),
    // Two stylesheets in the source (the page, a component's parts), one file on the site.
    css: Buffer.concat([readFileSync(new URL('status.css', ASSETS)), readFileSync(new URL('components.css', ASSETS))]),
    js: readFileSync(new URL('status.js', ASSETS)),
    favicon: readFileSync(new URL('favicon.svg', ASSETS)),
    chartCss: uplotFile('uPlot.min.css'),
    chartJs: uplotFile('uPlot.iife.min.js'),
  };
  return sources;
}

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

const hashed = (name: string, ext: string, body: Buffer) => `assets/${name}.${sha256(body).slice(0, 10)}.${ext}`;

export interface RenderOptions {
  /** The page's public address (custom domain or CloudFront), for the feed's links. @default none */
  siteUrl?: string;
}

/** Every file of the site for a model. Paths are relative to the site root, without a leading slash. */
export function renderSite(model: StatusModel, opts: RenderOptions = {}): SiteFile[] {
  const src = loadSources();
  const files: SiteFile[] = [];
  const add = (path: string, body: Buffer | string, cacheControl = SHORT_CACHE) => {
    const text = typeof body === 'string';
    files.push({
      path,
      // The sinks redact: a secret someone typed into an incident message never reaches the page.
      body: text ? Buffer.from(redactText(body)) : body,
      contentType: contentType(path),
      cacheControl,
    });
    return path;
  };
  const assets: PageAssets = {
    css: add(hashed('status', 'css', src.css), src.css, LONG_CACHE),
    js: add(hashed('status', 'js', src.js), src.js, LONG_CACHE),
    chartCss: add(hashed('uPlot', 'css', src.chartCss), src.chartCss, LONG_CACHE),
    chartJs: add(hashed('uPlot', 'js', src.chartJs), src.chartJs, LONG_CACHE),
    favicon: add(hashed('favicon', 'svg', src.favicon), src.favicon, LONG_CACHE),
  };
  const ids = slugs(model.components.map((c) => c.name));
  for (const c of model.components) add(`badges/${ids.get(c.name)}.svg`, renderBadge(c));
  add('status.json', `${JSON.stringify(model, null, 2)}\n`);
  add('feed.xml', renderFeed(model, opts.siteUrl));
  add('index.html', renderPage(src.template, model, assets, ids));
  return files;
}
