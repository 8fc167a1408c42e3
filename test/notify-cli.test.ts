/**
 * `watchpost notify` as a user runs it (child processes): `--preview` from the local store after
 * a real run against a loopback target, `--test` through an SNS endpoint checked over the wire
 * (and webhooks to a local HTTPS receiver trusted via NODE_EXTRA_CA_CERTS), and the clear error
 * when there are no AWS credentials.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCerts, type TestCerts } from './helpers/certs';
import { startHttpsReceiver, type HttpsReceiver } from './helpers/https-receiver';
import { startSnsCapture, type SnsCapture } from './helpers/sns-capture';
import { startCapture, type CaptureServer } from './helpers/sqs-capture';

const BIN = join(__dirname, '..', 'bin', 'watchpost.mjs');
const PD_KEY = 'pd-routing-key-CLI-4711';
/** The environment without anything AWS from the machine running the tests. */
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));

function cli(
  args: string[],
  cwd: string,
  extraEnv: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: {
        ...baseEnv,
        NO_COLOR: '1',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        // No instance metadata lookups and no profile files: only what a test gives.
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_SHARED_CREDENTIALS_FILE: join(cwd, 'no-such-credentials'),
        AWS_CONFIG_FILE: join(cwd, 'no-such-config'),
        ...extraEnv,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

let target: Server;
let sns: SnsCapture;
let sm: CaptureServer;
let rx: HttpsReceiver;
let certs: TestCerts;
let dir: string;
const FAKE = { AWS_ACCESS_KEY_ID: 'fake', AWS_SECRET_ACCESS_KEY: 'fake' };

beforeAll(async () => {
  certs = makeTestCerts();
  [sns, rx] = await Promise.all([startSnsCapture(), startHttpsReceiver(certs)]);
  sm = await startCapture((req) =>
    req.body.SecretId === 'watchpost/pagerduty'
      ? { json: { SecretString: PD_KEY } }
      : { error: 'ResourceNotFoundException', message: 'no such secret' },
  );
  target = createServer((_req, res) => {
    res.writeHead(503);
    res.end('down for maintenance');
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
  dir = mkdtempSync(join(tmpdir(), 'wp-notify-cli-'));
  writeFileSync(
    join(dir, 'watchpost.config.json'),
    JSON.stringify({
      project: 'cli',
      homeRegion: 'eu-central-1',
      regions: ['eu-central-1'],
      notify: {
        critical: { sms: ['+4915112345678'], email: ['oncall@example.com'] },
        webhooks: [
          {
            name: 'pagerduty',
            format: 'pagerduty',
            url: `${rx.url}/pd`,
            routingKey: { secret: 'watchpost/pagerduty' },
          },
        ],
      },
      checks: [
        {
          id: 'api',
          name: 'API health',
          kind: 'http',
          url: `http://127.0.0.1:${(target.address() as AddressInfo).port}/health`,
          runbook: 'https://wiki.example.com/rb/api',
          assertions: [{ source: 'status', comparison: 'equals', target: 200 }],
        },
      ],
    }),
  );
}, 60_000);

afterAll(async () => {
  target?.close();
  await Promise.all([sns?.close(), sm?.close(), rx?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const CONFIG = ['--config', 'watchpost.config.json'];

describe('watchpost notify --preview', () => {
  it('prints what SMS, email and each webhook would get for the latest local result', async () => {
    const run = await cli(['run', ...CONFIG], dir);
    expect(run.status).toBe(1); // the target answers 503
    const p = await cli(['notify', '--preview', 'api', ...CONFIG], dir, {
      WATCHPOST_SECRET_WATCHPOST_PAGERDUTY: PD_KEY,
    });
    expect(p.stderr).toBe('');
    expect(p.status).toBe(0);
    expect(p.stdout).toContain('topic cli-watchpost-critical: 1 SMS, 1 email subscription(s); webhooks: pagerduty');
    expect(p.stdout).toMatch(/── SMS \(\d+ of 160 GSM-7 characters, 1 segment\)\nDOWN api local /);
    expect(p.stdout).toMatch(/\nDOWN api local HTTP 503 since \d\d:\d\dZ - .*https:\/\/wiki\.example\.com\/rb\/api\n/);
    expect(p.stdout).toMatch(/Subject: DOWN api local HTTP 503 since \d\d:\d\dZ \[cli\]/);
    expect(p.stdout).toContain('Runbook:   https://wiki.example.com/rb/api');
    expect(p.stdout).toContain('#alarmsV2:alarm/cli%20DOWN%20api');
    expect(p.stdout).toContain(`── Webhook "pagerduty" (pagerduty, trigger): POST ${rx.url}/pd`);
    expect(p.stdout).toContain('"routing_key": "<secret watchpost/pagerduty>"');
    expect(p.stdout).not.toContain(PD_KEY);

    const j = await cli(['notify', '--preview', 'api', '--json', ...CONFIG], dir);
    const parsed = JSON.parse(j.stdout);
    expect(parsed).toMatchObject({
      severity: 'critical',
      topic: 'cli-watchpost-critical',
      sms: expect.stringMatching(/^DOWN api local HTTP 503/),
      email: { subject: expect.any(String) },
    });
    expect(parsed.webhooks[0]).toMatchObject({
      name: 'pagerduty',
      action: 'trigger',
      body: { dedup_key: 'watchpost/cli/down:api' },
    });
  });

  it('says what is wrong instead of a stack trace', async () => {
    const unknown = await cli(['notify', '--preview', 'nope', ...CONFIG], dir);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('no check with id "nope"');
    const usage = await cli(['notify', ...CONFIG], dir);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('usage: watchpost notify --preview ID');
  });
});

describe('watchpost notify --test', () => {
  it('publishes a test page through the deployed topic and opens and resolves a test incident', async () => {
    sns.setTopics([
      'arn:aws:sns:eu-central-1:123456789012:other-topic',
      'arn:aws:sns:eu-central-1:123456789012:cli-watchpost-critical',
    ]);
    const t = await cli(['notify', '--test', '--webhooks', ...CONFIG], dir, {
      ...FAKE,
      AWS_ENDPOINT_URL_SNS: sns.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url,
      NODE_EXTRA_CA_CERTS: certs.caFile,
    });
    expect(t.stderr).toBe('');
    expect(t.status).toBe(0);
    expect(sns.calls().map((c) => c.action)).toEqual(['ListTopics', 'Publish']);
    const publish = sns.calls('Publish')[0]!;
    expect(publish.params).toMatchObject({
      TopicArn: 'arn:aws:sns:eu-central-1:123456789012:cli-watchpost-critical',
      MessageStructure: 'json',
    });
    const message = JSON.parse(publish.params.Message!);
    expect(message.sms).toMatch(/^TEST cli critical page from watchpost at \d\d:\d\dZ - no action needed$/);
    expect(message.email).toContain('If you read this, pages reach you.');
    expect(t.stdout).toContain(
      '✓ test page published to arn:aws:sns:eu-central-1:123456789012:cli-watchpost-critical (message msg-1)',
    );
    expect(t.stdout).toContain('✓ webhook pagerduty trigger HTTP 202');
    expect(t.stdout).toContain('✓ webhook pagerduty resolve HTTP 202');
    expect(rx.requests.map((r) => r.json.event_action)).toEqual(['trigger', 'resolve']);
    expect(rx.requests[0]!.json).toMatchObject({ routing_key: PD_KEY, payload: { severity: 'info' } });
    expect(rx.requests[1]!.json.dedup_key).toBe(rx.requests[0]!.json.dedup_key);
  });

  it('names what is missing when there are no AWS credentials (no stack trace)', async () => {
    sns.reset();
    const t = await cli(['notify', '--test', '--topic', 'warning', ...CONFIG], dir, {
      AWS_ENDPOINT_URL_SNS: sns.endpoint,
    });
    expect(t.status).toBe(1);
    expect(t.stderr).toContain(
      'error: no AWS credentials found to find topic cli-watchpost-warning in eu-central-1: set AWS_PROFILE (or ' +
        'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)',
    );
    expect(t.stderr).not.toMatch(/\n\s+at /);
    expect(sns.calls()).toEqual([]);
  });

  it('tells when the topic is not deployed, and refuses an unknown topic', async () => {
    sns.setTopics([]);
    const t = await cli(['notify', '--test', ...CONFIG], dir, { ...FAKE, AWS_ENDPOINT_URL_SNS: sns.endpoint });
    expect(t.status).toBe(1);
    expect(t.stderr).toContain('topic cli-watchpost-critical not found in eu-central-1 — deploy watchpost first');
    const bad = await cli(['notify', '--test', '--topic', 'urgent', ...CONFIG], dir);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--topic must be critical or warning');
  });
});
