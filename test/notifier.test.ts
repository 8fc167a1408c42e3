/**
 * The notifier Lambda end to end, as AWS would invoke it: config from the bundled file, latest
 * results written with DynamoResultStore into AWS's DynamoDB Local, an EventBridge alarm state
 * change in; the SNS Publish checked as it goes over the wire (query protocol), webhook
 * payloads received by a local HTTPS server with a test CA, Secrets Manager and CloudWatch
 * (mute rules) answered by capture endpoints.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { alarmSpecs } from '../shared/alarms/specs';
import type { ValidatedConfig } from '../shared/config/types';
import { parseConfig } from '../shared/config/validate';
import { gsmLength, isGsm } from '../shared/notify/gsm';
import type { AlarmStateChangeEvent, NotifierDeps } from '../shared/notify/notifier';
import { ensureTable } from '../shared/store/create-table';
import { DynamoResultStore } from '../shared/store/dynamo-store';
import type { CheckResult, CheckStatus } from '../shared/types';
import { startAwsCapture, type AwsCapture } from './helpers/aws-capture';
import { startDynamoDbLocal, type DynamoDbLocal } from './helpers/dynamodb-local';
import { startHttpsReceiver, type HttpsReceiver } from './helpers/https-receiver';
import { startSnsCapture, type SnsCapture } from './helpers/sns-capture';
import { secretsManagerAnswer, startCapture, type CaptureServer } from './helpers/sqs-capture';

const TABLE = 'shop-watchpost-results';
const ACCOUNT = '123456789012';
const TOPIC = (s: string) => `arn:aws:sns:eu-central-1:${ACCOUNT}:shop-watchpost-${s}`;
const SECRETS: Record<string, string> = {
  'watchpost/pagerduty': 'pd-routing-key-R0UT1NG',
  'watchpost/opsgenie': 'og-api-key-G3N1E',
  'watchpost/itsm': 'Bearer itsm-token-T0K3N',
};

let ddb: DynamoDbLocal;
let sns: SnsCapture;
let sm: CaptureServer;
let sqs: CaptureServer;
let cw: AwsCapture;
let rx: HttpsReceiver;
let config: ValidatedConfig;
let store: DynamoResultStore;
let handler: (event: AlarmStateChangeEvent) => Promise<any>;
let deps: NotifierDeps;
let home: DynamoDBClient;
let dir: string;

const alarmName = (key: string) => alarmSpecs(config).find((s) => s.key === key)!.name;

function event(
  key: string,
  state: 'ALARM' | 'OK',
  at: string,
  previous: { value: string; at?: string } = { value: state === 'ALARM' ? 'OK' : 'ALARM' },
): AlarmStateChangeEvent {
  const cwTime = (iso: string) => iso.replace('Z', '+0000');
  return {
    version: '0',
    id: `evt-${key}-${state}-${at}`,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: ACCOUNT,
    time: at,
    region: 'eu-central-1',
    resources: [`arn:aws:cloudwatch:eu-central-1:${ACCOUNT}:alarm:${alarmName(key)}`],
    detail: {
      alarmName: alarmName(key),
      state: {
        value: state,
        reason: 'Threshold Crossed: 2 out of the last 3 datapoints were greater than or equal to the threshold (2.0).',
        timestamp: cwTime(at),
      },
      previousState: {
        value: previous.value,
        reason: 'earlier',
        ...(previous.at ? { timestamp: cwTime(previous.at) } : {}),
      },
      configuration: { description: 'from the alarm', metrics: [] },
    },
  } as AlarmStateChangeEvent;
}

function result(
  checkId: string,
  region: string,
  status: CheckStatus,
  scheduledAt: string,
  extra: Partial<CheckResult> = {},
): CheckResult {
  return {
    checkId,
    kind: 'http',
    region,
    scheduledAt,
    startedAt: scheduledAt,
    durationMs: 240,
    status,
    attempts: 1,
    timings: { dns: 4, connect: 11, tls: 30, ttfb: 180, total: 238 },
    assertions: [],
    metrics: {},
    ...(status === 'fail'
      ? { error: { code: 'ASSERTION', message: 'status is 503, expected 200' }, details: { statusCode: 503 } }
      : {}),
    ...extra,
  };
}

/** SQS SendMessage as the SDK checks it: the answer carries the body's MD5. */
function sqsAnswer(req: { target: string; body: Record<string, unknown> }) {
  if (req.target !== 'AmazonSQS.SendMessage') return { error: 'InvalidAction', message: req.target };
  return {
    json: {
      MessageId: `m-${Math.random()}`,
      MD5OfMessageBody: createHash('md5').update(String(req.body.MessageBody)).digest('hex'),
    },
  };
}

