/**
 * The CLI answers a user's mistake with one clear line and exit 2, never a stack trace; and
 * `watchpost dev` shares its store, honours the demo's failure ping and stops at once (issue 9
 * item 10). Every test runs the real CLI as a child process in a temp directory.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';

const REPO = join(__dirname, '..');
const BIN = join(REPO, 'bin', 'watchpost.mjs');
const env = { ...process.env, NO_COLOR: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
type Run = { status: number | null; stdout: string; stderr: string };

function cli(args: string[], cwd: string, extraEnv: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...env, ...extraEnv } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** A user's mistake: exit 2 and no stack frame anywhere. */
function mistake(r: Run): string {
  expect(r.status).toBe(2);
  expect(r.stdout + r.stderr).not.toMatch(/^\s+at /m);
  return r.stderr + r.stdout;
}

const dir = mkdtempSync(join(tmpdir(), 'wp-mistakes-'));
const write = (name: string, text: string) => writeFileSync(join(dir, name), text);
const BASE = { project: 'shop', homeRegion: 'eu-central-1', regions: ['eu-central-1'] };

describe('config files that do not load', () => {
  it('a JSON syntax error: file:line:column and exit 2', async () => {
    write('bad.json', '{\n  "project": "shop",\n  "regions": ["eu-central-1",],\n}\n');
    const out = mistake(await cli(['validate', '--config', 'bad.json'], dir));
    expect(out).toContain(
      'bad.json:3:30: expected another value after the comma (JSON has no trailing commas), found "]"',
    );
  });

  it('a TypeScript config that does not compile, or throws while loading: the file and where', async () => {
    write('broken.ts', 'export default {\n  project: "shop",\n  checks: [ { id: 1 ]\n};\n');
    expect(mistake(await cli(['run', '--config', 'broken.ts'], dir))).toContain(
      'broken.ts:3:20: Expected "}" but found "]"',
    );
    write(
      'throws.mjs',
      'const token = process.env.NOPE;\nif (!token) throw new Error("set NOPE first");\nexport default {};\n',
    );
    expect(mistake(await cli(['validate', '--config', 'throws.mjs'], dir))).toContain(
      'throws.mjs:2:19: set NOPE first',
    );
  });
});

describe('validation reports everything at once', () => {
  it('keys named constructor, toString and __proto__ are unknown keys', async () => {
    write(
      'proto.json',
      JSON.stringify({
        ...BASE,
        constructor: 1,
        checks: [{ id: 'a', kind: 'http', url: 'http://127.0.0.1:1/', toString: 'x' }],
      }).replace('"toString"', '"__proto__":{"retries":9},"toString"'),
    );
    const r = await cli(['validate', '--config', 'proto.json'], dir);
    expect(r.status).toBe(2);
    expect(r.stdout).toContain('constructor: unknown key');
    expect(r.stdout).toContain('checks[0] "a".toString: unknown key');
    expect(r.stdout).toMatch(/checks\[0\] "a"(\.__proto__|\["__proto__"\]): unknown key/);
  });

  it('cross-field problems beside the others, a bad default at its own path, did-you-mean for a kind', async () => {
    write(
      'many.json',
      JSON.stringify({
        ...BASE,
        regions: ['eu-central-1', 'us-east-1', 'eu-west-1'],
        defaults: { frequency: '45s' },
        checks: [
          { id: 'job', kind: 'heartbeat', period: '1h', grace: '5m', token: { secret: 'job-token' }, colour: 'red' },
          { id: 'slow', kind: 'http', url: 'http://127.0.0.1:1/', timeout: '2m', frequency: '1m', retries: 'two' },
          { id: 'port', kind: 'tpc', host: '127.0.0.1', port: 1 },
        ],
      }),
    );
    const r = await cli(['validate', '--config', 'many.json'], dir);
    expect(r.status).toBe(2);
    expect(r.stdout).toContain('checks[0] "job".colour: unknown key');
    expect(r.stdout).toMatch(/checks\[0\] "job"\.regions: a heartbeat check runs in exactly one region .*got 3/);
    expect(r.stdout).toContain('checks[1] "slow".retries: expected an integer');
    expect(r.stdout).toContain('checks[1] "slow".timeout: "2m" is longer than the check\'s frequency "1m"');
    expect(r.stdout).toContain('checks[2] "port".kind: unknown kind "tpc" — hint: did you mean "tcp"?');
    expect(r.stdout.match(/defaults\.frequency: "45s" does not fit the one-minute schedule/g)).toHaveLength(1);
    expect(r.stdout).not.toMatch(/checks\[\d\] "\w+"\.frequency/);
  });
});

describe('flags and commands', () => {
  it('--version prints the package version; --help names --ping-port', async () => {
    const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
    const v = await cli(['--version'], dir);
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toBe(`watchpost ${version}`);
    const help = await cli(['dev', '--help'], dir);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--ping-port');
  });

  it('did-you-mean for an unknown command and an unknown flag', async () => {
    expect(mistake(await cli(['rnu'], dir))).toContain('unknown command "rnu" — hint: did you mean `watchpost run`?');
    expect(mistake(await cli(['history', 'x', '--limt', '3'], dir))).toContain(
      'unknown flag --limt for `watchpost history` — hint: did you mean --limit?',
    );
  });
});

