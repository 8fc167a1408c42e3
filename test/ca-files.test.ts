/**
 * A private CA given as a file (`tls: { ca: './certs/internal-ca.pem' }`) is read relative to
 * the config file, never the working directory: `watchpost validate` and synth report a file
 * that cannot be read with the check and the path, the config shipped to Lambda carries the PEM
 * (no path), and `watchpost run` from another directory trusts the CA.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledConfigJson, stageConfig } from '../infra/bundling';
import { buildWatchpost } from '../infra/watchpost-app';
import { importConfig } from '../shared/config/load';
import { formatDiagnostic } from '../shared/config/schema';
import { parseConfig, validateConfig } from '../shared/config/validate';
import { makeTestCerts, type TestCerts } from './helpers/certs';

const BIN = join(__dirname, '..', 'bin', 'watchpost.mjs');
const CA_REL = './certs/internal-ca.pem';

function cli(args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, NO_COLOR: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** A check of every kind with a `ca` option, each naming the CA file relatively. */
const everyKind = (url: string) => [
  { id: 'intranet', kind: 'http', url, tls: { ca: CA_REL } },
  { id: 'ldap', kind: 'tcp', host: '127.0.0.1', port: 636, tls: { ca: CA_REL } },
  { id: 'ldap-cert', kind: 'tls', host: '127.0.0.1', port: 636, ca: CA_REL },
  {
    id: 'mail',
    kind: 'email',
    smtp: {
      host: '127.0.0.1',
      port: 587,
      tls: { ca: CA_REL },
      auth: { user: 'p@example.com', pass: { secret: 'smtp-pass' } },
    },
    imap: {
      host: '127.0.0.1',
      port: 993,
      tls: { ca: CA_REL },
      auth: { user: 'p@example.com', pass: { secret: 'imap-pass' } },
    },
    from: 'p@example.com',
    to: 'p@example.com',
  },
  // A `ca` inside a request body is the user's data, not an option.
  {
    id: 'flow',
    kind: 'multistep',
    steps: [{ name: 'login', request: { url, method: 'POST', body: { ca: CA_REL }, tls: { ca: CA_REL } } }],
  },
];

let certs: TestCerts;
let dir: string;
let server: Server;
let url: string;

beforeAll(async () => {
  certs = makeTestCerts();
  dir = mkdtempSync(join(tmpdir(), 'watchpost-ca-'));
  mkdirSync(join(dir, 'project', 'certs'), { recursive: true });
  mkdirSync(join(dir, 'elsewhere'));
  writeFileSync(join(dir, 'project', 'certs', 'internal-ca.pem'), certs.ca.cert);
  server = createServer(certs.leaf, (_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  certs.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const writeConfig = (name: string, checks: unknown[]) => {
  const file = join(dir, 'project', name);
  writeFileSync(
    file,
    JSON.stringify({ project: 'intra', homeRegion: 'eu-central-1', regions: ['eu-central-1'], checks }),
  );
  return file;
};

describe('CA files', () => {
  it('ships the PEM in the staged config of every kind with a ca option, and no path', async () => {
    const file = writeConfig('watchpost.config.json', everyKind(url));
    const config = parseConfig(await importConfig(file), file);
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    buildWatchpost(app, config, { account: '123456789012', nag: false });
    app.synth();
    const staged = readFileSync(stageConfig(config).path, 'utf8');
    const shipped = JSON.parse(staged);
    const pem = certs.ca.cert;
    expect(shipped.checks[0].tls.ca).toBe(pem);
    expect(shipped.checks[1].tls.ca).toBe(pem);
    expect(shipped.checks[2].ca).toBe(pem);
    expect(shipped.checks[3].smtp.tls.ca).toBe(pem);
    expect(shipped.checks[3].imap.tls.ca).toBe(pem);
    expect(shipped.checks[4].steps[0].request.tls.ca).toBe(pem);
    // Only the body still says the path: it is request data.
    expect(staged.split('internal-ca.pem').length - 1).toBe(1);
    expect(shipped.checks[4].steps[0].request.body).toEqual({ ca: CA_REL });
  }, 120_000);

  it('reports a missing CA file with the check and the path, in validate and at synth', async () => {
    const checks = [
      { id: 'ok', kind: 'http', url },
      { id: 'other', kind: 'http', url },
      { id: 'intranet', kind: 'http', url, tls: { ca: './certs/missing.pem' } },
    ];
    const file = writeConfig('missing.config.json', checks);
    const r = validateConfig(JSON.parse(readFileSync(file, 'utf8')), { file });
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      `checks[2] "intranet".tls.ca: cannot read ./certs/missing.pem (relative to ${file}): no such file — hint: put ` +
        `the CA certificate (PEM) at ${join(dir, 'project', 'certs', 'missing.pem')}, give its path relative ` +
        `to ${join(dir, 'project')}, or paste the PEM text itself`,
    ]);

    const v = await cli(['validate', '--config', file], join(dir, 'elsewhere'));
    expect(v.status).toBe(2);
    expect(v.stdout).toContain(
      `checks[2] "intranet".tls.ca: cannot read ./certs/missing.pem (relative to ${file}): no such file`,
    );
    expect(v.stdout + v.stderr).not.toMatch(/\n\s+at /);

    // A config validated without its file (the construct used inside another app) fails synth the same way.
    const bare = parseConfig(JSON.parse(readFileSync(file, 'utf8')));
    expect(() => bundledConfigJson(bare)).toThrow(
      /checks\[2\] "intranet"\.tls\.ca: cannot read \.\/certs\/missing\.pem \(relative to the working directory /,
    );
  }, 60_000);

  it('reports a file that holds no certificate', () => {
    writeFileSync(join(dir, 'project', 'certs', 'not-a-cert.pem'), 'hello');
    const file = writeConfig('garbage.config.json', [
      { id: 'intranet', kind: 'tls', host: '127.0.0.1', port: 443, ca: './certs/not-a-cert.pem' },
    ]);
    const r = validateConfig(JSON.parse(readFileSync(file, 'utf8')), { file });
    expect(r.diagnostics.map(formatDiagnostic)[0]).toMatch(
      /^checks\[0\] "intranet"\.ca: \.\/certs\/not-a-cert\.pem \(relative to .*\) holds no PEM certificate/,
    );
  });

  it('watchpost run from another directory trusts the private CA named relative to the config', async () => {
    const file = writeConfig('run.config.json', [{ id: 'intranet', kind: 'http', url, tls: { ca: CA_REL } }]);
    const r = await cli(['run', '--config', file, '--no-store', '--json'], join(dir, 'elsewhere'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const results = JSON.parse(r.stdout);
    expect([results].flat()[0]).toMatchObject({ checkId: 'intranet', status: 'pass' });
    // Without the CA the same server is untrusted: the pass above is the CA's doing.
    const bare = writeConfig('bare.config.json', [{ id: 'intranet', kind: 'http', url }]);
    const b = await cli(['run', '--config', bare, '--no-store', '--json'], join(dir, 'elsewhere'));
    expect(b.status).toBe(1);
    expect([JSON.parse(b.stdout)].flat()[0]).toMatchObject({ status: 'fail', error: { code: 'TLS' } });
  }, 60_000);
});