const published = () =>
  sns.calls('Publish').map((c) => ({ ...c, message: JSON.parse(c.params.Message!) as Record<string, string> }));

beforeAll(async () => {
  [ddb, sns, cw, rx] = await Promise.all([
    startDynamoDbLocal(),
    startSnsCapture(),
    startAwsCapture(),
    startHttpsReceiver(),
  ]);
  sm = await startCapture(secretsManagerAnswer(SECRETS));
  sqs = await startCapture(sqsAnswer);
  // DynamoDB Local keeps one database per region (and key): use the home region's, like the notifier.
  home = new DynamoDBClient({
    endpoint: ddb.endpoint,
    region: 'eu-central-1',
    credentials: { accessKeyId: 'fake', secretAccessKey: 'fake' },
  });
  await ensureTable(home, TABLE);
  const raw = {
    project: 'shop',
    homeRegion: 'eu-central-1',
    regions: ['eu-central-1', 'us-east-1'],
    notify: {
      critical: { sms: ['+4915112345678'], email: ['oncall@example.com'] },
      webhooks: [
        {
          name: 'pagerduty',
          format: 'pagerduty',
          url: `${rx.url}/pd/v2/enqueue`,
          routingKey: { secret: 'watchpost/pagerduty' },
          severity: ['critical'],
        },
        {
          name: 'opsgenie',
          format: 'opsgenie',
          url: `${rx.url}/og/v2/alerts`,
          apiKey: { secret: 'watchpost/opsgenie' },
          severity: ['critical'],
        },
        {
          name: 'itsm',
          format: 'generic',
          url: `${rx.url}/itsm`,
          headers: { authorization: { secret: 'watchpost/itsm' } },
        },
      ],
    },
    maintenance: [{ name: 'batch-window', schedule: '0 2 * * *', duration: '1h', checks: ['batch'] }],
    checks: [
      {
        id: 'shop-cart',
        name: 'Shop: add to cart',
        kind: 'http',
        url: 'https://shop.example.com/cart',
        runbook: 'https://wiki.example.com/rb/cart',
      },
      { id: 'search', kind: 'http', url: 'https://search.example.com/', severity: 'warning' },
      { id: 'batch', kind: 'http', url: 'https://batch.example.com/' },
    ],
  };
  config = parseConfig(raw);
  dir = mkdtempSync(join(tmpdir(), 'wp-notifier-'));
  writeFileSync(join(dir, 'watchpost.config.json'), JSON.stringify(config));
  Object.assign(process.env, {
    AWS_REGION: 'eu-central-1',
    AWS_ACCESS_KEY_ID: 'fake',
    AWS_SECRET_ACCESS_KEY: 'fake',
    AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
    AWS_ENDPOINT_URL_SNS: sns.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url,
    AWS_ENDPOINT_URL_CLOUDWATCH: cw.endpoint,
    WATCHPOST_TABLE: TABLE,
    WATCHPOST_CONFIG_FILE: join(dir, 'watchpost.config.json'),
    WATCHPOST_HOME_REGION: 'eu-central-1',
    WATCHPOST_TOPIC_CRITICAL: TOPIC('critical'),
    WATCHPOST_TOPIC_WARNING: TOPIC('warning'),
    AWS_ENDPOINT_URL_SQS: sqs.url,
    WATCHPOST_WEBHOOK_RETRY_QUEUE_URL: `${sqs.url}/${ACCOUNT}/shop-watchpost-webhook-retries`,
    WATCHPOST_WEBHOOK_DLQ_URL: `${sqs.url}/${ACCOUNT}/shop-watchpost-webhook-given-up`,
  });
  const mod = await import('../functions/notifier/index');
  // The production wiring, with one change: webhooks trust the receiver's test CA (and retry fast).
  deps = { ...mod.init(), deliver: { dispatcher: rx.agent, backoffMs: 5 } };
  handler = mod.createHandler(() => deps);
  store = new DynamoResultStore({ client: home, tableName: TABLE, retentionMs: 30 * 86_400_000 });
}, 120_000);

