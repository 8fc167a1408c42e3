/**
 * watchpost as a user gets it (issue 13): build and pack this repository, install the tarball into
 * an empty folder from the npm cache (no registry needed), then in that folder `watchpost init`,
 * `validate`, `run` and `dev` against a loopback server, `cdk synth` offline, and a small existing
 * CDK app that adds the `watchpost/cdk` construct. One build, one pack and one install serve every
 * step; a failing step says which step it was.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectDependencies } from '../shared/cli/init';
import { BUNDLED_CONFIG_FILE } from '../shared/runtime-env';
import { projectLock } from './helpers/project-lock';

const REPO = join(__dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'wp-package-'));
const project = join(work, 'monitoring');
let server: Server;
let url = '';

/** No AWS credentials, no account, no version check: what `cdk synth` offline means. */
function offlineEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_VERSION_CHECK: 'true',
    NO_COLOR: '1',
  };
  for (const k of Object.keys(env))
    if (/^(AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|PROFILE|DEFAULT_PROFILE)|CDK_DEFAULT_)/.test(k))
      delete env[k];
  return env;
}

interface Done {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking this process (the loopback server must answer meanwhile). */
function run(cmd: string, args: string[], cwd: string, timeoutMs = 300_000): Promise<Done> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: offlineEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** One named step that must exit 0; its failure names the step and shows what it printed. */
async function step(name: string, cmd: string, args: string[], cwd = project, timeoutMs?: number): Promise<Done> {
  const r = await run(cmd, args, cwd, timeoutMs);
  if (r.status !== 0)
    throw new Error(`step "${name}" failed (exit ${r.status}): ${cmd} ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
  return r;
}

const watchpost = (args: string[], cwd = project) => run('npx', ['--no', 'watchpost', ...args], cwd);

beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'text/plain' });
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;

  await step('build (npm run build)', 'npm', ['run', 'build', '--silent'], REPO, 600_000);
  const packed = await step(
    'pack (npm pack)',
    'npm',
    ['pack', '--ignore-scripts', '--json', '--pack-destination', work],
    REPO,
  );
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  writeFileSync(join(work, 'files.json'), JSON.stringify(info!.files.map((f) => f.path)));

  // The project depends on the tarball, and on the CDK at the versions `watchpost init` writes.
  mkdirSync(project);
  const spec = `file:../${info!.filename}`;
  const pkg = {
    name: 'monitoring',
    private: true,
    type: 'module',
    dependencies: { watchpost: spec },
    devDependencies: projectDependencies().devDependencies,
  };
  writeFileSync(join(project, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  const registry = (await step('npm config get registry', 'npm', ['config', 'get', 'registry'], work)).stdout.trim();
  const lock = projectLock(REPO, registry, pkg, {
    spec,
    version: projectDependencies().dependencies.watchpost!.slice(1),
  });
  writeFileSync(join(project, 'package-lock.json'), JSON.stringify(lock, null, 2));
  await step('install (npm ci --offline)', 'npm', ['ci', '--offline', '--no-audit', '--no-fund'], project, 600_000);
}, 1_200_000);

afterAll(() => {
  server?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('ships compiled JavaScript, types, the bin and the prebuilt Lambdas, and no TypeScript sources', () => {
    const files = JSON.parse(readFileSync(join(work, 'files.json'), 'utf8')) as string[];
    for (const f of [
      'bin/watchpost.mjs',
      'dist/shared/index.js',
      'dist/shared/index.d.ts',
      'dist/infra/cdk.js',
      'dist/infra/cdk.d.ts',
      'dist/lambda/runner/index.mjs',
      'dist/lambda/runner/email-probe.mjs',
      'dist/lambda/notifier/index.mjs',
      'dist/shared/cli/dashboard/index.html',
    ])
      expect(files, f).toContain(f);
    expect(files.filter((f) => /\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('test/') || f.startsWith('node_modules/'))).toEqual([]);
  });
});

describe('a project made by watchpost init', { timeout: 240_000 }, () => {
  it('init scaffolds without overwriting, adding only what package.json lacks', async () => {
    const r = await watchpost(['init', '--url', url]);
    expect(r.status, `step "init": ${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/updated package\.json \(added script validate/);
    for (const f of ['watchpost.config.ts', 'cdk.json', '.gitignore', 'README.md'])
      expect(r.stdout).toContain(`created ${f}`);
    const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
    expect(pkg.dependencies.watchpost, 'the installed tarball stays').toMatch(/^file:/);
    expect(readFileSync(join(project, 'watchpost.config.ts'), 'utf8')).toContain(JSON.stringify(url));
    expect(readFileSync(join(project, 'README.md'), 'utf8')).toContain('npx cdk deploy --all');

    // Again: every file is kept as it is, and said so.
    writeFileSync(join(project, 'README.md'), '# ours\n');
    const again = await watchpost(['init', '--url', 'https://other.example/']);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/skipped watchpost\.config\.ts \(exists, left as it is\)/);
    expect(again.stdout).toMatch(/skipped README\.md/);
    expect(readFileSync(join(project, 'README.md'), 'utf8')).toBe('# ours\n');
    expect(readFileSync(join(project, 'watchpost.config.ts'), 'utf8')).toContain(JSON.stringify(url));
  });

