/**
 * Webhook pages are delivered or loudly given up, through the notifier Lambda's production
 * wiring: a webhook receiver on loopback that is down (connection refused, then 503) and comes
 * back gets the page on a later retry, once; one that never comes back is given up after 30
 * minutes (the clock is the test's) onto the dead-letter queue, with one log line. SQS is a
 * capture endpoint (what goes over the wire: DelaySeconds, bodies without secrets), DynamoDB
 * is AWS's DynamoDB Local, SNS and Secrets Manager capture endpoints.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { alarmSpecs } from '../shared/alarms/specs';
import type { ValidatedConfig } from '../shared/config/types';
import { parseConfig } from '../shared/config/validate';
import type { AlarmStateChangeEvent, NotifierDeps } from '../shared/notify/notifier';
import { ensureTable } from '../shared/store/create-table';
import { DynamoResultStore } from '../shared/store/dynamo-store';
import type { CheckResult } from '../shared/types';
import { makeTestCerts } from './helpers/certs';
import { startDynamoDbLocal, type DynamoDbLocal } from './helpers/dynamodb-local';
import { startFlakyWebhook, type FlakyWebhook } from './helpers/flaky-webhook';
import { startHttpsReceiver, type HttpsReceiver } from './helpers/https-receiver';
import { startSnsCapture, type SnsCapture } from './helpers/sns-capture';
import {
  secretsManagerAnswer,
  startCapture,
  type CaptureReply,
  type CaptureServer,
  type CapturedRequest,
} from './helpers/sqs-capture';
import { failedResult } from './helpers/results';

const TABLE = 'shop-watchpost-results';
const ACCOUNT = '123456789012';
const TOKEN = 'itsm-token-T0K3N-4711';
const URL_TOKEN = 'url-t0ken-0815';
const PD_KEY = 'pd-routing-key-R0UT1NG';

let ddb: DynamoDbLocal;
let sns: SnsCapture;
let sm: CaptureServer;
let sqs: CaptureServer;
let hook: FlakyWebhook;
let pd: HttpsReceiver;
let agent: Agent;
let config: ValidatedConfig;
let store: DynamoResultStore;
let home: DynamoDBClient;
let dir: string;
let deps: NotifierDeps;
let handler: (event: unknown) => Promise<any>;
let clock = Date.parse('2026-03-01T14:00:00.000Z');
let secrets: Record<string, string>;
const lines: Array<{ level: string; message: string; fields: Record<string, unknown> }> = [];

const retryQueueUrl = () => `${sqs.url}/${ACCOUNT}/shop-watchpost-webhook-retries`;
const dlqUrl = () => `${sqs.url}/${ACCOUNT}/shop-watchpost-webhook-given-up`;
const sends = () =>
  sqs.requests
    .filter((r) => r.target === 'AmazonSQS.SendMessage')
    .map((r) => r.body as { QueueUrl: string; MessageBody: string; DelaySeconds?: number });

function sqsOk(req: CapturedRequest): CaptureReply {
  return {
    json: {
      MessageId: `m-${sqs.requests.length}`,
      MD5OfMessageBody: createHash('md5').update(String(req.body.MessageBody)).digest('hex'),
    },
  };
}

const sqsEvent = (...bodies: string[]) => ({
  Records: bodies.map((body, n) => ({
    messageId: `rec-${n}-${clock}`,
    body,
    eventSource: 'aws:sqs',
    attributes: { ApproximateReceiveCount: '1' },
  })),
});

function alarmEvent(key: string, at: string): AlarmStateChangeEvent {
  const name = alarmSpecs(config).find((s) => s.key === key)!.name;
  return {
    id: `evt-${key}-${at}`,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    time: at,
    region: 'eu-central-1',
    detail: {
      alarmName: name,
      state: { value: 'ALARM', timestamp: at.replace('Z', '+0000') },
      previousState: { value: 'OK' },
      configuration: { metrics: [] },
    },
  };
}

const failed = (checkId: string, at: string): CheckResult => failedResult({ checkId, scheduledAt: at });

const noSecret = (text: string) => {
  for (const s of [TOKEN, URL_TOKEN, PD_KEY]) expect(text).not.toContain(s);
};

beforeAll(async () => {
  const certs = makeTestCerts();
  [ddb, sns, hook, pd] = await Promise.all([
    startDynamoDbLocal(),
    startSnsCapture(),
    startFlakyWebhook(certs),
    startHttpsReceiver(certs),
  ]);
  agent = pd.agent;
  secrets = {
    'watchpost/itsm-token': `Bearer ${TOKEN}`,
    'watchpost/itsm-url': `${hook.url}/itsm?token=${URL_TOKEN}`,
    'watchpost/pagerduty': PD_KEY,
  };
  sm = await startCapture(secretsManagerAnswer(secrets));
  sqs = await startCapture(sqsOk);
  home = new DynamoDBClient({
    endpoint: ddb.endpoint,
    region: 'eu-central-1',
    credentials: { accessKeyId: 'fake', secretAccessKey: 'fake' },
  });
  await ensureTable(home, TABLE);
  config = parseConfig({
    project: 'shop',
    homeRegion: 'eu-central-1',
    regions: ['eu-central-1'],
    notify: {
      critical: { sms: ['+4915112345678'] },
      webhooks: [
        {
          name: 'pagerduty',
          format: 'pagerduty',
          url: `${pd.url}/pd/v2/enqueue`,
          routingKey: { secret: 'watchpost/pagerduty' },
          severity: ['critical'],
        },
        {
          name: 'itsm',
          format: 'generic',
          url: { secret: 'watchpost/itsm-url' },
          headers: { authorization: { secret: 'watchpost/itsm-token' } },
        },
      ],
    },
    checks: [
      { id: 'shop-cart', kind: 'http', url: 'https://shop.example.com/cart' },
      { id: 'search', kind: 'http', url: 'https://search.example.com/', severity: 'warning' },
    ],
  });
  dir = mkdtempSync(join(tmpdir(), 'wp-notifier-retry-'));
  writeFileSync(join(dir, 'watchpost.config.json'), JSON.stringify(config));
  Object.assign(process.env, {
    AWS_REGION: 'eu-central-1',
    AWS_ACCESS_KEY_ID: 'fake',
    AWS_SECRET_ACCESS_KEY: 'fake',
    AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
    AWS_ENDPOINT_URL_SNS: sns.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.url,
    AWS_ENDPOINT_URL_SQS: sqs.url,
    WATCHPOST_TABLE: TABLE,
    WATCHPOST_CONFIG_FILE: join(dir, 'watchpost.config.json'),
    WATCHPOST_HOME_REGION: 'eu-central-1',
    WATCHPOST_TOPIC_CRITICAL: `arn:aws:sns:eu-central-1:${ACCOUNT}:shop-watchpost-critical`,
    WATCHPOST_TOPIC_WARNING: `arn:aws:sns:eu-central-1:${ACCOUNT}:shop-watchpost-warning`,
    WATCHPOST_WEBHOOK_RETRY_QUEUE_URL: retryQueueUrl(),
    WATCHPOST_WEBHOOK_DLQ_URL: dlqUrl(),
  });
  const mod = await import('../functions/notifier/index');
  const log = Object.fromEntries(
    (['debug', 'info', 'warn', 'error'] as const).map((level) => [
      level,
      (message: string, fields: Record<string, unknown> = {}) => void lines.push({ level, message, fields }),
    ]),
  ) as unknown as NotifierDeps['log'];
  // The production wiring; webhooks trust the test CAs and retry fast, the clock is the test's.
  deps = { ...mod.init(), deliver: { dispatcher: agent, backoffMs: 5 }, now: () => clock, log };
  handler = mod.createHandler(() => deps) as (event: unknown) => Promise<any>;
  store = new DynamoResultStore({ client: home, tableName: TABLE, retentionMs: 86_400_000 });
}, 120_000);

afterAll(async () => {
  home?.destroy();
  await Promise.all([ddb?.stop(), sns?.close(), sm?.close(), sqs?.close(), hook?.close(), pd?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  sqs.requests.length = 0;
  sqs.reply(sqsOk);
  hook.requests.length = 0;
  pd.requests.length = 0;
  sns.reset();
  lines.length = 0;
});

describe('webhook retries', () => {
  it('delivers the page on a later retry to a receiver that was down (refused, then 503), once', async () => {
    await hook.down();
    await store.writeResults([failed('shop-cart', '2026-03-01T14:00:00.000Z')]);
    const out = await handler(alarmEvent('down:shop-cart', '2026-03-01T14:02:00.000Z'));
    // SMS/email and the other webhook went out; the failed one is queued, and the result says so.
    expect(sns.calls('Publish')).toHaveLength(1);
    expect(pd.requests).toHaveLength(1);
    const itsm = out.webhooks.find((w: any) => w.name === 'itsm');
    expect(itsm).toMatchObject({ ok: false, retryInSeconds: 15 });
    expect(itsm.error).toMatch(/ECONNREFUSED/);
    expect(lines.find((l) => l.message === 'paged')?.fields.queuedForRetry).toEqual(['itsm']);

    const [first] = sends();
    expect(sends()).toHaveLength(1);
    expect(first).toMatchObject({ QueueUrl: retryQueueUrl(), DelaySeconds: 15 });
    expect(JSON.parse(first!.MessageBody)).toMatchObject({
      v: 1,
      webhook: 'itsm',
      action: 'trigger',
      tries: 1,
      incident: { dedupKey: 'watchpost/shop/down:shop-cart' },
    });
    noSecret(JSON.stringify(sqs.requests.map((r) => r.body)));

    // Back, but answering 503 and echoing the token: tried again, queued with a longer delay.
    await hook.fail(503, (r) => `unavailable for ${r.headers.authorization}`);
    clock += 15_000;
    expect(await handler(sqsEvent(first!.MessageBody))).toEqual({ batchItemFailures: [] });
    const second = sends()[1]!;
    expect(second).toMatchObject({ QueueUrl: retryQueueUrl(), DelaySeconds: 30 });
    expect(JSON.parse(second.MessageBody)).toMatchObject({
      tries: 2,
      lastError: expect.stringMatching(/^HTTP 503: unavailable for \*\*\*/),
    });
    expect(hook.requests.length).toBeGreaterThan(0);

    // Up again: delivered, nothing more queued.
    await hook.up();
    clock += 30_000;
    await handler(sqsEvent(second.MessageBody));
    expect(sends()).toHaveLength(2);
    expect(hook.requests.at(-1)!.json).toMatchObject({
      event: 'trigger',
      dedupKey: 'watchpost/shop/down:shop-cart',
      id: JSON.parse(first!.MessageBody).id,
    });
    expect(hook.requests.at(-1)!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(lines.filter((l) => l.message === 'webhook page delivered on retry')).toHaveLength(1);

    // SQS delivers at least once: the same message again sends nothing.
    const seen = hook.requests.length;
    await handler(sqsEvent(second.MessageBody));
    expect(hook.requests).toHaveLength(seen);
    expect(sends()).toHaveLength(2);
    noSecret(JSON.stringify(lines) + JSON.stringify(sqs.requests.map((r) => r.body)));
  });

  it('gives up after 30 min of growing delays: dead-letter queue, a log line naming webhook and incident', async () => {
    await hook.down();
    await store.writeResults([failed('search', '2026-03-01T15:00:00.000Z')]);
    await handler(alarmEvent('down:search', '2026-03-01T15:02:00.000Z'));
    const start = clock;
    for (let n = 0; n < 20 && sends().at(-1)!.QueueUrl === retryQueueUrl(); n++) {
      const last = sends().at(-1)!;
      clock += (last.DelaySeconds ?? 0) * 1000;
      expect(await handler(sqsEvent(last.MessageBody))).toEqual({ batchItemFailures: [] });
    }
    const delays = sends()
      .filter((s) => s.QueueUrl === retryQueueUrl())
      .map((s) => s.DelaySeconds);
    expect(delays).toEqual([15, 30, 60, 120, 240, 480, 900]);
    expect(clock - start).toBeGreaterThanOrEqual(30 * 60_000);
    const dead = sends().at(-1)!;
    expect(dead.QueueUrl).toBe(dlqUrl());
    expect(JSON.parse(dead.MessageBody)).toMatchObject({
      webhook: 'itsm',
      tries: 8,
      reason: 'not delivered in 8 tries over 30 minutes',
      incident: { dedupKey: 'watchpost/shop/down:search' },
    });
    const given = lines.filter((l) => l.message === 'webhook page given up');
    expect(given).toHaveLength(1);
    expect(given[0]).toMatchObject({
      level: 'error',
      fields: { webhook: 'itsm', incident: 'watchpost/shop/down:search', check: 'search', tries: 8 },
    });
    noSecret(JSON.stringify(lines) + JSON.stringify(sqs.requests.map((r) => r.body)));
  });

  it('leaves a message that is no retry to SQS redrive (batch item failure), queueing nothing', async () => {
    const out = await handler(sqsEvent('{"not":"a retry"}'));
    expect(out.batchItemFailures).toHaveLength(1);
    expect(sends()).toEqual([]);
  });

  it('puts the page on the dead-letter queue when the retry queue fails, and fails loudly when both do', async () => {
    await hook.down();
    sqs.reply((req) =>
      req.body.QueueUrl === retryQueueUrl()
        ? { error: 'KmsThrottled', message: 'throttled (injected)', status: 400 }
        : sqsOk(req),
    );
    await store.writeResults([failed('search', '2026-03-01T16:00:00.000Z')]);
    await handler(alarmEvent('down:search', '2026-03-01T16:02:00.000Z'));
    expect(JSON.parse(sends().at(-1)!.MessageBody)).toMatchObject({
      webhook: 'itsm',
      reason: expect.stringMatching(/^the retry queue cannot be written/),
    });
    expect(sends().at(-1)!.QueueUrl).toBe(dlqUrl());

    sqs.reply(() => ({ error: 'KmsThrottled', message: 'throttled (injected)', status: 400 }));
    await store.writeResults([failed('search', '2026-03-01T17:00:00.000Z')]);
    await expect(handler(alarmEvent('down:search', '2026-03-01T17:02:00.000Z'))).rejects.toThrow(
      /webhook page lost \(not queued for retry\): itsm/,
    );
    expect(sns.calls('Publish').length).toBe(2);
    expect(lines.filter((l) => l.message.startsWith('webhook page lost'))).toHaveLength(1);
  });
});