afterAll(async () => {
  home?.destroy();
  await Promise.all([ddb?.stop(), sns?.close(), sm?.close(), sqs?.close(), cw?.close(), rx?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  sns.reset();
  cw.reset();
  rx.requests.length = 0;
  sqs.requests.length = 0;
  rx.reply(() => ({ status: 202, json: { status: 'success' } }));
});

describe('notifier handler', () => {
  it('pages DOWN with a message per protocol and opens one incident in each ITSM system', async () => {
    await store.writeResults([
      result('shop-cart', 'eu-central-1', 'fail', '2026-03-01T14:02:00.000Z'),
      result('shop-cart', 'us-east-1', 'fail', '2026-03-01T14:02:00.000Z'),
      result('shop-cart', 'eu-central-1', 'fail', '2026-03-01T14:03:00.000Z'),
      result('shop-cart', 'us-east-1', 'fail', '2026-03-01T14:03:00.000Z', {
        error: { code: 'TIMEOUT', message: 'no answer within 10s' },
        details: {},
      }),
    ]);
    const logs = vi.spyOn(process.stdout, 'write');
    let out: any;
    let logged = '';
    try {
      out = await handler(event('down:shop-cart', 'ALARM', '2026-03-01T14:05:00.000Z'));
    } finally {
      logged = logs.mock.calls.map((c) => String(c[0])).join('');
      logs.mockRestore();
    }
    expect(out).toMatchObject({ action: 'notify', key: 'down:shop-cart', messageId: 'msg-1' });

    // Over the wire: one Publish to the critical topic, JSON per protocol.
    const [p, ...more] = published();
    expect(more).toEqual([]);
    expect(p!.params).toMatchObject({
      TopicArn: TOPIC('critical'),
      MessageStructure: 'json',
      Subject: 'DOWN shop-cart 2/2 regions HTTP 503 since 14:02Z [shop]',
    });
    expect(Object.keys(p!.message).sort()).toEqual(['default', 'email', 'sms']);
    expect(p!.message.sms).toBe(
      'DOWN shop-cart 2/2 regions HTTP 503 since 14:02Z - status is 503, expected 200 https://wiki.example.com/rb/cart',
    );
    expect(isGsm(p!.message.sms!) && gsmLength(p!.message.sms!) <= 160).toBe(true);
    expect(p!.message.email).toContain(
      'is failing in 2 of 2 regions (eu-central-1, us-east-1) since 14:02Z (3m): HTTP 503.',
    );
    expect(p!.message.email).toContain('error:    ASSERTION: status is 503, expected 200');
    expect(p!.message.email).toContain('error:    TIMEOUT: no answer within 10s');
    expect(p!.message.email).toContain('2 failed runs in a row');
    expect(p!.message.email).toContain('Runbook:   https://wiki.example.com/rb/cart');
    expect(p!.attributes['AWS.SNS.SMS.SMSType']).toBe('Transactional');

    // Webhooks over HTTPS with their secrets; the secrets were read from Secrets Manager.
    const pd = rx.requests.find((r) => r.path === '/pd/v2/enqueue')!;
    expect(pd.json).toMatchObject({
      routing_key: SECRETS['watchpost/pagerduty'],
      event_action: 'trigger',
      dedup_key: 'watchpost/shop/down:shop-cart',
      payload: { severity: 'critical', component: 'shop-cart' },
    });
    const og = rx.requests.find((r) => r.path === '/og/v2/alerts')!;
    expect(og.headers.authorization).toBe(`GenieKey ${SECRETS['watchpost/opsgenie']}`);
    expect(og.json).toMatchObject({ alias: 'watchpost/shop/down:shop-cart', priority: 'P1' });
    const itsm = rx.requests.find((r) => r.path === '/itsm')!;
    expect(itsm.headers.authorization).toBe(SECRETS['watchpost/itsm']);
    expect(itsm.json).toMatchObject({
      event: 'trigger',
      status: 'DOWN',
      affectedRegions: ['eu-central-1', 'us-east-1'],
    });
    expect(sm.requests.map((r) => r.body.SecretId).sort()).toEqual([
      'watchpost/itsm',
      'watchpost/opsgenie',
      'watchpost/pagerduty',
    ]);

    // No secret in the page, the logs or the handler's answer.
    expect(logged).toContain('"message":"paged"');
    for (const v of Object.values(SECRETS)) {
      expect(logged).not.toContain(v);
      expect(JSON.stringify(sns.calls())).not.toContain(v);
      expect(JSON.stringify(out)).not.toContain(v);
    }
  });

  it('does not page twice for a re-delivered event', async () => {
    const out = await handler(event('down:shop-cart', 'ALARM', '2026-03-01T14:05:00.000Z'));
    expect(out.action).toBe('duplicate');
    expect(sns.calls()).toEqual([]);
    expect(rx.requests).toEqual([]);
  });

  it('announces the recovery with how long it lasted and resolves the same incidents', async () => {
    await store.writeResults([
      result('shop-cart', 'eu-central-1', 'pass', '2026-03-01T14:16:00.000Z'),
      result('shop-cart', 'us-east-1', 'pass', '2026-03-01T14:16:00.000Z'),
    ]);
    const out = await handler(
      event('down:shop-cart', 'OK', '2026-03-01T14:17:00.000Z', { value: 'ALARM', at: '2026-03-01T14:05:00.000Z' }),
    );
    expect(out.action).toBe('notify');
    const [p] = published();
    expect(p!.message.sms).toBe('OK shop-cart after 12m');
    expect(p!.params.Subject).toBe('OK shop-cart after 12m [shop]');
    expect(rx.requests.find((r) => r.path === '/pd/v2/enqueue')!.json).toEqual({
      routing_key: SECRETS['watchpost/pagerduty'],
      event_action: 'resolve',
      dedup_key: 'watchpost/shop/down:shop-cart',
    });
    expect(rx.requests.find((r) => r.path.startsWith('/og/'))!.path).toBe(
      `/og/v2/alerts/${encodeURIComponent('watchpost/shop/down:shop-cart')}/close?identifierType=alias`,
    );
    expect(rx.requests.find((r) => r.path === '/itsm')!.json).toMatchObject({
      event: 'resolve',
      dedupKey: 'watchpost/shop/down:shop-cart',
      lastedMs: 720_000,
    });
  });

  it('sends one FLAPPING message for a check that goes down and up repeatedly', async () => {
    await store.writeResults([
      result('search', 'eu-central-1', 'fail', '2026-03-01T15:00:00.000Z'),
      result('search', 'us-east-1', 'fail', '2026-03-01T15:00:00.000Z'),
    ]);
    const flips: Array<['ALARM' | 'OK', string]> = [
      ['ALARM', '2026-03-01T15:01:00.000Z'],
      ['OK', '2026-03-01T15:04:00.000Z'],
      ['ALARM', '2026-03-01T15:07:00.000Z'],
      ['OK', '2026-03-01T15:10:00.000Z'],
      ['ALARM', '2026-03-01T15:13:00.000Z'],
      ['OK', '2026-03-01T15:16:00.000Z'],
      ['ALARM', '2026-03-01T15:19:00.000Z'],
    ];
    const actions: string[] = [];
    for (const [state, at] of flips) actions.push((await handler(event('down:search', state, at))).action);
    expect(actions).toEqual(['notify', 'notify', 'notify', 'flapping', 'suppress', 'suppress', 'suppress']);
    const sms = published().map((p) => p.message.sms);
    expect(sms.filter((t) => t!.startsWith('FLAPPING'))).toEqual([
      'FLAPPING search 4 changes in 30m, now OK - no more pages until it is stable',
    ]);
    expect(sms).toHaveLength(4);
    // A warning check: the warning topic, and only the webhook that takes warnings.
    expect(new Set(published().map((p) => p.params.TopicArn))).toEqual(new Set([TOPIC('warning')]));
    expect(new Set(rx.requests.map((r) => r.path))).toEqual(new Set(['/itsm']));
    expect(rx.requests.at(-1)!.json).toMatchObject({
      kind: 'flapping',
      event: 'trigger',
      flapping: { changes: 4, state: 'OK' },
    });
  });

  it('retries a webhook that answers 503 and logs one that keeps failing, never failing the page', async () => {
    let pdCalls = 0;
    rx.reply((req) => {
      if (req.path.startsWith('/pd/'))
        return ++pdCalls === 1
          ? { status: 503, json: { message: 'try later' } }
          : { status: 202, json: { status: 'success' } };
      if (req.path.startsWith('/og/'))
        return { status: 422, json: { message: `bad key ${req.headers.authorization}` } };
      return 'reset';
    });
    await store.writeResults([result('shop-cart', 'eu-central-1', 'fail', '2026-03-01T16:00:00.000Z')]);
    const out = await handler(event('down:shop-cart', 'ALARM', '2026-03-01T16:02:00.000Z'));
    expect(published()).toHaveLength(1);
    const byName = Object.fromEntries(out.webhooks.map((w: any) => [w.name, w]));
    expect(byName.pagerduty).toMatchObject({ ok: true, status: 202, attempts: 2 });
    expect(byName.opsgenie).toMatchObject({ ok: false, status: 422, attempts: 1, retryInSeconds: 15 });
    expect(byName.opsgenie.error).not.toContain(SECRETS['watchpost/opsgenie']);
    expect(byName.itsm).toMatchObject({ ok: false, attempts: 3, retryInSeconds: 15 });
    // The two that failed wait in the retry queue; nothing secret went with them.
    const queued = sqs.requests.map((r) => JSON.parse(String(r.body.MessageBody)));
    expect(queued.map((m) => m.webhook).sort()).toEqual(['itsm', 'opsgenie']);
    for (const v of Object.values(SECRETS))
      expect(JSON.stringify(sqs.requests.map((r) => r.body))).not.toContain(v.replace('Bearer ', ''));
  });

  it('throws when SNS fails and pages on the retry (the change is released)', async () => {
    await store.writeResults([
      result('shop-cart', 'eu-central-1', 'pass', '2026-03-01T16:10:00.000Z'),
      result('shop-cart', 'us-east-1', 'pass', '2026-03-01T16:10:00.000Z'),
    ]);
    const ok = event('down:shop-cart', 'OK', '2026-03-01T16:11:00.000Z', {
      value: 'ALARM',
      at: '2026-03-01T16:02:00.000Z',
    });
    sns.failNext(Infinity, 'server-error');
    await expect(handler(ok)).rejects.toThrow();
    sns.failNext(0);
    sns.reset();
    const out = await handler(ok);
    expect(out.action).toBe('notify');
    expect(published().map((p) => p.message.sms)).toEqual(['OK shop-cart after 9m']);
  });

  it('stays silent while a maintenance window mutes the alarm (asks CloudWatch only for covered checks)', async () => {
    cw.respond('ListAlarmMuteRules', {
      AlarmMuteRuleSummaries: [
        {
          AlarmMuteRuleArn: `arn:aws:cloudwatch:eu-central-1:${ACCOUNT}:alarm-mute-rule:shop-batch-window-1`,
          Status: 'ACTIVE',
        },
      ],
    });
    const out = await handler(event('down:batch', 'ALARM', '2026-03-01T02:10:00.000Z'));
    expect(out.action).toBe('muted');
    expect(cw.calls('ListAlarmMuteRules')[0]!.body).toEqual({
      AlarmName: alarmName('down:batch'),
      Statuses: ['ACTIVE'],
    });
    expect(sns.calls()).toEqual([]);

    cw.respond('ListAlarmMuteRules', { AlarmMuteRuleSummaries: [] });
    expect((await handler(event('down:batch', 'ALARM', '2026-03-01T03:30:00.000Z'))).action).toBe('notify');
    cw.reset();
    await handler(event('down:shop-cart', 'ALARM', '2026-03-01T17:00:00.000Z'));
    expect(cw.calls()).toEqual([]); // shop-cart is in no window
  });

  it('pages a runner alarm and skips what is no page', async () => {
    const runner = await handler(event('runner:us-east-1', 'ALARM', '2026-03-01T18:00:00.000Z'));
    expect(runner.action).toBe('notify');
    expect(published()[0]!.message.sms).toBe(
      'DOWN runner us-east-1 no healthy probe pass since 18:00Z - 3 checks not probed in us-east-1 meanwhile',
    );

    sns.reset();
    expect(
      (await handler(event('down:shop-cart', 'OK', '2026-03-01T18:01:00.000Z', { value: 'INSUFFICIENT_DATA' }))).action,
    ).toBe('skipped');
    const unknown = event('down:shop-cart', 'ALARM', '2026-03-01T18:02:00.000Z');
    unknown.detail!.alarmName = 'other-project DOWN x';
    expect((await handler(unknown)).action).toBe('skipped');
    expect(sns.calls()).toEqual([]);
  });

  it('finds a renamed alarm by the CheckId of its metrics', async () => {
    const renamed = event('down:search', 'ALARM', '2026-03-01T19:00:00.000Z');
    renamed.detail!.alarmName = 'shop DOWN search (old name) failing in all 2 regions';
    renamed.detail!.configuration!.metrics = [
      {
        id: 'f0',
        metricStat: {
          metric: {
            namespace: 'Watchpost',
            name: 'Failed',
            dimensions: { Project: 'shop', CheckId: 'search', Region: 'eu-central-1' },
          },
        },
      },
    ];
    const out = await handler(renamed);
    expect(out).toMatchObject({ key: 'down:search' });
  });
});
