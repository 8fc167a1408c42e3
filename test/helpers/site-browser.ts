/**
 * For status page tests: a built site served from memory by a loopback HTTP server on port 0
 * (with the Content-Type, Cache-Control and Content-Security-Policy the hosted page gets), and
 * Debian's Chromium driven headless by playwright-core (WATCHPOST_CHROMIUM overrides the path;
 * scripts/install-test-deps.sh installs it).
 */
import { QUIET_FLAGS } from '../../shared/probes/browser/chromium';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium } from 'playwright-core';
import { STATUS_CSP } from '../../shared/status/site/lambda-env';
import type { SiteFile } from '../../shared/status/site/types';

export interface SiteServer {
  url: string;
  /** Paths requested so far. */
  requested: string[];
  /** Replaces the files served. */
  set(files: SiteFile[]): void;
  close(): Promise<void>;
}

export async function serveSite(files: SiteFile[]): Promise<SiteServer> {
  let byPath = new Map(files.map((f) => [`/${f.path}`, f]));
  const requested: string[] = [];
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    requested.push(path);
    const f = byPath.get(path === '/' ? '/index.html' : path);
    if (!f) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': f.contentType,
      'cache-control': f.cacheControl,
      'content-security-policy': STATUS_CSP,
    });
    res.end(f.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    requested,
    set: (next) => {
      byPath = new Map(next.map((f) => [`/${f.path}`, f]));
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** The product's own Chromium flags (no background traffic, no sandbox as root). */
export const CHROMIUM_ARGS = QUIET_FLAGS;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.WATCHPOST_CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}
