/**
 * On-call locally: `watchpost dev` with a dead backend under dependent checks prints one page
 * (the backend's, counting its dependents), `watchpost ack --local` acknowledges it while dev
 * runs, the dashboard shows it, and `watchpost pages` lists what was paged.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';

const BIN = join(__dirname, '..', 'bin', 'watchpost.mjs');
const env = { ...process.env, NO_COLOR: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

function cli(args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** A loopback port nothing listens on (bound, then closed): connections are refused at once. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const waitFor = (read: () => string, re: RegExp, what: string, ms = 60_000) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not show in time:\n${read()}`)), ms);
    const poll = setInterval(() => {
      if (re.test(read())) {
        clearTimeout(timer);
        clearInterval(poll);
        resolve();
      }
    }, 100);
  });

describe('watchpost dev with dependsOn', () => {
  it('prints one page for a dead backend and its dependents, acknowledgeable from the CLI', {
    timeout: 120_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wp-oncall-dev-'));
    const url = `http://127.0.0.1:${await deadPort()}`;
    const http = (id: string, path: string, dependsOn?: string[]) =>
      JSON.stringify({ id, kind: 'http', url: `${url}${path}`, timeout: '2s', ...(dependsOn ? { dependsOn } : {}) });
    writeFileSync(
      join(dir, 'watchpost.config.mjs'),
      `export default {
  project: 'shop', homeRegion: 'eu-central-1', regions: ['eu-central-1'],
  notify: { critical: { repeat: '30m' } },
  checks: [${[
    http('shop-api', '/health'),
    http('shop-cart', '/cart', ['shop-api']),
    http('shop-search', '/search', ['shop-api']),
    http('shop-checkout', '/checkout', ['shop-cart']),
  ].join(', ')}],
};\n`,
    );
    const data = join(dir, 'data');
    const args = ['--config', 'watchpost.config.mjs', '--data', data];
    const child = spawn(process.execPath, [BIN, 'dev', ...args, '--port', '0', '--ping-port', '0'], { cwd: dir, env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    await waitFor(() => out, /page DOWN shop-api/, 'the backend page');
    // The dependents' results are in and settled: still one page.
    await waitFor(() => out, /counted on the page of shop-api[\s\S]*counted[\s\S]*counted/, 'the dependents');
    const pages = out.split('\n').filter((l) => /^\s+page /.test(l));
    expect(pages).toHaveLength(1);
    expect(pages[0]).toMatch(/page DOWN shop-api local connection refused since \S+ \(\+3 dependent checks down\)/);
    expect(pages[0]).toMatch(/ack http:\/\/127\.0\.0\.1:\d+\/ack\//);

    const ack = await cli(['ack', 'shop-api', '--local', '--by', 'ana', ...args], dir);
    expect(ack.stderr).toBe('');
    expect(ack.stdout).toContain('acknowledged down:shop-api as ana, until it recovers');
    const dashboard = out.match(/dashboard (http:\/\/127\.0\.0\.1:\d+\/)/)![1];
    const state = (await (await fetch(`${dashboard}api/state`)).json()) as {
      checks: Array<{ id: string; page?: { state: string; acked?: string; parent?: string } }>;
    };
    const page = (id: string) => state.checks.find((c) => c.id === id)!.page;
    expect(page('shop-api')).toMatchObject({ state: 'paged', acked: 'acked by ana' });
    expect(page('shop-cart')).toMatchObject({ state: 'suppressed', parent: 'shop-api' });
    const again = await cli(['ack', 'shop-apx', '--local', ...args], dir);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('did you mean "shop-api"?');

    child.kill('SIGINT');
    await new Promise((r) => child.once('close', r));
    const trail = await cli(['pages', '--json', ...args], dir);
    const entries = JSON.parse(trail.stdout) as Array<{ channel: string; word: string; subject: string; ok: boolean }>;
    expect(entries.map((e) => `${e.channel} ${e.word} ${e.subject} ${e.ok}`)).toEqual(['console DOWN shop-api true']);
    const text = await cli(['pages', '--since', '1h', ...args], dir);
    expect(text.stdout).toMatch(/1 page deliveries in the last 1h/);
    expect((await cli(['pages', '--since', 'soon', ...args], dir)).stderr).toContain(
      '--since "soon" is not a duration',
    );
  });
});
