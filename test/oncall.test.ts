/**
 * On-call through time: the notifier driven with simulated alarm state changes and per-minute
 * sweeps on a controllable clock, against the embedded DynamoDB-compatible store, the SNS capture
 * endpoint (the query protocol as it goes over the wire) and a local HTTPS webhook receiver.
 * Grouping under `dependsOn`, reminders, escalation, acknowledgement links (valid, expired,
 * forged), recovery, duplicate events, a restart, and the delivery trail.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { alarmSpecs } from '../shared/alarms/specs';
import type { ValidatedConfig } from '../shared/config/types';
import { parseConfig } from '../shared/config/validate';
import { silentLog } from '../shared/log';
import { ackUrl, handleAckRequest, signAck } from '../shared/notify/ack';
import { DynamoFlapStore } from '../shared/notify/flap-store';
import { gsmLength } from '../shared/notify/gsm';
import {
  handleAlarmEvent,
  handleSweep,
  type AlarmStateChangeEvent,
  type NotifierDeps,
} from '../shared/notify/notifier';
import { acknowledge } from '../shared/notify/oncall';
import { PageStore } from '../shared/notify/page-store';
import { publishPage } from '../shared/notify/sns';
import { DeliveryTrail } from '../shared/notify/trail';
import { startEmbeddedStore, type EmbeddedStore } from '../shared/store/embedded';
import type { CheckResult, CheckStatus } from '../shared/types';
import { startHttpsReceiver, type HttpsReceiver } from './helpers/https-receiver';
import { startSnsCapture, type SnsCapture } from './helpers/sns-capture';

const ACCOUNT = '123456789012';
const TOPIC = (s: string) => `arn:aws:sns:eu-central-1:${ACCOUNT}:shop-watchpost-${s}`;
const KEY = 'test-ack-key-0123456789abcdef';
const ACK_BASE = 'https://ack.example.test';
const REGIONS = ['eu-central-1', 'us-east-1', 'eu-west-1'];
const T0 = Date.parse('2026-03-01T14:00:00.000Z');
const MIN = 60_000;

let db: EmbeddedStore;
let sns: SnsCapture;
let rx: HttpsReceiver;
let snsClient: SNSClient;
let config: ValidatedConfig;
let t = T0;
const now = () => t;
const at = (m: number) => new Date(T0 + m * MIN).toISOString();

function deps(): NotifierDeps {
  // A fresh set of clients over the same table: what a new Lambda container (a restart) has.
  return {
    config,
    store: db.store,
    flaps: new DynamoFlapStore(db.client, db.tableName),
    publish: (severity, incident, level = 0) =>
      publishPage(snsClient, level ? TOPIC(`${severity}-escalation-${level}`) : TOPIC(severity), incident),
    secrets: async () => 'unused',
    pages: new PageStore(db.client, db.tableName, now),
    trail: new DeliveryTrail(db.client, db.tableName),
    ackLink: async (ref, exp) => ackUrl(ACK_BASE, KEY, ref, exp),
    deliver: { dispatcher: rx.agent, backoffMs: 1, retries: 0 },
    now,
    log: silentLog,
  };
}

const alarmName = (key: string) => alarmSpecs(config).find((s) => s.key === key)!.name;

function event(key: string, state: 'ALARM' | 'OK', iso: string, previousAt?: string): AlarmStateChangeEvent {
  const cw = (x: string) => x.replace('Z', '+0000');
  return {
    id: `evt-${key}-${state}-${iso}`,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    time: iso,
    detail: {
      alarmName: alarmName(key),
      state: { value: state, reason: 'Threshold Crossed', timestamp: cw(iso) },
      previousState: {
        value: state === 'ALARM' ? 'OK' : 'ALARM',
        ...(previousAt ? { timestamp: cw(previousAt) } : {}),
      },
    },
  };
}

function result(checkId: string, region: string, status: CheckStatus, scheduledAt: string): CheckResult {
  return {
    checkId,
    kind: 'http',
    region,
    scheduledAt,
    startedAt: scheduledAt,
    durationMs: 120,
    status,
    attempts: 1,
    timings: { total: 120 },
    assertions: [],
    metrics: {},
    ...(status === 'fail' ? { error: { code: 'CONNECT_REFUSED', message: 'connect ECONNREFUSED' } } : {}),
  };
}

async function results(ids: string[], status: CheckStatus, iso: string) {
  await db.store.writeResults(ids.flatMap((id) => REGIONS.map((r) => result(id, r, status, iso))));
}

/** The SNS publishes so far: topic and the SMS text. */
const pages = () =>
  sns.calls('Publish').map((c) => ({
    topic: c.params.TopicArn!,
    sms: (JSON.parse(c.params.Message!) as { sms: string }).sms,
    email: (JSON.parse(c.params.Message!) as { email: string }).email,
  }));