describe('an unusable store', () => {
  it('a store path under a file: the path and exit 2 (not 1, the "checks failed" code)', async () => {
    write('notadir', 'x');
    write('ok.json', JSON.stringify({ ...BASE, checks: [{ id: 'a', kind: 'http', url: 'http://127.0.0.1:1/' }] }));
    const out = mistake(await cli(['run', '--config', 'ok.json', '--data', 'notadir/sub'], dir));
    expect(out).toContain(
      'cannot create the local store notadir/sub/db: a part of that path is a file, not a directory',
    );
    expect(mistake(await cli(['history', 'a', '--data', 'notadir'], dir))).toContain('notadir/db');
  });

  it('a store locked by another process (not dev): says what to do, exit 2', async () => {
    const data = join(dir, 'locked');
    mkdirSync(join(data, 'db'), { recursive: true });
    const req = createRequire(createRequire(import.meta.url).resolve('dynalite'));
    const { Level } = req('level') as { Level: new (p: string) => { open(): Promise<void>; close(): Promise<void> } };
    const db = new Level(join(data, 'db'));
    await db.open();
    onTestFinished(() => db.close());
    const out = mistake(await cli(['history', 'a', '--data', data, '--config', 'ok.json'], dir));
    expect(out).toContain(`the local store ${join(data, 'db')} is in use by another watchpost process`);
    expect(out).toContain('--no-store');
  });

  it('history of an id that is neither stored nor configured: exit 2 with a did-you-mean', async () => {
    const out = mistake(await cli(['history', 'b', '--config', 'ok.json', '--data', join(dir, 'fresh')], dir));
    expect(out).toContain('no check "b"');
    expect(out).toContain('did you mean "a"?');
  });
});

describe('while watchpost dev runs', () => {
  it('history, notify --preview, run use its store; the demo failure ping shows at once; Ctrl-C stops it', async () => {
    const data = mkdtempSync(join(tmpdir(), 'wp-dev-share-'));
    // The demo's heartbeat, judged every 10 s (the example config judges it every minute).
    write(
      'dev.mjs',
      `const port = process.env.WATCHPOST_DEMO_PORT;
export default { project: 'demo', homeRegion: 'eu-central-1', regions: ['eu-central-1'], checks: [
  { id: 'shop-health', kind: 'http', url: 'http://127.0.0.1:' + port + '/health', frequency: '10s' },
  { id: 'nightly-export', kind: 'heartbeat', period: '1m', grace: '30s', token: { secret: 'demo-job-token' },
    frequency: '10s' },
] };\n`,
    );
    const child = spawn(
      process.execPath,
      [BIN, 'dev', '--demo', '--config', 'dev.mjs', '--data', data, '--port', '0', '--ping-port', '0'],
      {
        cwd: dir,
        env: { ...env, WATCHPOST_DEMO_PORT: '0' },
      },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const until = (re: RegExp | (() => boolean), what: string) =>
      new Promise<void>((resolve, reject) => {
        // Generous: on a loaded machine the CLI calls above and dev's own passes are slow.
        const timer = setTimeout(() => reject(new Error(`dev did not show ${what} in time:\n${out}`)), 75_000);
        const poll = setInterval(() => {
          if (typeof re === 'function' ? re() : re.test(out)) {
            clearTimeout(timer);
            clearInterval(poll);
            resolve();
          }
        }, 100);
      });
    await until(/PASS\s+nightly-export/, 'the first heartbeat result');
    await until(/PASS\s+shop-health/, 'the first http result');

    const history = await cli(['history', 'shop-health', '--data', data, '--config', 'dev.mjs'], dir);
    expect(history.status).toBe(0);
    expect(history.stdout).toMatch(/local\s+PASS/);
    expect(history.stdout).toContain('of shop-health');
    const demoEnv = { WATCHPOST_DEMO_PORT: /demo shop on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]! };
    const preview = await cli(
      ['notify', '--preview', 'shop-health', '--data', data, '--config', 'dev.mjs'],
      dir,
      demoEnv,
    );
    expect(preview.stdout + preview.stderr).not.toMatch(/^\s+at /m);
    expect(preview.status).toBe(0);
    expect(preview.stdout).toContain('shop-health');
    const run = await cli(['run', '--config', 'dev.mjs', '--data', data, '--check', 'shop-health'], dir, demoEnv);
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/storing into the store of the running watchpost dev \(pid \d+\)/);
    const after = await cli(['history', 'shop-health', '--json', '--data', data, '--config', 'dev.mjs'], dir);
    expect((JSON.parse(after.stdout) as unknown[]).length).toBeGreaterThanOrEqual(2);

    // The "make it fail" curl dev prints.
    const curl = /curl -X POST -H 'Authorization: Bearer ([^']+)' (\S+)/.exec(out)!;
    const res = await fetch(curl[2]!, { method: 'POST', headers: { authorization: `Bearer ${curl[1]}` } });
    expect(res.status).toBeLessThan(300);
    await until(/FAIL\s+nightly-export.*JOB_FAILED/, 'the failure ping');
    // The demo job's next run (every 30 s) honours the failure instead of overwriting it with a success.
    await until(/demo job: a failure was reported/, 'the demo job seeing the failure');
    const seen = out.length;
    await until(() => /(PASS|FAIL)\s+nightly-export/.test(out.slice(seen)), 'a heartbeat run after that');
    expect(out.slice(seen)).toMatch(/FAIL\s+nightly-export.*JOB_FAILED/);
    expect(out.slice(seen)).not.toMatch(/PASS\s+nightly-export/);

    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000); // only so a hang cannot stall the suite
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    clearTimeout(timer);
    expect(code).toBe(0);
    expect(out).toContain('stopping…');
    expect(out).not.toMatch(/lost|not stored|Database is closed/i);
  }, 180_000);
});
