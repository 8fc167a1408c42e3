/**
 * Pages say what is true: a degraded result carries its reason (a certificate under warnDays, a
 * queue above its warning depth, slow mail transit, a slow run), and every surface a person reads
 * says that reason with its own word — the SMS, the email, the webhook, the CLI table, the local
 * dashboard's JSON and the local page line — never "slow" for what is not slowness. A metric
 * anomaly pages once. Real TLS, HTTP and SQS-protocol servers on loopback.
 */
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alarmSpecs } from '../shared/alarms/specs';
import { noteContext, resultRow } from '../shared/cli/format';
import { startDashboard } from '../shared/cli/dashboard';
import type { ValidatedCheck, ValidatedConfig } from '../shared/config/types';
import { parseConfig } from '../shared/config/validate';
import { formatEmail } from '../shared/notify/format-email';
import { formatSms } from '../shared/notify/format-sms';
import { gsmLength } from '../shared/notify/gsm';
import { localPages } from '../shared/notify/local';
import { incidentFromAlarm, incidentFromStatus, type Incident } from '../shared/notify/message';
import { buildWebhookRequest, genericPayload } from '../shared/notify/webhooks';
import { resetSqsClients } from '../shared/probes/queue/sqs';
import { runCheck } from '../shared/runner/run-check';
import { startEmbeddedStore } from '../shared/store/embedded';
import type { LatestState } from '../shared/store/types';
import type { CheckResult } from '../shared/types';
import { issueCert } from './helpers/certs';
import { sqsAttributes, startCapture, type CaptureServer } from './helpers/sqs-capture';

const DAY = 86_400_000;
const secrets = async (name: string): Promise<string> => {
  throw new Error(`no secret ${name}`);
};

const ca = issueCert({ cn: 'Pages CA', names: [], isCa: true, notAfter: new Date(Date.now() + 3650 * DAY) });
// 14½ days: whole days left are 14 whenever the test runs.
const leaf = issueCert({ issuer: ca, notAfter: new Date(Date.now() + 14.5 * DAY) });
let tlsServer: tls.Server;
let slowServer: ReturnType<typeof createHttpServer>;
let cap: CaptureServer;
let config: ValidatedConfig;
const savedEnv: Record<string, string | undefined> = {};

const check = (id: string): ValidatedCheck => config.checks.find((c) => c.id === id)!;
const latestOf = (r: CheckResult): LatestState => ({
  checkId: r.checkId,
  region: r.region,
  status: r.status,
  since: r.scheduledAt,
  consecutiveFailures: r.status === 'fail' ? 1 : 0,
  lastScheduledAt: r.scheduledAt,
  lastResult: r,
});
const hookRequest = (i: Incident) =>
  buildWebhookRequest(i, { name: 'itsm', format: 'generic', url: 'https://itsm.example.com/hook' } as never, () => '');

/** Everything a person reads about one result and its page. */
async function surfaces(r: CheckResult): Promise<Record<string, string>> {
  const c = check(r.checkId);
  const incident = incidentFromStatus({ config, check: c, latest: [latestOf(r)] });
  const email = formatEmail(incident);
  const lines: string[] = [];
  const pages = localPages({ config, out: (l) => lines.push(l) });
  pages.announce(r);
  await pages.idle();
  const embedded = await startEmbeddedStore({ inMemory: true });
  const dash = await startDashboard({ port: 0, config, store: embedded.store });
  let dashboard: string;
  try {
    await embedded.store.writeResults([r]);
    const state = (await (await fetch(`${dash.url}api/state`)).json()) as { checks: Array<{ id: string }> };
    dashboard = JSON.stringify(state.checks.find((x) => x.id === r.checkId));
  } finally {
    await dash.close();
    await embedded.close();
  }
  return {
    sms: formatSms(incident),
    subject: email.subject,
    email: email.text,
    webhook: JSON.stringify(hookRequest(incident).body),
    table: resultRow(r, noteContext(c)).join('  '),
    dashboard,
    pageLine: lines.join('\n'),
  };
}