beforeAll(async () => {
  [db, sns, rx] = await Promise.all([startEmbeddedStore({ inMemory: true }), startSnsCapture(), startHttpsReceiver()]);
  snsClient = new SNSClient({
    endpoint: sns.endpoint,
    region: 'eu-central-1',
    credentials: { accessKeyId: 'fake', secretAccessKey: 'fake' },
  });
  const http = (id: string, extra: Record<string, unknown> = {}) => ({
    id,
    kind: 'http',
    url: `https://${id}.example.com/`,
    ...extra,
  });
  config = parseConfig({
    project: 'shop',
    homeRegion: 'eu-central-1',
    regions: REGIONS,
    notify: {
      critical: {
        sms: ['+4915112345678'],
        email: ['oncall@example.com'],
        repeat: '30m',
        escalate: [
          { after: '15m', sms: ['+4915187654321'] },
          { after: '45m', email: ['head-of-ops@example.com'] },
        ],
      },
      webhooks: [{ name: 'itsm', format: 'generic', url: `${rx.url}/itsm` }],
    },
    checks: [
      http('shop-api'),
      http('shop-cart', { dependsOn: ['shop-api'] }),
      http('shop-search', { dependsOn: ['shop-api'] }),
      http('shop-checkout', { dependsOn: ['shop-cart'] }),
      http('billing'),
    ],
  });
}, 60_000);

afterAll(async () => {
  snsClient?.destroy();
  await Promise.all([db?.close(), sns?.close(), rx?.close()]);
});

beforeEach(async () => {
  // Each test starts with nothing open, whatever the one before left.
  const open = new PageStore(db.client, db.tableName);
  for (const r of await open.list()) await open.update(r.key, () => ({ next: null, result: 0 }));
  sns.reset();
  rx.requests.length = 0;
  rx.reply(() => ({ status: 202, json: { ok: true } }));
});

describe('one page per outage (dependsOn)', () => {
  it('pages the parent once, naming its dependents, and its recovery; dependents stay quiet', async () => {
    t = T0;
    await results(['shop-api', 'shop-cart', 'shop-search', 'shop-checkout'], 'fail', at(0));
    // A dependent's alarm first: its parent is failing, so it waits for the parent's page.
    expect((await handleAlarmEvent(event('down:shop-cart', 'ALARM', at(1)), deps())).action).toBe('held');
    t = T0 + 2 * MIN;
    const parent = await handleAlarmEvent(event('down:shop-api', 'ALARM', at(2)), deps());
    expect(parent.action).toBe('notify');
    t = T0 + 3 * MIN;
    expect((await handleAlarmEvent(event('down:shop-search', 'ALARM', at(3)), deps())).action).toBe('suppressed');
    expect((await handleAlarmEvent(event('down:shop-checkout', 'ALARM', at(3)), deps())).action).toBe('suppressed');
    // Past the dependent's hold: the sweep sends nothing for it (its parent's page counts it).
    t = T0 + 10 * MIN;
    await handleSweep(deps());

    const sent = pages();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.topic).toBe(TOPIC('critical'));
    expect(sent[0]!.sms).toMatch(
      /^DOWN shop-api 3\/3 regions connection refused since 14:00Z \(\+3 dependent checks down\)/,
    );
    expect(sent[0]!.sms).toContain(`ack ${ACK_BASE}/ack/`);
    expect(gsmLength(sent[0]!.sms)).toBeLessThanOrEqual(160);
    expect(sent[0]!.email).toContain('shop-cart, shop-search, shop-checkout are down with it');
    expect(rx.requests.map((r) => (r.json as { summary: string }).summary)).toHaveLength(1);

    // Recovery of everything: one OK page for the parent, none for the dependents.
    sns.reset();
    t = T0 + 20 * MIN;
    await results(['shop-api', 'shop-cart', 'shop-search', 'shop-checkout'], 'pass', at(20));
    await handleAlarmEvent(event('down:shop-api', 'OK', at(20), at(2)), deps());
    for (const id of ['shop-cart', 'shop-search', 'shop-checkout'])
      expect((await handleAlarmEvent(event(`down:${id}`, 'OK', at(21), at(3)), deps())).action).toBe('quiet');
    expect(pages().map((p) => p.sms)).toEqual(['OK shop-api after 18m (+3 dependent checks)']);
  });

  it('a dependent still down when its parent recovers pages on its own', async () => {
    t = T0 + 100 * MIN;
    await results(['shop-api', 'shop-search'], 'fail', at(100));
    await handleAlarmEvent(event('down:shop-api', 'ALARM', at(100)), deps());
    await handleAlarmEvent(event('down:shop-search', 'ALARM', at(101)), deps());
    sns.reset();
    t = T0 + 110 * MIN;
    await results(['shop-api'], 'pass', at(110));
    await handleAlarmEvent(event('down:shop-api', 'OK', at(110), at(100)), deps());
    const sms = pages().map((p) => p.sms);
    expect(sms).toHaveLength(2);
    expect(sms[0]).toMatch(/^OK shop-api after 10m \(\+1 dependent check\)/);
    expect(sms[1]).toMatch(/^DOWN shop-search 3\/3 regions/);
    await results(['shop-search'], 'pass', at(120));
    await handleAlarmEvent(event('down:shop-search', 'OK', at(120), at(101)), deps());
  });
});

