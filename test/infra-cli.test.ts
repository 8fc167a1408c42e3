/**
 * The CDK app through the real CDK CLI, as a user runs it on a fresh clone: no AWS credentials,
 * no network, bundling with the local esbuild. One synth of the test fixture, and an invalid
 * config that must stop synth with every diagnostic.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importConfig } from '../shared/config/load';
import { formatDiagnostic } from '../shared/config/schema';
import { parseConfig, validateConfig } from '../shared/config/validate';
import { BUNDLED_CONFIG_FILE } from '../shared/runtime-env';
import { bundledConfigJson } from '../infra/runner';
import { TEMPLATE_LIMITS } from '../infra/limits';

const out = mkdtempSync(join(tmpdir(), 'watchpost-synth-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** The environment of a machine without AWS credentials (and no metadata service to ask). */
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_VERSION_CHECK: 'true',
  };
  for (const k of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'AWS_DEFAULT_PROFILE',
    'CDK_DEFAULT_ACCOUNT',
    'CDK_DEFAULT_REGION',
  ])
    delete env[k];
  return env;
}

function cdk(args: string[]) {
  return spawnSync('npx', ['cdk', ...args], {
    cwd: process.cwd(),
    env: offlineEnv(),
    encoding: 'utf8',
    timeout: 110_000,
  });
}

describe('cdk synth through the CLI', () => {
  it('synthesizes every stack offline and bundles the runner with the validated config', async () => {
    const r = cdk(['synth', '--quiet', '--no-notices', '-o', out, '-c', 'config=test/fixtures/configs/shop.ts']);
    expect(r.status, r.stderr).toBe(0);

    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    const stacks = Object.entries(manifest.artifacts as Record<string, any>).filter(
      ([, a]) => a.type === 'aws:cloudformation:stack',
    );
    expect(stacks.map(([name]) => name).sort()).toEqual(
      [
        'shop-watchpost-home',
        'shop-watchpost-alarms-1',
        'shop-watchpost-dashboard',
        'shop-watchpost-probe-eu-central-1',
        'shop-watchpost-probe-us-east-1',
        'shop-watchpost-probe-ap-southeast-1',
      ].sort(),
    );
    // No account was available: the stacks are account-agnostic, pinned to their regions.
    expect(stacks.find(([n]) => n === 'shop-watchpost-probe-us-east-1')![1].environment).toBe(
      'aws://unknown-account/us-east-1',
    );

    const template = JSON.parse(readFileSync(join(out, 'shop-watchpost-probe-us-east-1.template.json'), 'utf8'));
    const fn = Object.values(template.Resources as Record<string, any>).find(
      (r) => r.Type === 'AWS::Lambda::Function',
    )!;
    const assetDir = join(out, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
    expect(existsSync(join(assetDir, 'index.mjs'))).toBe(true);
    expect(readFileSync(join(assetDir, 'index.mjs'), 'utf8')).toMatch(/export\s*\{[^}]*handler/);
    const config = parseConfig(await importConfig('test/fixtures/configs/shop.ts'));
    expect(readFileSync(join(assetDir, BUNDLED_CONFIG_FILE), 'utf8')).toBe(bundledConfigJson(config));
    // The bundle loads in a bare Node (no node_modules) and reads its config as the Lambda would.
    const loaded = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(join(assetDir, 'index.mjs'))}); const rt = m.init(); ` +
          `console.log(JSON.stringify({ project: rt.config.project, checks: rt.config.checks.length }))`,
      ],
      {
        cwd: tmpdir(),
        env: {
          ...offlineEnv(),
          AWS_REGION: 'us-east-1',
          LAMBDA_TASK_ROOT: assetDir,
          WATCHPOST_TABLE: 'shop-watchpost-results',
          WATCHPOST_HOME_REGION: 'eu-central-1',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
        encoding: 'utf8',
      },
    );
    expect(loaded.status, loaded.stderr).toBe(0);
    expect(JSON.parse(loaded.stdout.trim().split('\n').pop()!)).toEqual({
      project: config.project,
      checks: config.checks.length,
    });
    // The email probe is a file of its own, loaded by the first email check; the mail libraries'
    // charset tables in it are replaced by the stand-ins (shared/bundle-shims).
    expect(readFileSync(join(assetDir, 'index.mjs'), 'utf8')).toContain('./email-probe.mjs');
    expect(readFileSync(join(assetDir, 'index.mjs'), 'utf8')).not.toContain('imapflow');
    expect(readFileSync(join(assetDir, 'email-probe.mjs'), 'utf8')).toContain('(watchpost bundle)');
    const email = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(join(assetDir, 'email-probe.mjs'))}); console.log(typeof m.runEmail)`,
      ],
      { cwd: tmpdir(), env: offlineEnv(), encoding: 'utf8' },
    );
    expect(email.stdout.trim(), email.stderr).toBe('function');

    for (const [name] of stacks) {
      const file = join(out, `${name}.template.json`);
      expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')).Resources).length).toBeLessThanOrEqual(
        TEMPLATE_LIMITS.resources,
      );
      expect(readFileSync(file).length).toBeLessThanOrEqual(TEMPLATE_LIMITS.bytes);
    }
  }, 120_000);

  it('stops on an invalid config with the diagnostics `watchpost validate` prints', async () => {
    const file = 'test/fixtures/configs/invalid.ts';
    const r = cdk(['synth', '--quiet', '--no-notices', '-o', join(out, 'invalid'), '-c', `config=${file}`]);
    expect(r.status).not.toBe(0);
    const v = validateConfig(await importConfig(file));
    expect(v.ok).toBe(false);
    const expected = v.ok ? [] : v.diagnostics.map(formatDiagnostic);
    expect(expected.length).toBeGreaterThanOrEqual(4);
    expect(r.stderr).toContain(`${file}: invalid config, ${expected.length} problems:`);
    for (const line of expected) expect(r.stderr).toContain(line);
  }, 120_000);
});