beforeAll(async () => {
  tlsServer = tls.createServer({ key: leaf.key, cert: leaf.cert }, (s) => s.end());
  await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', () => r()));
  slowServer = createHttpServer((_req, res) => setTimeout(() => res.end('ok'), 150));
  await new Promise<void>((r) => slowServer.listen(0, '127.0.0.1', () => r()));
  cap = await startCapture(() => sqsAttributes({ ApproximateNumberOfMessages: 620 }));
  const env = {
    AWS_ACCESS_KEY_ID: 'AKIDWATCHPOSTTEST',
    AWS_SECRET_ACCESS_KEY: 'test-secret-key',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  for (const [k, v] of Object.entries(env)) {
    savedEnv[k] = process.env[k];
    process.env[k] = v;
  }
  resetSqsClients();
  config = parseConfig({
    project: 'shop',
    homeRegion: 'eu-central-1',
    regions: ['eu-central-1'],
    checks: [
      { id: 'shop-cert', kind: 'tls', host: '127.0.0.1', port: (tlsServer.address() as AddressInfo).port, ca: ca.cert },
      {
        id: 'orders-queue',
        kind: 'queue',
        sqs: { queueUrl: `${cap.url}/123456789012/orders`, region: 'eu-west-1' },
        maxDepth: { warn: 500, fail: 1000 },
      },
      {
        id: 'shop-home',
        kind: 'http',
        url: `http://127.0.0.1:${(slowServer.address() as AddressInfo).port}/`,
        degradedAfter: '50ms',
      },
      {
        id: 'mail',
        kind: 'email',
        smtp: { host: 'smtp.example.com', port: 587 },
        imap: { host: 'imap.example.com', port: 993, auth: { user: 'probe', pass: { secret: 'imap' } } },
        from: 'probe@example.com',
        to: 'probe@example.com',
        transitAfter: '30s',
      },
      { id: 'orders-today', kind: 'metric', url: 'https://shop.example.com/stats', path: '$.orders', anomaly: {} },
    ],
  });
});

afterAll(async () => {
  resetSqsClients();
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await new Promise((r) => tlsServer.close(r));
  await new Promise((r) => slowServer.close(r));
  await cap.close();
});

describe('a TLS certificate under warnDays', () => {
  it('is a degraded result with the reason CERT_EXPIRING and the days', async () => {
    const r = await runCheck(check('shop-cert'), { region: 'local', secrets });
    expect(r.status).toBe('degraded');
    expect(r.degraded).toEqual({ code: 'CERT_EXPIRING', message: 'expires in 14d (warnDays 21)' });
  });

  it('is paged and shown as CERT-EXPIRING with the days everywhere, never as slow', async () => {
    const r = await runCheck(check('shop-cert'), { region: 'local', secrets });
    const s = await surfaces(r);
    expect(s.sms).toMatch(/^CERT-EXPIRING shop-cert local expires in 14d \(warnDays 21\) since \d\d:\d\dZ$/);
    expect(gsmLength(s.sms)).toBeLessThanOrEqual(160);
    expect(s.subject).toMatch(/^CERT-EXPIRING shop-cert local expires in 14d \(warnDays 21\)/);
    expect(s.email).toContain('CERT-EXPIRING: shop-cert: expires in 14d (warnDays 21)');
    expect(s.email).toContain('reason:   CERT-EXPIRING: expires in 14d (warnDays 21)');
    expect(JSON.parse(s.webhook)).toMatchObject({
      status: 'CERT-EXPIRING',
      reason: { code: 'CERT_EXPIRING', message: 'expires in 14d (warnDays 21)' },
    });
    expect(s.table).toMatch(/^WARN\s+shop-cert\s+tls\s+.*CERT-EXPIRING: expires in 14d \(warnDays 21\)$/);
    expect(JSON.parse(s.dashboard)).toMatchObject({
      status: 'degraded',
      degraded: { code: 'CERT_EXPIRING', word: 'CERT-EXPIRING', message: 'expires in 14d (warnDays 21)' },
    });
    expect(s.pageLine).toContain('page CERT-EXPIRING shop-cert local expires in 14d (warnDays 21)');
    for (const [where, text] of Object.entries(s)) expect(text, where).not.toMatch(/slow/i);
  });

  it("the kind's warn alarm in AWS pages its own word with the result's reason", async () => {
    const r = await runCheck(check('shop-cert'), { region: 'eu-central-1', secrets });
    const spec = alarmSpecs(config).find((x) => x.key === 'kind:shop-cert:cert-expiring')!;
    const i = incidentFromAlarm({
      config,
      spec,
      change: { name: spec.name, state: 'ALARM', previousState: 'OK', at: r.scheduledAt },
      latest: [latestOf(r)],
    });
    expect(formatSms(i)).toMatch(/^CERT-EXPIRING shop-cert eu-central-1 expires in 14d \(warnDays 21\) since /);
    const email = formatEmail(i).text;
    expect(email).toContain('CERT-EXPIRING: shop-cert: expires in 14d (warnDays 21)');
    expect(`${email}${JSON.stringify(genericPayload(i))}`).not.toMatch(/slow/i);
  });
});

describe('a queue above its warning depth', () => {
  it('is QUEUE-DEPTH with the depth everywhere, never slow', async () => {
    const r = await runCheck(check('orders-queue'), { region: 'local', secrets });
    expect(r.status).toBe('degraded');
    expect(r.degraded).toEqual({
      code: 'QUEUE_DEPTH',
      message: 'SQS queue orders: 620 messages, above the warning level 500',
    });
    const s = await surfaces(r);
    expect(s.sms).toMatch(
      /^QUEUE-DEPTH orders-queue local SQS queue orders: 620 messages, above the warning level 500 since /,
    );
    expect(s.table).toContain('QUEUE-DEPTH: SQS queue orders: 620 messages, above the warning level 500');
    expect(JSON.parse(s.dashboard)).toMatchObject({ degraded: { word: 'QUEUE-DEPTH' } });
    expect(s.pageLine).toContain('QUEUE-DEPTH orders-queue');
    for (const [where, text] of Object.entries(s)) expect(text, where).not.toMatch(/slow/i);
  });

  it('pages in AWS through its warning alarm with the depth', async () => {
    const r = await runCheck(check('orders-queue'), { region: 'eu-central-1', secrets });
    const spec = alarmSpecs(config).find((x) => x.key === 'kind:orders-queue:queue-depth')!;
    expect(spec).toMatchObject({ severity: 'warning', threshold: 500 });
    const i = incidentFromAlarm({
      config,
      spec,
      change: { name: spec.name, state: 'ALARM', previousState: 'OK', at: r.scheduledAt },
      latest: [latestOf(r)],
    });
    expect(formatSms(i)).toMatch(
      /^QUEUE-DEPTH orders-queue eu-central-1 SQS queue orders: 620 messages, above the warning level 500 since /,
    );
  });
});

describe('slow mail transit', () => {
  // The email probe's degraded outcome, as it reports transit above transitAfter (the probe itself
  // is tested against a real mail system in email.test.ts).
  const result = (region: string): CheckResult => ({
    checkId: 'mail',
    kind: 'email',
    region,
    scheduledAt: new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString(),
    startedAt: new Date().toISOString(),
    durationMs: 48_200,
    status: 'degraded',
    attempts: 1,
    degraded: { code: 'TRANSIT_SLOW', message: 'mail took 47s to arrive (transitAfter 30s)' },
    timings: { total: 48_200 },
    assertions: [],
    metrics: { TransitTime: 47_000 },
  });

  it('is TRANSIT-SLOW with the transit time in the page, the table and the transit alarm', async () => {
    const s = await surfaces(result('local'));
    expect(s.sms).toMatch(/^TRANSIT-SLOW mail local mail took 47s to arrive \(transitAfter 30s\) since /);
    expect(s.table).toMatch(/^WARN\s+mail\s+email\s+.*TRANSIT-SLOW: mail took 47s to arrive \(transitAfter 30s\)$/);
    const spec = alarmSpecs(config).find((x) => x.key === 'kind:mail:transit')!;
    const r = result('eu-central-1');
    const i = incidentFromAlarm({
      config,
      spec,
      change: { name: spec.name, state: 'ALARM', previousState: 'OK', at: r.scheduledAt },
      latest: [latestOf(r)],
    });
    expect(formatSms(i)).toMatch(/^TRANSIT mail eu-central-1 mail took 47s to arrive \(transitAfter 30s\) since /);
  });
});

describe('slowness is still slowness', () => {
  it('a run above degradedAfter is SLOW and pages DEGRADED with the time', async () => {
    const r = await runCheck(check('shop-home'), { region: 'local', secrets });
    expect(r.status).toBe('degraded');
    expect(r.degraded).toMatchObject({
      code: 'SLOW',
      message: expect.stringMatching(/^took \d+ms, slower than degradedAfter 50ms$/),
    });
    const s = await surfaces(r);
    expect(s.sms).toMatch(/^DEGRADED shop-home local \d+ms > 50ms since /);
    expect(s.table).toMatch(/^SLOW\s+shop-home/);
  });
});

describe('a metric anomaly', () => {
  it('pages once: through the down alarm, with no second (anomaly band) alarm', () => {
    const specs = alarmSpecs(config).filter((x) => x.checkId === 'orders-today');
    expect(specs.map((x) => x.key)).toEqual(['down:orders-today']);
    const r: CheckResult = {
      checkId: 'orders-today',
      kind: 'metric',
      region: 'eu-central-1',
      scheduledAt: '2026-03-01T14:04:00.000Z',
      startedAt: '2026-03-01T14:04:00.010Z',
      durationMs: 120,
      status: 'fail',
      attempts: 1,
      error: {
        code: 'ANOMALY',
        message: '$.orders is 20, 90.1% below its trailing average 201.25 of the last 12 runs (limit ±50%)',
      },
      timings: { total: 120 },
      assertions: [],
      metrics: { Value: 20 },
    };
    const i = incidentFromAlarm({
      config,
      spec: specs[0]!,
      change: { name: specs[0]!.name, state: 'ALARM', previousState: 'OK', at: '2026-03-01T14:05:00.000Z' },
      latest: [latestOf(r)],
    });
    expect(formatSms(i)).toMatch(
      /^DOWN orders-today eu-central-1 ANOMALY since 14:04Z - \$\.orders is 20, 90\.1% below its trailing average/,
    );
  });
});
