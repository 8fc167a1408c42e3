/**
 * `watchpost init` and the `watchpost/cdk` construct from this checkout (test/package.test.ts runs
 * both from the packed tarball): what init writes, adds and leaves alone, its mistakes, and the
 * construct's stacks and diagnostics.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { Watchpost } from '../infra/cdk';
import { projectDependencies } from '../shared/cli/init';
import type { WatchpostConfig } from '../shared/config/types';

const BIN = join(__dirname, '..', 'bin', 'watchpost.mjs');
const work = mkdtempSync(join(tmpdir(), 'wp-init-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cli = (args: string[], cwd = work) =>
  spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

/** `import 'watchpost'` in a scaffolded config resolves to this checkout, as after `npm install`. */
function linkWatchpost(dir: string) {
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  symlinkSync(join(__dirname, '..'), join(dir, 'node_modules', 'watchpost'));
}

describe('watchpost init', { timeout: 90_000 }, () => {
  it('scaffolds a project whose config validates, with a check of --url', () => {
    const r = cli(['init', 'shop', '--url', 'http://127.0.0.1:9/health']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('watchpost init: project "shop" in shop');
    for (const f of ['package.json', 'watchpost.config.ts', 'cdk.json', 'tsconfig.json', '.gitignore', 'README.md'])
      expect(r.stdout).toContain(`created ${f}`);
    const dir = join(work, 'shop');
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(pkg.dependencies).toEqual(projectDependencies().dependencies);
    expect(pkg.devDependencies['aws-cdk-lib']).toBe(projectDependencies().devDependencies['aws-cdk-lib']);
    expect(JSON.parse(readFileSync(join(dir, 'cdk.json'), 'utf8')).app).toBe('npx watchpost cdk-app');
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toContain('.watchpost/');
    linkWatchpost(dir);
    const v = cli(['validate'], dir);
    expect(v.status, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toContain('1 check (1 enabled) in 2 regions');
  });

  it('adds only what an existing package.json and .gitignore lack, and skips every other file that exists', () => {
    const dir = join(work, 'existing');
    mkdirSync(dir);
    const ours = {
      name: 'ours',
      version: '1.0.0',
      scripts: { start: 'node server.js' },
      devDependencies: { constructs: '10.0.0' },
    };
    writeFileSync(join(dir, 'package.json'), JSON.stringify(ours));
    writeFileSync(join(dir, '.gitignore'), 'node_modules\ndist/');
    writeFileSync(join(dir, 'README.md'), '# ours\n');
    const r = cli(['init', 'existing']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/updated package\.json \(added watchpost, aws-cdk, aws-cdk-lib, script validate/);
    expect(r.stdout).toContain('updated .gitignore (added cdk.out/ .watchpost/ *.log)');
    expect(r.stdout).toContain('skipped README.md (exists, left as it is)');
    expect(r.stdout).toContain('the check in watchpost.config.ts is an example');
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(pkg.scripts.start).toBe('node server.js');
    expect(pkg.devDependencies.constructs).toBe('10.0.0');
    expect(pkg.name).toBe('ours');
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe('# ours\n');
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toBe('node_modules\ndist/\ncdk.out/\n.watchpost/\n*.log\n');
    expect(readFileSync(join(dir, 'watchpost.config.ts'), 'utf8')).toContain('project: "existing"');

    const again = cli(['init', 'existing']);
    expect(again.stdout).toContain('skipped package.json (has everything)');
    expect(again.stdout).toContain('skipped watchpost.config.ts (exists, left as it is)');
  });

  it.each([
    [['init', '--url', 'shop.example.com'], '--url "shop.example.com" is not a URL'],
    [['init', '--url', 'ftp://x.example/'], 'http:// or https://'],
    [['init', 'a', '--project', 'Shop_1'], '--project "Shop_1": expected lower-case letters'],
    [['init', 'a', 'b'], 'takes one folder, got 2'],
    [['init', '--ulr', 'x'], 'did you mean --url?'],
  ])('%j is a mistake named in one line, exit 2', (args, message) => {
    const r = cli(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a broken package.json is named, not overwritten', () => {
    const dir = join(work, 'broken');
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), '{ "name": ');
    const r = cli(['init', 'broken']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/broken\/package\.json is not valid JSON/);
    expect(readFileSync(join(dir, 'package.json'), 'utf8')).toBe('{ "name": ');
  });
});

const CONFIG: WatchpostConfig = {
  project: 'shop',
  homeRegion: 'eu-central-1',
  regions: ['eu-central-1', 'us-east-1'],
  checks: [{ id: 'home', kind: 'http', url: 'https://shop.example.com/' }],
};

describe('watchpost/cdk', { timeout: 90_000 }, () => {
  const app = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

  it('adds the home, alarms, dashboard and probe stacks beside the app’s own, with watchpost’s names', () => {
    const a = app();
    new Stack(a, 'Existing');
    const wp = new Watchpost(a, 'Monitoring', { config: CONFIG });
    const names = a.node
      .findAll()
      .filter((c): c is Stack => Stack.isStack(c))
      .map((s) => s.stackName)
      .sort();
    expect(names).toEqual(
      [
        'Existing',
        'shop-watchpost-alarms-1',
        'shop-watchpost-dashboard',
        'shop-watchpost-home',
        'shop-watchpost-probe-eu-central-1',
        'shop-watchpost-probe-us-east-1',
      ].sort(),
    );
    expect(wp.stacks.probes.get('us-east-1')!.region).toBe('us-east-1');
    expect(wp.config.checks[0]!.frequency).toBeDefined();
  });

  it('two projects in one app each ship their own config in their Lambdas', () => {
    const a = new App({ outdir: mkdtempSync(join(work, 'two-')) });
    new Watchpost(a, 'Shop', { config: { ...CONFIG, regions: ['eu-central-1'] } });
    new Watchpost(a, 'Blog', { config: { ...CONFIG, project: 'blog', regions: ['eu-central-1'] } });
    const assembly = a.synth();
    for (const project of ['shop', 'blog']) {
      const stack = assembly.stacks.find((s) => s.stackName === `${project}-watchpost-probe-eu-central-1`)!;
      const fn = Object.values(stack.template.Resources as Record<string, any>).find(
        (r) => r.Type === 'AWS::Lambda::Function',
      );
      const asset = join(assembly.directory, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
      expect(JSON.parse(readFileSync(join(asset, 'watchpost.config.json'), 'utf8')).project).toBe(project);
    }
  }, 300_000);

  it('takes a config file path, loaded and validated as the CLI does', () => {
    const file = join(work, 'construct.config.mjs');
    writeFileSync(file, `export default ${JSON.stringify(CONFIG)};\n`);
    const wp = new Watchpost(app(), 'Monitoring', { config: file });
    expect(wp.stacks.home.stackName).toBe('shop-watchpost-home');
  });

  it('throws every problem of an invalid config at once, as `watchpost validate` words them, no stack', () => {
    const bad = { ...CONFIG, project: 'Shop', checks: [{ id: 'a', kind: 'htp' }] } as unknown as WatchpostConfig;
    let err: Error | undefined;
    try {
      new Watchpost(app(), 'Monitoring', { config: bad });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).toContain('invalid config, 2 problems');
    expect(err?.message).toContain('checks[0] "a".kind: unknown kind "htp" — hint: did you mean "http"?');
    expect(err?.stack).not.toMatch(/\n\s+at /);

    const file = join(work, 'bad.config.mjs');
    writeFileSync(file, `export default ${JSON.stringify(bad)};\n`);
    expect(() => new Watchpost(app(), 'Monitoring', { config: file })).toThrow(
      /bad\.config\.mjs: invalid config, 2 problems/,
    );
    expect(() => new Watchpost(app(), 'Monitoring', { config: join(work, 'missing.ts') })).toThrow(
      /config file not found: .*missing\.ts/,
    );
  });
});
