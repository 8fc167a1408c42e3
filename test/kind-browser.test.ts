/**
 * The `browser` kind in a real headless Chromium (Debian's, driven by playwright-core) against
 * the demo shop on loopback: a passing journey, a broken button, a slow paint, a page that
 * throws, a hung page, a script journey, artifacts with secrets masked and redacted.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ValidatedCheck } from '../shared/config/types';
import { validateConfig } from '../shared/config/validate';
import { startDemoTarget, type DemoTarget } from '../shared/demo/target';
import { ARTIFACTS_DIR_ENV } from '../shared/probes/browser/artifacts';
import { runCheck } from '../shared/runner/run-check';
import type { CheckResult } from '../shared/types';

const ROOT = join(__dirname, '..');
const PASSWORD = 'hunter2-Very-Secret-77';
const secrets = async (name: string) => {
  if (name === 'shop-password') return PASSWORD;
  throw new Error(`no secret ${name}`);
};
let shop: DemoTarget;
let artifacts: string;

beforeAll(async () => {
  shop = await startDemoTarget(0);
  artifacts = mkdtempSync(join(tmpdir(), 'wp-artifacts-'));
  process.env[ARTIFACTS_DIR_ENV] = artifacts;
});
afterAll(async () => {
  await shop?.close();
  delete process.env[ARTIFACTS_DIR_ENV];
  rmSync(artifacts, { recursive: true, force: true });
});

function check(fields: Record<string, unknown>, file?: string): ValidatedCheck {
  const r = validateConfig(
    {
      project: 't',
      homeRegion: 'eu-west-1',
      regions: ['eu-west-1'],
      checks: [{ id: 'ui', kind: 'browser', ...fields }],
    },
    { file },
  );
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.config.checks[0]!;
}
const run = (c: ValidatedCheck): Promise<CheckResult> => runCheck(c, { region: 'eu-west-1', secrets });
const cartSteps = (mode = '') => [
  { goto: `${shop.url}/shop${mode && `?mode=${mode}`}` },
  { fill: { selector: '#password', value: { secret: 'shop-password' } } },
  { click: 'text=Add to cart' },
  { expectText: 'Cart (1)', timeout: '1500ms' },
];
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}
const artifactsOf = (r: CheckResult) => (r.details?.artifacts ?? []) as Array<{ name: string; location: string }>;

describe('browser kind', () => {
  it('passes a working journey and measures steps and web vitals', async () => {
    const r = await run(
      check({
        steps: cartSteps(),
        assertions: [
          { source: 'consoleErrors', comparison: 'equals', target: 0 },
          { source: 'title', comparison: 'equals', target: 'Demo Shop' },
        ],
      }),
    );
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('pass');
    expect(Object.keys(r.timings)).toEqual(expect.arrayContaining(['launch', 'step1', 'step4', 'ttfb', 'fcp', 'lcp']));
    expect(r.timings.lcp).toBeGreaterThan(0);
    expect(r.metrics.LargestContentfulPaint).toBe(r.timings.lcp);
    expect(r.assertions.every((a) => a.pass)).toBe(true);
    expect(artifactsOf(r)).toEqual([]);
  });

  it('names the failing step of a dead button; keeps a masked screenshot and a redacted trace', async () => {
    const r = await run(check({ steps: cartSteps('broken') }));
    expect(r.status).toBe('fail');
    expect(r.error).toEqual({ code: 'STEP', message: 'step 4 expectText "Cart (1)": not found within 1.5s' });
    const kept = artifactsOf(r);
    expect(kept.map((a) => a.name).sort()).toEqual(['failure.png', 'trace.zip']);
    for (const a of kept) expect(a.location.startsWith(artifacts)).toBe(true);
    const png = readFileSync(kept.find((a) => a.name === 'failure.png')!.location);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    const zip = unzipSync(readFileSync(kept.find((a) => a.name === 'trace.zip')!.location));
    const text = Object.values(zip)
      .map((d) => strFromU8(d))
      .join('\n');
    expect(text).toContain('Add to cart');
    expect(text).not.toContain(PASSWORD);
    expect(JSON.stringify(r)).not.toContain(PASSWORD);
  });

  it('is degraded (LCP_SLOW) when the page paints later than lcpAfter', async () => {
    const r = await run(
      check({ steps: [{ goto: `${shop.url}/shop?mode=slow` }, { expectText: 'Fresh merch' }], lcpAfter: '800ms' }),
    );
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('degraded');
    expect(r.degraded?.code).toBe('LCP_SLOW');
    expect(r.timings.lcp).toBeGreaterThan(800);
  });

  it('counts the errors a page throws, for a consoleErrors assertion', async () => {
    const r = await run(
      check({
        steps: [{ goto: `${shop.url}/shop?mode=throws` }, { expectText: 'Fresh merch' }],
        assertions: [{ source: 'consoleErrors', comparison: 'equals', target: 0 }],
      }),
    );
    expect(r.status).toBe('fail');
    expect(r.error?.code).toBe('ASSERTION');
    expect(r.assertions[0]).toMatchObject({ source: 'consoleErrors', actual: 1, pass: false });
    expect(JSON.stringify(r.details)).toContain('checkout widget failed to load');
  });

  it('ends a hung page at the check timeout, naming the step', async () => {
    const r = await run(check({ timeout: '4s', steps: [{ goto: `${shop.url}/shop/hang` }] }));
    expect(r.status).toBe('fail');
    expect(r.error?.code).toBe('TIMEOUT');
    expect(r.error?.message).toMatch(
      /^step 1 goto http:\/\/127\.0\.0\.1:\d+\/shop\/hang: did not finish within the check's timeout 4s$/,
    );
  });

  it('reports a refused connection in the words every kind uses', async () => {
    const port = await closedPort();
    const r = await run(check({ steps: [{ goto: `http://127.0.0.1:${port}/` }] }));
    expect(r.error?.code).toBe('CONNECT_REFUSED');
    expect(r.error?.message).toMatch(new RegExp(`^step 1 goto http://127\\.0\\.0\\.1:${port}/: `));
  });

  it('runs a journey script, with its named steps, and reports a throw with file:line', async () => {
    const file = join(__dirname, 'fixtures', 'watchpost.config.ts');
    const fields = {
      script: './browser/cart-journey.ts',
      secrets: { password: { secret: 'shop-password' } },
      vars: { base: shop.url },
    };
    const ok = await run(check(fields, file));
    expect(ok.error).toBeUndefined();
    expect(ok.status).toBe('pass');
    expect(((ok.details?.steps ?? []) as Array<{ name: string }>).map((s) => s.name)).toEqual([
      '"open shop"',
      '"sign in"',
      '"add to cart"',
    ]);
  });

  it('reports a script error with its file:line and keeps a screenshot (watchpost run)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wp-browser-cli-'));
    try {
      mkdirSync(join(dir, 'checks'));
      copyFileSync(join(__dirname, 'fixtures', 'browser', 'cart-journey.ts'), join(dir, 'checks', 'cart.ts'));
      // The fixture imports the kind's types by a relative path; a user's script imports them from 'watchpost'.
      writeFileSync(
        join(dir, 'checks', 'cart.ts'),
        readFileSync(join(dir, 'checks', 'cart.ts'), 'utf8').replace(
          /from '[^']+'/,
          `from '${ROOT}/shared/probes/browser'`,
        ),
      );
      const config = {
        project: 'cli',
        homeRegion: 'eu-west-1',
        regions: ['eu-west-1'],
        checks: [
          {
            id: 'cart-ui',
            kind: 'browser',
            script: './checks/cart.ts',
            secrets: { password: { secret: 'shop-password' } },
            vars: { base: shop.url, fail: 'yes' },
          },
        ],
      };
      writeFileSync(join(dir, 'watchpost.config.json'), JSON.stringify(config));
      const out = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          [join(ROOT, 'bin', 'watchpost.mjs'), 'run', '--config', 'watchpost.config.json', '--json', '--no-store'],
          {
            cwd: dir,
            env: {
              ...process.env,
              WATCHPOST_SECRET_SHOP_PASSWORD: PASSWORD,
              [ARTIFACTS_DIR_ENV]: join(dir, 'artifacts'),
            },
          },
        );
        let stdout = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.on('close', (code) => resolve({ code, stdout }));
      });
      expect(out.code).toBe(1);
      expect(out.stdout).not.toContain(PASSWORD);
      const parsed = JSON.parse(out.stdout);
      const [result] = (Array.isArray(parsed) ? parsed : parsed.results) as CheckResult[];
      expect(result!.error).toEqual({ code: 'SCRIPT', message: 'checks/cart.ts:13: the cart shows the wrong total' });
      const shot = artifactsOf(result!).find((a) => a.name === 'failure.png');
      expect(shot && existsSync(shot.location)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('browser config', () => {
  const problems = (fields: Record<string, unknown>) => {
    const r = validateConfig(
      {
        project: 't',
        homeRegion: 'eu-west-1',
        regions: ['eu-west-1'],
        checks: [{ id: 'ui', kind: 'browser', ...fields }],
      },
      { file: join(__dirname, 'fixtures', 'watchpost.config.ts') },
    );
    return r.ok ? [] : r.diagnostics.map((d) => `${d.path}: ${d.message}${d.hint ? ` — ${d.hint}` : ''}`);
  };
  it('names a mistyped action with a did-you-mean', () => {
    expect(problems({ steps: [{ goto: 'https://shop.example.com/' }, { clik: '#add' }] })).toEqual([
      'checks[0] "ui".steps[1].clik: expected a step with one action: goto, click, fill, press, waitFor, ' +
        'expectText, expectUrl, screenshot — did you mean "click"?',
    ]);
  });
  it('wants steps or a script, an existing script, and a first step that opens a page', () => {
    expect(problems({})).toEqual([expect.stringContaining('a browser check needs steps or a script')]);
    expect(problems({ script: './nope.ts' })).toEqual([expect.stringContaining('script: no such file: ./nope.ts')]);
    expect(problems({ steps: [{ click: '#add' }] })).toEqual([
      expect.stringContaining('the first step must open a page'),
    ]);
  });
});