describe('reminders, escalation and acknowledgement', () => {
  it('escalates after 15m, reminds every 30m, stops on ack, resumes when the ack expires', async () => {
    t = T0 + 200 * MIN;
    await results(['billing'], 'fail', at(200));
    await handleAlarmEvent(event('down:billing', 'ALARM', at(200)), deps());
    expect(pages()).toHaveLength(1);

    t = T0 + 214 * MIN;
    await handleSweep(deps());
    expect(pages()).toHaveLength(1); // nothing due yet
    t = T0 + 215 * MIN;
    await handleSweep(deps());
    const l1 = pages()[1]!;
    expect(l1.topic).toBe(TOPIC('critical-escalation-1'));
    expect(l1.sms).toMatch(/^DOWN billing 3\/3 regions .*- not acked in 15m/);

    sns.reset();
    t = T0 + 230 * MIN;
    await handleSweep(deps());
    // The reminder goes to everyone paged so far: the severity's topic and level 1.
    expect(pages().map((p) => p.topic)).toEqual([TOPIC('critical'), TOPIC('critical-escalation-1')]);
    expect(pages()[0]!.sms).toMatch(/^STILL DOWN billing 3\/3 regions since 17:20Z \(30m\)/);
    expect(gsmLength(pages()[0]!.sms)).toBeLessThanOrEqual(160);

    // Acknowledged through the CLI's path for an hour: no level 2 at 45m, no reminder at 60m.
    sns.reset();
    const [rec] = await acknowledge(
      { config, pages: new PageStore(db.client, db.tableName, now), latest: async () => [], now, log: silentLog },
      { checkId: 'billing' },
      'ana',
      t + 60 * MIN,
    );
    expect(rec!.ack).toMatchObject({ by: 'ana' });
    for (const m of [245, 260, 285]) {
      t = T0 + m * MIN;
      await handleSweep(deps());
    }
    expect(pages()).toHaveLength(0);
    // The ack expired at 290: level 2 and a reminder come due.
    t = T0 + 291 * MIN;
    await handleSweep(deps());
    expect(pages().map((p) => p.topic)).toEqual([
      TOPIC('critical-escalation-2'),
      TOPIC('critical'),
      TOPIC('critical-escalation-1'),
      TOPIC('critical-escalation-2'),
    ]);

    sns.reset();
    t = T0 + 300 * MIN;
    await results(['billing'], 'pass', at(300));
    await handleAlarmEvent(event('down:billing', 'OK', at(300), at(200)), deps());
    t = T0 + 400 * MIN;
    await handleSweep(deps());
    expect(pages().map((p) => p.sms)).toEqual(['OK billing after 1h 40m']);
  });

  it('acknowledges through a valid link; an expired or forged link does nothing', async () => {
    t = T0 + 500 * MIN;
    await results(['billing'], 'fail', at(500));
    await handleAlarmEvent(event('down:billing', 'ALARM', at(500)), deps());
    const link = /ack (\S+)/.exec(pages()[0]!.sms)![1]!;
    const path = new URL(link).pathname;
    const d = deps();
    const ackDeps = {
      key: KEY,
      now,
      describe: async (ref: string) =>
        (await d.pages!.list()).find((r) => r.ref === ref) ? 'DOWN billing' : undefined,
      acknowledge: async (ref: string, by: string, until?: number) => {
        const done = await acknowledge(
          { config, pages: d.pages!, latest: async () => [], now, log: silentLog },
          { ref },
          by,
          until,
        );
        return `Acknowledged ${done.map((r) => r.key).join(', ')} as ${by}.`;
      },
    };
    // Opening the link (a mail scanner does) acknowledges nothing.
    const get = await handleAckRequest({ method: 'GET', path }, ackDeps);
    expect(get.status).toBe(200);
    expect(get.body).toContain('<form method="post">');
    expect((await d.pages!.get('down:billing'))!.ack).toBeUndefined();

    const ref = path.split('/')[2]!.split('.')[0]!;
    const forged = `/ack/${ref}.${(Math.ceil((t + 3_600_000) / 1000)).toString(36)}.AAAAAAAAAAAAAAAAAAAAAA`;
    expect((await handleAckRequest({ method: 'POST', path: forged, form: { by: 'mallory' } }, ackDeps)).status).toBe(
      403,
    );
    const expired = `/ack/${signAck(KEY, ref, t - 1000)}`;
    const old = await handleAckRequest({ method: 'POST', path: expired, form: { by: 'bob' } }, ackDeps);
    expect(old.status).toBe(410);
    expect(old.body).toContain('expired');
    const otherKey = `/ack/${signAck('another-key', ref, t + 3_600_000)}`;
    expect((await handleAckRequest({ method: 'POST', path: otherKey, form: {} }, ackDeps)).status).toBe(403);
    expect((await d.pages!.get('down:billing'))!.ack).toBeUndefined();

    const ok = await handleAckRequest({ method: 'POST', path, form: { by: 'ana <script>', until: '' } }, ackDeps);
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('Acknowledged down:billing as ana script.');
    sns.reset();
    for (const m of [520, 540, 580]) {
      t = T0 + m * MIN;
      await handleSweep(deps());
    }
    expect(pages()).toHaveLength(0);
    await handleAlarmEvent(event('down:billing', 'OK', at(590), at(500)), deps());
    // The link of a recovered page: nothing to acknowledge.
    expect((await handleAckRequest({ method: 'GET', path }, ackDeps)).status).toBe(410);
  });
});