  it('init in a new folder writes package.json with watchpost and the CDK at the tested versions', async () => {
    const r = await watchpost(['init', join(work, 'fresh'), '--project', 'shop-monitoring']);
    expect(r.status, `step "init fresh": ${r.stderr}`).toBe(0);
    const pkg = JSON.parse(readFileSync(join(work, 'fresh', 'package.json'), 'utf8'));
    expect(pkg.dependencies).toEqual(projectDependencies().dependencies);
    expect(pkg.devDependencies).toEqual(projectDependencies().devDependencies);
    expect(readFileSync(join(work, 'fresh', 'watchpost.config.ts'), 'utf8')).toMatch(/EXAMPLE — replace/);
    const bad = await watchpost(['init', join(work, 'x'), '--project', 'Shop!']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--project "Shop!"');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  it('validate and run work against a loopback server with the TypeScript config', async () => {
    const v = await watchpost(['validate']);
    expect(v.status, `step "validate": ${v.stdout}${v.stderr}`).toBe(0);
    expect(v.stdout).toContain('watchpost.config.ts: 1 check (1 enabled)');
    const r = await watchpost(['run']);
    expect(r.status, `step "run": ${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/PASS\s+home\s+http/);
  });

  it('dev runs the check on its schedule and stops on Ctrl-C', async () => {
    // The bin npx runs, started directly so that Ctrl-C (SIGINT) reaches it.
    const bin = join(project, 'node_modules', '.bin', 'watchpost');
    const child = spawn(process.execPath, [bin, 'dev', '--port', '0', '--ping-port', '0'], {
      cwd: project,
      env: offlineEnv(),
    });
    const closed = new Promise((r) => child.once('close', r));
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          clearInterval(poll);
          reject(new Error(`step "dev" showed no PASS in time:\n${out}`));
        }, 150_000);
        const poll = setInterval(() => {
          if (/PASS\s+home/.test(out)) {
            clearInterval(poll);
            clearTimeout(timer);
            resolve();
          }
        }, 100);
      });
    } finally {
      child.kill('SIGINT');
      const stopped = await Promise.race([closed.then(() => true), new Promise((r) => setTimeout(r, 15_000, false))]);
      if (!stopped) child.kill('SIGKILL');
      expect(stopped, `step "dev" did not stop on Ctrl-C:\n${out}`).toBe(true);
    }
  }, 240_000);

  it('cdk synth works offline with the prebuilt handlers and the validated config in the asset', async () => {
    await step('cdk synth', 'npx', ['--no', 'cdk', 'synth', '--quiet', '--no-notices', '-o', 'cdk.out']);
    const manifest = JSON.parse(readFileSync(join(project, 'cdk.out', 'manifest.json'), 'utf8'));
    const stacks = Object.keys(manifest.artifacts).filter(
      (k) => manifest.artifacts[k].type === 'aws:cloudformation:stack',
    );
    expect(stacks).toEqual(
      expect.arrayContaining(['monitoring-watchpost-home', 'monitoring-watchpost-probe-us-east-1']),
    );
    const template = JSON.parse(
      readFileSync(join(project, 'cdk.out', 'monitoring-watchpost-probe-us-east-1.template.json'), 'utf8'),
    );
    const fn = Object.values(template.Resources as Record<string, any>).find((r) => r.Type === 'AWS::Lambda::Function');
    const asset = join(project, 'cdk.out', `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
    expect(existsSync(join(asset, 'index.mjs'))).toBe(true);
    expect(JSON.parse(readFileSync(join(asset, BUNDLED_CONFIG_FILE), 'utf8')).checks[0].url).toBe(url);
  }, 300_000);

  it('an existing CDK app adds the stacks with `new Watchpost(app, id, { config })`', async () => {
    writeFileSync(
      join(project, 'existing-app.mjs'),
      `import { App, Stack } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Watchpost } from 'watchpost/cdk';
const app = new App({ outdir: process.argv[2] });
new sns.Topic(new Stack(app, 'Existing'), 'Topic');
new Watchpost(app, 'Monitoring', { config: process.argv[3] });
app.synth();
`,
    );
    await step('existing CDK app with the construct', 'node', [
      'existing-app.mjs',
      'existing.out',
      'watchpost.config.ts',
    ]);
    const manifest = JSON.parse(readFileSync(join(project, 'existing.out', 'manifest.json'), 'utf8'));
    const names = Object.values(manifest.artifacts as Record<string, any>)
      .filter((a) => a.type === 'aws:cloudformation:stack')
      .map((a) => a.displayName ?? '');
    expect(names).toEqual(expect.arrayContaining(['Existing', 'Monitoring/monitoring-watchpost-home']));

    writeFileSync(
      join(project, 'broken.config.mjs'),
      "export default { project: 'Bad', homeRegion: 'eu-central-1', regions: ['eu-central-1'],\n" +
        "  checks: [{ id: 'a', kind: 'htp' }] };\n",
    );
    const bad = await run('node', ['existing-app.mjs', 'broken.out', 'broken.config.mjs'], project);
    expect(bad.status, 'step "existing app, invalid config"').not.toBe(0);
    expect(bad.stderr).toContain('broken.config.mjs: invalid config, 2 problems');
    expect(bad.stderr).toContain('checks[0] "a".kind: unknown kind "htp" — hint: did you mean "http"?');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  }, 300_000);
});
