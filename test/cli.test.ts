/**
 * The CLI as a user runs it: `watchpost run`, `validate`, `history` and `dev` (npm start) as
 * child processes, against real servers on loopback and the embedded store.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { CheckResult } from '../shared/types';

const BIN = join(__dirname, '..', 'bin', 'watchpost.mjs');
const env = { ...process.env, NO_COLOR: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
/** Runs the CLI without blocking this process (the test's servers live here). */
function cli(
  args: string[],
  cwd: string,
  extraEnv: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...env, ...extraEnv } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

let server: Server;
let base: string;
let dir: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/ok') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('{"items":[1,2]}');
    }
    res.writeHead(500);
    res.end(`boom ${req.headers['x-token'] ?? ''}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), 'wp-cli-'));
  writeFileSync(
    join(dir, 'watchpost.config.ts'),
    `import { defineConfig, status, json } from 'watchpost';
export default defineConfig({
  project: 'cli',
  homeRegion: 'eu-central-1',
  regions: ['eu-central-1'],
  checks: [
    { id: 'good', kind: 'http', url: '${base}/ok', assertions: [status.equals(200), json('$.items.length').equals(2)] },
    { id: 'bad', kind: 'http', url: '${base}/fail', headers: { 'x-token': { secret: 'cli-token' } },
      assertions: [status.equals(200)] },
  ],
});
`,
  );
  writeFileSync(
    join(dir, 'broken.mjs'),
    `export default { project: 'cli', homeRegion: 'eu-central-1', regions: ['eu-central-1'],
  checks: [{ id: 'x', kind: 'http', url: 'not a url', retires: 2 }, { id: 'x', kind: 'htp' }] };\n`,
  );
  // watchpost.config.ts imports 'watchpost': resolve it to this repo, as in a project that installed it.
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'cli-test', type: 'module', dependencies: { watchpost: `file:${join(__dirname, '..')}` } }),
  );
  const nm = join(dir, 'node_modules');
  mkdirSync(nm, { recursive: true });
  symlinkSync(join(__dirname, '..'), join(nm, 'watchpost'));
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('watchpost run', () => {
  it('prints a table, exits 1 when a check failed, and keeps secrets out', async () => {
    const r = await cli(['run'], dir, { WATCHPOST_SECRET_CLI_TOKEN: 'tok-123456' });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/PASS\s+good\s+http/);
    expect(r.stdout).toMatch(/FAIL\s+bad\s+http\s+.*ASSERTION: assertion failed: status equals 200, got 500/);
    expect(r.stdout).toContain('1 passed, 1 failed');
    expect(r.stdout + r.stderr).not.toContain('tok-123456');
  });

  it('--json prints CheckResults; --check picks checks; exit 0 when none failed', async () => {
    const r = await cli(['run', '--json', '--check', 'good'], dir);
    expect(r.status).toBe(0);
    const results = JSON.parse(r.stdout) as CheckResult[];
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({
      checkId: 'good',
      kind: 'http',
      region: 'local',
      status: 'pass',
      attempts: 1,
      metrics: {},
    });
    expect(Object.keys(results[0]!.timings).sort()).toEqual(['connect', 'dns', 'tls', 'total', 'transfer', 'ttfb']);
    expect(results[0]!.assertions.map((a) => a.pass)).toEqual([true, true]);
  });

  it('names an unknown --check and exits 2', async () => {
    const r = await cli(['run', '--check', 'nope'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no check with id "nope"');
    expect(r.stderr).toContain('known: good, bad');
  });

  it('exits 2 with every diagnostic for an invalid config', async () => {
    const r = await cli(['run', '--config', 'broken.mjs'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('checks[0] "x".retires: unknown key — hint: did you mean "retries"?');
    expect(r.stderr).toContain('checks[0] "x".url: expected an absolute http or https URL, got "not a url"');
    expect(r.stderr).toContain('checks[1] "x".id: duplicate id "x", also used by checks[0]');
    expect(r.stderr).toContain('checks[1] "x".kind: unknown kind "htp" — hint: did you mean "http"?');
  });

  it('says where it looked when the config file is missing', async () => {
    const r = await cli(['run', '--config', 'nowhere.ts'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/config file not found: .*nowhere\.ts/);
  });
});

describe('watchpost validate and history', () => {
  it('validate: exit 0 and a summary for a good config, 2 and the problems for a bad one', async () => {
    const ok = await cli(['validate'], dir);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('watchpost.config.ts: 2 checks (2 enabled) in 1 region, home eu-central-1');
    const bad = await cli(['validate', '--config', 'broken.mjs'], dir);
    expect(bad.status).toBe(2);
    expect(bad.stdout).toContain('broken.mjs: 4 problems');
  });

  it('history: the stored runs of a check, newest first, as a table or JSON', async () => {
    await cli(['run', '--check', 'bad'], dir);
    await cli(['run', '--check', 'bad'], dir);
    const table = await cli(['history', 'bad', '--limit', '2'], dir);
    expect(table.status).toBe(0);
    expect(table.stdout.match(/FAIL/g)).toHaveLength(2);
    const runs = JSON.parse((await cli(['history', 'bad', '--json'], dir)).stdout) as CheckResult[];
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(Date.parse(runs[0]!.scheduledAt)).toBeGreaterThanOrEqual(Date.parse(runs[1]!.scheduledAt));
    const unknown = await cli(['history', 'bda'], dir);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('no check "bda"');
    expect(unknown.stderr).toContain('did you mean "bad"?');
  });
});

describe('watchpost dev (npm start)', () => {
  it('serves the demo shop and shows pass, degraded and fail, then stops cleanly on Ctrl-C', async () => {
    const repo = join(__dirname, '..');
    const data = mkdtempSync(join(tmpdir(), 'wp-dev-'));
    const child = spawn(process.execPath, [BIN, 'dev', '--demo', '--data', data, '--port', '0', '--ping-port', '0'], {
      cwd: repo,
      env: { ...env, WATCHPOST_DEMO_PORT: '0' },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    // Never leave the monitor running when an expectation fails.
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`dev did not show all states in time:\n${out}`)), 60_000);
      const poll = setInterval(() => {
        if (
          /PASS\s+shop-health/.test(out) &&
          /SLOW\s+shop-checkout/.test(out) &&
          /FAIL\s+shop-search/.test(out) &&
          /PASS\s+nightly-export/.test(out)
        ) {
          clearTimeout(timer);
          clearInterval(poll);
          resolve();
        }
      }, 100);
    });
    const dashboard = out.match(/dashboard (http:\/\/127\.0\.0\.1:\d+\/)/)?.[1];
    expect(dashboard).toBeDefined();
    const state = (await (await fetch(`${dashboard}api/state`)).json()) as {
      checks: Array<{ id: string; status: string }>;
    };
    expect(Object.fromEntries(state.checks.map((c) => [c.id, c.status]))).toMatchObject({
      'shop-health': 'pass',
      'shop-checkout': 'degraded',
      'shop-search': 'fail',
      'shop-cart-flow': 'pass',
      'nightly-export': 'pass', // the demo job pinged the local heartbeat endpoint
    });
    const search = (state.checks as Array<{ id: string; recent?: Array<{ status: string }> }>).find(
      (c) => c.id === 'shop-search',
    )!;
    expect(search.recent!.map((r) => r.status)).toContain('fail'); // the dashboard's strip of recent runs
    const page = await (await fetch(dashboard!)).text();
    expect(page).toContain('<title>watchpost — local</title>');
    // The change is announced the way on-call would get it.
    expect(out).toMatch(/page DOWN shop-search local HTTP 503 since/);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(0);
  }, 90_000);
});