describe('duplicates, restarts and the delivery trail', () => {
  it('pages once under a duplicated alarm event and overlapping sweeps', async () => {
    t = T0 + 700 * MIN;
    await results(['billing'], 'fail', at(700));
    const e = event('down:billing', 'ALARM', at(700));
    await handleAlarmEvent(e, deps());
    await handleAlarmEvent(e, deps());
    expect(pages()).toHaveLength(1);
    t = T0 + 716 * MIN;
    await Promise.all([handleSweep(deps()), handleSweep(deps()), handleSweep(deps())]);
    expect(pages().filter((p) => p.topic === TOPIC('critical-escalation-1'))).toHaveLength(1);
    await handleAlarmEvent(event('down:billing', 'OK', at(720), at(700)), deps());
  });

  it('a page whose publish failed is sent by the retry, and only once', async () => {
    t = T0 + 800 * MIN;
    await results(['billing'], 'fail', at(800));
    const e = event('down:billing', 'ALARM', at(800));
    sns.failNext(3, 'server-error'); // the SDK's three attempts
    await expect(handleAlarmEvent(e, deps())).rejects.toThrow();
    // Lambda retries the event in a new container.
    await handleAlarmEvent(e, deps());
    const ok = sns.calls('Publish').filter((c) => c.answer === 'ok');
    expect(ok).toHaveLength(1);
    await handleAlarmEvent(event('down:billing', 'OK', at(805), at(800)), deps());
  });

  it('records every page per channel, and names a channel that keeps failing on the others', async () => {
    rx.reply(() => ({ status: 500, json: { error: 'down for maintenance' } }));
    t = T0 + 900 * MIN;
    await results(['billing'], 'fail', at(900));
    await handleAlarmEvent(event('down:billing', 'ALARM', at(900)), deps());
    t = T0 + 905 * MIN;
    await results(['billing'], 'pass', at(905));
    await handleAlarmEvent(event('down:billing', 'OK', at(905), at(900)), deps());
    t = T0 + 910 * MIN;
    await results(['billing'], 'fail', at(910));
    await handleAlarmEvent(event('down:billing', 'ALARM', at(910)), deps());
    const last = pages().at(-1)!;
    expect(last.email).toContain('Delivery problems:');
    expect(last.email).toMatch(/webhook itsm failing since 05:00Z \(2 pages\)/);

    const trail = await new DeliveryTrail(db.client, db.tableName).list({ since: at(899) });
    const row = (channel: string) => trail.filter((e) => e.channel === channel).map((e) => `${e.word} ${e.ok}`);
    expect(row('topic critical')).toEqual(['DOWN true', 'OK true', 'DOWN true']);
    expect(row('webhook itsm')).toEqual(['DOWN false', 'OK false', 'DOWN false']);
    expect(trail.find((e) => !e.ok)!.error).toContain('HTTP 500');
    await handleAlarmEvent(event('down:billing', 'OK', at(915), at(910)), deps());
  });
});
