/**
 * Page formatting, pure: the GSM-7 alphabet, the one-segment SMS (as a table of cases), the
 * email, the webhook payloads, flapping decisions, and the `notify` config diagnostics.
 */
import { describe, expect, it } from 'vitest';
import { alarmSpecs, type AlarmSpec } from '../shared/alarms/specs';
import { formatDiagnostic } from '../shared/config/schema';
import type { ValidatedConfig } from '../shared/config/types';
import { parseConfig, validateConfig } from '../shared/config/validate';
import { flappingSettings, smsSpendAlarm, webhookSecretNames, webhooksFor } from '../shared/notify/config';
import { emailSubject, formatEmail } from '../shared/notify/format-email';
import { formatSms } from '../shared/notify/format-sms';
import { decideFlapping, MemoryFlapStore, type FlapAction, type FlapRecord } from '../shared/notify/flapping';
import { gsmLength, isGsm, toAscii, toGsm, truncateWords } from '../shared/notify/gsm';
import {
  incidentFromAlarm,
  incidentFromStatus,
  testIncident,
  type AlarmChange,
  type Incident,
} from '../shared/notify/message';
import { parseAlarmChange } from '../shared/notify/notifier';
import { publishInput } from '../shared/notify/sns';
import { buildWebhookRequest } from '../shared/notify/webhooks';
import type { LatestState } from '../shared/store/types';
import type { CheckResult, CheckStatus } from '../shared/types';

const REGIONS = ['eu-central-1', 'us-east-1', 'ap-southeast-1'];
const config: ValidatedConfig = parseConfig({
  project: 'shop',
  homeRegion: 'eu-central-1',
  regions: REGIONS,
  notify: {
    webhooks: [
      { name: 'pagerduty', format: 'pagerduty', routingKey: { secret: 'watchpost/pagerduty' }, severity: ['critical'] },
      { name: 'opsgenie', format: 'opsgenie', apiKey: { secret: 'watchpost/opsgenie' } },
      {
        name: 'itsm',
        format: 'generic',
        url: 'https://itsm.example.com/hooks/watchpost',
        headers: { authorization: { secret: 'watchpost/itsm' } },
      },
    ],
  },
  checks: [
    {
      id: 'shop-cart',
      name: 'Shop: add to cart',
      kind: 'http',
      method: 'POST',
      url: 'https://shop.example.com/api/cart',
      runbook: 'https://wiki.example.com/rb/cart',
    },
    { id: 'shop-home', kind: 'http', url: 'https://shop.example.com/', degradedAfter: '2s' },
    { id: 'api', kind: 'http', url: 'https://api.example.com/health', regions: ['us-east-1'] },
    { id: 'shop-cert', kind: 'tls', host: 'shop.example.com' },
    {
      id: `c-${'x'.repeat(60)}`,
      kind: 'http',
      url: 'https://x.example.com/',
      runbook: `https://wiki.example.com/${'very-long-runbook-path/'.repeat(4)}`,
    },
  ],
});
const specs = alarmSpecs(config);
const spec = (key: string): AlarmSpec => specs.find((s) => s.key === key)!;

const AT = '2026-03-01T14:05:00.000Z';
/** How every SMS of these cases ends: the check's runbook link. */
const RUNBOOK_AT_END = / https:\/\/wiki\.example\.com\/rb\/cart$/.source;
const SINCE = '2026-03-01T14:02:00.000Z';

function state(
  checkId: string,
  region: string,
  status: CheckStatus,
  opts: { error?: CheckResult['error']; statusCode?: number; durationMs?: number; since?: string } = {},
): LatestState {
  const result: CheckResult = {
    checkId,
    kind: 'http',
    region,
    scheduledAt: '2026-03-01T14:04:00.000Z',
    startedAt: '2026-03-01T14:04:00.050Z',
    durationMs: opts.durationMs ?? 180,
    status,
    attempts: 1,
    ...(opts.error ? { error: opts.error } : {}),
    timings: { dns: 3, connect: 12, tls: 25, ttfb: 130, total: 178 },
    assertions: [],
    metrics: {},
    details: opts.statusCode ? { statusCode: opts.statusCode } : {},
  };
  return {
    checkId,
    region,
    status,
    since: opts.since ?? SINCE,
    consecutiveFailures: status === 'fail' ? 3 : 0,
    lastScheduledAt: result.scheduledAt,
    lastResult: result,
  };
}

const http503 = { error: { code: 'ASSERTION', message: 'status is 503, expected 200' }, statusCode: 503 };
const change = (key: string, c: Partial<AlarmChange> = {}): AlarmChange => ({
  name: spec(key).name,
  state: 'ALARM',
  previousState: 'OK',
  at: AT,
  ...c,
});
const alarm = (
  key: string,
  latest: LatestState[],
  c: Partial<AlarmChange> = {},
  flapping?: { changes: number; windowMs: number },
) => incidentFromAlarm({ config, spec: spec(key), change: change(key, c), latest, ...(flapping ? { flapping } : {}) });

const longId = `c-${'x'.repeat(60)}`;
const cases: Array<{ name: string; incident: () => Incident; sms: string | RegExp }> = [
  {
    name: 'DOWN in every region: what, where, headline, since, then the error and the runbook',
    incident: () =>
      alarm(
        'down:shop-cart',
        REGIONS.map((r) => state('shop-cart', r, 'fail', http503)),
      ),
    sms:
      'DOWN shop-cart 3/3 regions HTTP 503 since 14:02Z - status is 503, expected 200 ' +
      'https://wiki.example.com/rb/cart',
  },
  {
    name: 'DOWN in one of three regions names the region',
    incident: () =>
      alarm('down:shop-cart', [
        state('shop-cart', 'us-east-1', 'fail', { error: { code: 'TIMEOUT', message: 'no answer within 10s' } }),
        state('shop-cart', 'eu-central-1', 'pass'),
      ]),
    sms: 'DOWN shop-cart us-east-1 timeout since 14:02Z - no answer within 10s https://wiki.example.com/rb/cart',
  },
  {
    name: 'DOWN with no results readable says what the alarm rule implies',
    incident: () => alarm('down:api', []),
    sms: 'DOWN api us-east-1 since 14:05Z',
  },
  {
    name: 'DEGRADED: the slowest run against degradedAfter',
    incident: () =>
      alarm('degraded:shop-home', [
        state('shop-home', 'eu-central-1', 'degraded', { durationMs: 2_400 }),
        state('shop-home', 'us-east-1', 'degraded', { durationMs: 2_100 }),
        state('shop-home', 'ap-southeast-1', 'pass'),
      ]),
    sms: 'DEGRADED shop-home 2/3 regions 2.4s > 2s since 14:02Z - slowest run 2.4s in eu-central-1',
  },
  {
    name: 'recovery says how long it lasted',
    incident: () =>
      alarm(
        'down:shop-cart',
        REGIONS.map((r) => state('shop-cart', r, 'pass')),
        { state: 'OK', previousState: 'ALARM', at: '2026-03-01T14:17:00Z', previousAt: '2026-03-01T14:05:00.000+0000' },
      ),
    sms: 'OK shop-cart after 12m',
  },
  {
    name: 'recovery from DEGRADED says what it was',
    incident: () =>
      alarm('degraded:shop-home', [], {
        state: 'OK',
        previousState: 'ALARM',
        at: '2026-03-01T15:10:00Z',
        previousAt: AT,
      }),
    sms: 'OK shop-home after 1h 5m (was DEGRADED)',
  },
  {
    name: 'flapping: one message with the count and the state now',
    incident: () =>
      alarm(
        'down:shop-cart',
        REGIONS.map((r) => state('shop-cart', r, 'fail', http503)),
        {},
        { changes: 4, windowMs: 1_800_000 },
      ),
    sms:
      'FLAPPING shop-cart 4 changes in 30m, now DOWN 3/3 regions HTTP 503 - no more pages until it is stable ' +
      'https://wiki.example.com/rb/cart',
  },
  {
    name: 'flapping that ends up OK',
    incident: () =>
      alarm('down:shop-cart', [], { state: 'OK', previousState: 'ALARM' }, { changes: 5, windowMs: 1_800_000 }),
    sms:
      'FLAPPING shop-cart 5 changes in 30m, now OK - no more pages until it is stable ' +
      'https://wiki.example.com/rb/cart',
  },
  {
    name: 'a kind alarm speaks its own description',
    incident: () => alarm('kind:shop-cert:cert-expiry', []),
    sms: 'CERT-EXPIRY shop-cert the TLS certificate of shop.example.com:443 expires in less than 7 days since 14:05Z',
  },
  {
    name: 'a runner alarm names the region and what is unwatched',
    incident: () => alarm('runner:us-east-1', []),
    sms: 'DOWN runner us-east-1 no healthy probe pass since 14:05Z - 5 checks not probed in us-east-1 meanwhile',
  },
  {
    name: 'a problem that began yesterday carries the date',
    incident: () =>
      alarm(
        'down:shop-cart',
        REGIONS.map((r) => state('shop-cart', r, 'fail', { ...http503, since: '2026-02-28T09:15:00Z' })),
      ),
    sms: /^DOWN shop-cart 3\/3 regions HTTP 503 since 02-28 09:15Z /,
  },
  {
    name: 'non-GSM text in an error is replaced, GSM accents stay',
    incident: () =>
      alarm('down:shop-cart', [
        state('shop-cart', 'eu-central-1', 'fail', {
          error: { code: 'ASSERTION', message: 'body says “Größe über Maß” – café naïve 🔥 ½' },
          statusCode: 500,
        }),
      ]),
    sms:
      'DOWN shop-cart eu-central-1 HTTP 500 since 14:02Z - body says "Größe über Maß" - café naive ? 1/2 ' +
      'https://wiki.example.com/rb/cart',
  },
  {
    name: 'a long error is cut at a word, with ...',
    incident: () =>
      alarm('down:shop-cart', [
        state('shop-cart', 'eu-central-1', 'fail', {
          error: { code: 'ASSERTION', message: `${'upstream gateway reported unavailability '.repeat(6)}end` },
          statusCode: 502,
        }),
      ]),
    sms: new RegExp(
      /^DOWN shop-cart eu-central-1 HTTP 502 since 14:02Z - upstream gateway /.source +
        /.*(unavailability|upstream|gateway|reported)\.\.\./.source +
        RUNBOOK_AT_END,
    ),
  },
  {
    name: 'extension characters count twice',
    incident: () =>
      alarm('down:shop-cart', [
        state('shop-cart', 'eu-central-1', 'fail', {
          error: { code: 'INVALID_JSON', message: `${'{[€]} '.repeat(30)}` },
        }),
      ]),
    sms: new RegExp(
      /^DOWN shop-cart eu-central-1 invalid JSON since 14:02Z - (\{\[€\]\} )+\{\[€\]\}\.\.\./.source + RUNBOOK_AT_END,
    ),
  },
  {
    name: 'a link that does not fit is left out whole',
    incident: () =>
      alarm(
        `down:${longId}`,
        REGIONS.map((r) =>
          state(longId, r, 'fail', {
            error: { code: 'CONNECT_REFUSED', message: 'connect ECONNREFUSED 203.0.113.7:443' },
          }),
        ),
      ),
    sms: `DOWN ${longId} 3/3 regions connection refused since 14:02Z - connect ECONNREFUSED 203.0.113.7:443`,
  },
  {
    name: 'a test page',
    incident: () => testIncident(config, 'critical', AT),
    sms: 'TEST shop critical page from watchpost at 14:05Z - no action needed',
  },
  {
    name: 'locally, a status change without an alarm',
    incident: () =>
      incidentFromStatus({
        config,
        check: config.checks[0]!,
        latest: [state('shop-cart', 'local', 'pass')],
        previous: { status: 'fail', since: '2026-03-01T13:50:00Z' },
        at: '2026-03-01T14:02:00Z',
      }),
    sms: 'OK shop-cart after 12m',
  },
];

describe('SMS', () => {
  it.each(cases)('$name', ({ incident, sms }) => {
    const text = formatSms(incident());
    if (typeof sms === 'string') expect(text).toBe(sms);
    else expect(text).toMatch(sms);
    expect(isGsm(text)).toBe(true);
    expect(gsmLength(text)).toBeLessThanOrEqual(160);
  });

  it('never cuts a word: every word of a shortened text is a whole word of the original', () => {
    const long =
      'Antidisestablishmentarianism floccinaucinihilipilification pneumonoultramicroscopicsilicovolcanoconiosis ';
    const message = long.repeat(4);
    const text = formatSms(
      alarm('down:shop-cart', [state('shop-cart', 'eu-central-1', 'fail', { error: { code: 'PROTOCOL', message } })]),
    );
    expect(gsmLength(text)).toBeLessThanOrEqual(160);
    const words = new Set(message.split(' '));
    const detail = text
      .split(' - ')[1]!
      .replace(/\.\.\. https:.*$/, '')
      .replace(/ https:.*$/, '');
    for (const w of detail.split(' ')) expect(words.has(w)).toBe(true);
  });

  it('fits any segment size it is asked for', () => {
    const i = alarm(
      'down:shop-cart',
      REGIONS.map((r) => state('shop-cart', r, 'fail', http503)),
    );
    for (const max of [30, 50, 70, 100]) {
      const text = formatSms(i, max);
      expect(gsmLength(text)).toBeLessThanOrEqual(max);
      expect(text.startsWith('DOWN shop-cart')).toBe(true);
    }
    expect(formatSms(i, 40)).toBe('DOWN shop-cart 3/3 regions HTTP 503');
  });
});

describe('GSM 03.38', () => {
  it.each([
    ['plain ASCII', 'DOWN shop-cart', 14],
    ['extension characters count 2', '{x}[€]', 11],
    ['GSM accents are single septets', 'Größe Ñandu àèéìòù ÄÖÜäöü ß Ç É', 31],
    ['a curly quote is not GSM', '“x”', Number.POSITIVE_INFINITY],
    ['lower-case ç is not GSM (only Ç is)', 'ç', Number.POSITIVE_INFINITY],
  ])('%s', (_n, text, septets) => expect(gsmLength(text)).toBe(septets));

  it.each([
    ['“smart” ‘quotes’', '"smart" \'quotes\''],
    ['en – em — dash … ellipsis', 'en - em - dash ... ellipsis'],
    ['emoji 🔥 and 👍🏽 and flags', 'emoji ? and ? and flags'],
    ['á ç ő ł ř', 'a c o l r'],
    ['kept: äöüñ ÄÖÜÑ éè € {}', 'kept: äöüñ ÄÖÜÑ éè € {}'],
    ['CJK 中文', 'CJK ??'],
    ['≥ 2 × faster → ok', '>= 2 x faster -> ok'],
  ])('toGsm(%j)', (input, out) => {
    expect(toGsm(input)).toBe(out);
    expect(isGsm(toGsm(input))).toBe(true);
  });

  it('ASCII for subjects', () => expect(toAscii('Größe “x” – €5')).toBe('Groesse "x" - EUR5'));

  it('truncates at words only', () => {
    expect(truncateWords('alpha beta gamma', 14)).toBe('alpha beta...');
    expect(truncateWords('alpha beta gamma', 16)).toBe('alpha beta gamma');
    expect(truncateWords('alphabetagamma', 10)).toBe('');
    expect(truncateWords('alpha, beta gamma', 11)).toBe('alpha...');
  });
});

describe('email', () => {
  it('says what broke, where, since when and what to do', () => {
    const i = alarm('down:shop-cart', [
      state('shop-cart', 'us-east-1', 'fail', http503),
      state('shop-cart', 'eu-central-1', 'pass'),
      state('shop-cart', 'ap-southeast-1', 'fail', {
        error: { code: 'TIMEOUT', message: 'no answer within 10s' },
        since: '2026-03-01T14:03:00Z',
      }),
    ]);
    const { subject, text } = formatEmail(i);
    expect(subject).toBe('DOWN shop-cart 2/3 regions HTTP 503 since 14:02Z [shop]');
    expect(text).toContain(
      'DOWN: shop-cart (Shop: add to cart) is failing in 2 of 3 regions (us-east-1, ap-southeast-1) since 14:02Z ' +
        '(3m): HTTP 503.',
    );
    expect(text).toContain('Target:    POST https://shop.example.com/api/cart (http)');
    // Failing regions first with their last error and timings; the passing one last.
    expect(text.indexOf('us-east-1        FAIL')).toBeLessThan(text.indexOf('ap-southeast-1   FAIL'));
    expect(text.indexOf('ap-southeast-1   FAIL')).toBeLessThan(text.indexOf('eu-central-1     PASS'));
    expect(text).toContain('error:    ASSERTION: status is 503, expected 200');
    expect(text).toContain('error:    TIMEOUT: no answer within 10s');
    expect(text).toContain('timings:  dns 3ms, connect 12ms, tls 25ms, ttfb 130ms, total 178ms');
    expect(text).toContain('3 failed runs in a row');
    expect(text).toContain('failing for 3m');
    expect(text).toContain('Runbook:   https://wiki.example.com/rb/cart');
    const cw = 'https://eu-central-1.console.aws.amazon.com/cloudwatch/home?region=eu-central-1';
    expect(text).toContain(`Dashboard: ${cw}#dashboards/dashboard/shop-watchpost`);
    expect(text).toContain(`Alarm:     ${cw}#alarmsV2:alarm/${encodeURIComponent(spec('down:shop-cart').name)}`);
  });

  it('keeps the subject ASCII and under 100 characters, starting with a letter or punctuation', () => {
    const long = alarm('down:shop-cart', [
      state('shop-cart', 'eu-central-1', 'fail', { error: { code: 'ASSERTION', message: 'x' }, statusCode: 503 }),
    ]);
    for (const i of [long, ...cases.map((c) => c.incident())]) {
      const s = emailSubject(i);
      expect(s.length).toBeLessThan(100);
      expect(s).toMatch(/^[\x21-\x7e][\x20-\x7e]*$/);
    }
  });

  it('announces a recovery and flapping in words', () => {
    const ok = formatEmail(
      alarm('down:shop-cart', [], { state: 'OK', previousState: 'ALARM', at: '2026-03-01T14:17:00Z', previousAt: AT }),
    );
    expect(ok.subject).toBe('OK shop-cart after 12m [shop]');
    expect(ok.text).toContain('recovered at 14:17Z after 12m DOWN');
    const flap = formatEmail(alarm('down:shop-cart', [], {}, { changes: 4, windowMs: 1_800_000 }));
    expect(flap.text).toContain('changed state 4 times in the last 30m; it is DOWN now');
    expect(flap.text).toContain('not paged until it has been stable for 30m');
  });
});

describe('SNS message', () => {
  it('has a message per protocol and a transactional SMS type', () => {
    const i = alarm(
      'down:shop-cart',
      REGIONS.map((r) => state('shop-cart', r, 'fail', http503)),
    );
    const input = publishInput('arn:aws:sns:eu-central-1:123456789012:shop-watchpost-critical', i);
    expect(input.MessageStructure).toBe('json');
    const m = JSON.parse(input.Message!);
    expect(Object.keys(m).sort()).toEqual(['default', 'email', 'sms']);
    expect(m.sms).toBe(formatSms(i));
    expect(m.email).toBe(formatEmail(i).text);
    expect(input.Subject).toBe(formatEmail(i).subject);
    expect(input.MessageAttributes!['AWS.SNS.SMS.SMSType']!.StringValue).toBe('Transactional');
  });
});

describe('webhook payloads', () => {
  const down = () =>
    alarm(
      'down:shop-cart',
      REGIONS.map((r) => state('shop-cart', r, 'fail', http503)),
    );
  const up = () =>
    alarm('down:shop-cart', [], { state: 'OK', previousState: 'ALARM', at: '2026-03-01T14:17:00Z', previousAt: AT });
  const placeholder = (name: string) => `<${name}>`;
  const hook = (name: string) => config.notify.webhooks!.find((w) => w.name === name)!;

  it('PagerDuty: trigger and resolve under the same dedup key', () => {
    const t = buildWebhookRequest(down(), hook('pagerduty'), placeholder);
    const r = buildWebhookRequest(up(), hook('pagerduty'), placeholder);
    expect(t.url).toBe('https://events.pagerduty.com/v2/enqueue');
    expect(t.body).toMatchObject({
      routing_key: '<watchpost/pagerduty>',
      event_action: 'trigger',
      dedup_key: 'watchpost/shop/down:shop-cart',
      payload: {
        summary: expect.stringMatching(/^DOWN shop-cart 3\/3 regions HTTP 503 since 14:02Z/),
        severity: 'critical',
        source: 'POST https://shop.example.com/api/cart',
        component: 'shop-cart',
        group: 'shop',
        class: 'down',
        timestamp: SINCE,
      },
      links: expect.arrayContaining([{ href: 'https://wiki.example.com/rb/cart', text: 'Runbook' }]),
    });
    expect(r.body).toEqual({
      routing_key: '<watchpost/pagerduty>',
      event_action: 'resolve',
      dedup_key: 'watchpost/shop/down:shop-cart',
    });
  });

  it('Opsgenie: create with the alias, close by alias', () => {
    const t = buildWebhookRequest(down(), hook('opsgenie'), placeholder);
    expect(t.headers.authorization).toBe('GenieKey <watchpost/opsgenie>');
    expect(t.url).toBe('https://api.opsgenie.com/v2/alerts');
    expect(t.body).toMatchObject({
      alias: 'watchpost/shop/down:shop-cart',
      priority: 'P1',
      entity: 'shop-cart',
      source: 'watchpost',
      tags: ['watchpost', 'shop', 'down', 'critical'],
    });
    expect((t.body as { message: string }).message.length).toBeLessThanOrEqual(130);
    const r = buildWebhookRequest(up(), hook('opsgenie'), placeholder);
    const alias = encodeURIComponent('watchpost/shop/down:shop-cart');
    expect(r.url).toBe(`https://api.opsgenie.com/v2/alerts/${alias}/close?identifierType=alias`);
    expect(r.body).toEqual({ source: 'watchpost', note: 'OK shop-cart after 12m' });
  });

  it('generic: watchpost JSON with the secret header', () => {
    const t = buildWebhookRequest(down(), hook('itsm'), placeholder);
    expect(t.headers).toMatchObject({ authorization: '<watchpost/itsm>', 'content-type': 'application/json' });
    expect(t.body).toMatchObject({
      version: 1,
      event: 'trigger',
      kind: 'problem',
      status: 'DOWN',
      dedupKey: 'watchpost/shop/down:shop-cart',
      affectedRegions: REGIONS,
      totalRegions: 3,
      headline: 'HTTP 503',
    });
    expect(buildWebhookRequest(up(), hook('itsm'), placeholder).body).toMatchObject({
      event: 'resolve',
      kind: 'recovery',
      status: 'OK',
      lastedMs: 720_000,
    });
  });

  it('routes by severity and lists exactly the referenced secrets', () => {
    expect(webhooksFor(config, 'critical').map((w) => w.name)).toEqual(['pagerduty', 'opsgenie', 'itsm']);
    expect(webhooksFor(config, 'warning').map((w) => w.name)).toEqual(['opsgenie', 'itsm']);
    expect(webhookSecretNames(config)).toEqual(['watchpost/itsm', 'watchpost/opsgenie', 'watchpost/pagerduty']);
  });
});

describe('flapping', () => {
  const settings = { changes: 4, windowMs: 30 * 60_000 };
  const run = (flips: Array<[number, 'ALARM' | 'OK']>): FlapAction[] => {
    let record: FlapRecord | undefined;
    return flips.map(([minute, state]) => {
      const d = decideFlapping(record, { at: minute * 60_000, state }, settings);
      record = d.record;
      return d.action;
    });
  };

  it.each<[string, Array<[number, 'ALARM' | 'OK']>, FlapAction[]]>([
    [
      'a normal outage pages twice',
      [
        [0, 'ALARM'],
        [20, 'OK'],
      ],
      ['notify', 'notify'],
    ],
    [
      'the 4th change within 30m is one FLAPPING message, then silence',
      [
        [0, 'ALARM'],
        [3, 'OK'],
        [6, 'ALARM'],
        [9, 'OK'],
        [12, 'ALARM'],
        [15, 'OK'],
      ],
      ['notify', 'notify', 'notify', 'flapping', 'suppress', 'suppress'],
    ],
    [
      'once calm, pages resume',
      [
        [0, 'ALARM'],
        [3, 'OK'],
        [6, 'ALARM'],
        [9, 'OK'],
        [60, 'ALARM'],
        [80, 'OK'],
      ],
      ['notify', 'notify', 'notify', 'flapping', 'notify', 'notify'],
    ],
    [
      'changes spread wider than the window never flap',
      [
        [0, 'ALARM'],
        [11, 'OK'],
        [22, 'ALARM'],
        [33, 'OK'],
        [44, 'ALARM'],
      ],
      ['notify', 'notify', 'notify', 'notify', 'notify'],
    ],
    [
      'a re-delivered event is a duplicate',
      [
        [0, 'ALARM'],
        [0, 'ALARM'],
      ],
      ['notify', 'duplicate'],
    ],
    [
      'an older event after a newer one is stale',
      [
        [5, 'OK'],
        [1, 'ALARM'],
      ],
      ['notify', 'stale'],
    ],
  ])('%s', (_n, flips, actions) => expect(run(flips)).toEqual(actions));

  it('undoes a change whose page could not be sent', async () => {
    const store = new MemoryFlapStore();
    for (const [m, s] of [
      [0, 'ALARM'],
      [3, 'OK'],
      [6, 'ALARM'],
    ] as const)
      await store.apply('c', 'down:c', { at: m * 60_000, state: s }, settings);
    const d = await store.apply('c', 'down:c', { at: 9 * 60_000, state: 'OK' }, settings);
    expect(d.action).toBe('flapping');
    await store.release('c', 'down:c', { at: 9 * 60_000, state: 'OK' }, d.wasFlapping);
    expect((await store.apply('c', 'down:c', { at: 9 * 60_000, state: 'OK' }, settings)).action).toBe('flapping');
  });
});

describe('alarm events', () => {
  it.each([
    [
      'ALARM from OK is a page',
      { state: { value: 'ALARM', timestamp: '2026-03-01T14:05:00.123+0000' }, previousState: { value: 'OK' } },
      { state: 'ALARM', at: '2026-03-01T14:05:00.123Z' },
    ],
    [
      'OK from ALARM is a recovery',
      { state: { value: 'OK' }, previousState: { value: 'ALARM', timestamp: '2026-03-01T13:50:00.000+0000' } },
      { state: 'OK', previousAt: '2026-03-01T13:50:00.000Z' },
    ],
    [
      'OK from INSUFFICIENT_DATA is no page',
      { state: { value: 'OK' }, previousState: { value: 'INSUFFICIENT_DATA' } },
      { skip: expect.stringContaining('not a recovery') },
    ],
    [
      'INSUFFICIENT_DATA is no page',
      { state: { value: 'INSUFFICIENT_DATA' }, previousState: { value: 'OK' } },
      { skip: expect.stringContaining('not paged') },
    ],
  ])('%s', (_n, detail, expected) => {
    expect(
      parseAlarmChange({ time: '2026-03-01T14:05:01Z', detail: { alarmName: 'shop DOWN x', ...detail } }),
    ).toMatchObject(expected);
  });
});

describe('notify config', () => {
  const base = { project: 'shop', homeRegion: 'eu-central-1', regions: ['eu-central-1'], checks: [] };
  const problems = (notify: unknown) => {
    const r = validateConfig({ ...base, notify });
    return r.ok ? [] : r.diagnostics.map(formatDiagnostic);
  };

  it('applies defaults and keeps what is set', () => {
    const c = parseConfig({ ...base, notify: { flapping: { window: '1h' }, smsSpendLimitUSD: 10 } });
    expect(flappingSettings(c)).toEqual({ changes: 4, windowMs: 3_600_000 });
    expect(smsSpendAlarm(c)).toEqual({ limitUSD: 10, percent: 80, thresholdUSD: 8 });
    expect(smsSpendAlarm(parseConfig(base))).toEqual({ limitUSD: 1, percent: 80, thresholdUSD: 0.8 });
    expect(parseConfig(base).notify).toEqual({ critical: { sms: [], email: [] }, warning: { sms: [], email: [] } });
  });

  it.each([
    [
      'a PagerDuty webhook without a routing key',
      { webhooks: [{ name: 'pd', format: 'pagerduty' }] },
      'notify.webhooks[0].routingKey: is required for format "pagerduty"',
    ],
    [
      'a key written inline',
      { webhooks: [{ name: 'og', format: 'opsgenie', apiKey: 'abc123' }] },
      'notify.webhooks[0].apiKey: the Opsgenie API key must not be written inline',
    ],
    [
      'a plain http URL',
      { webhooks: [{ name: 'x', format: 'generic', url: 'http://itsm.example.com/' }] },
      'notify.webhooks[0].url: expected an absolute https URL, got "http://itsm.example.com/"',
    ],
    [
      'a generic webhook without a URL',
      { webhooks: [{ name: 'x', format: 'generic' }] },
      'notify.webhooks[0].url: is required for format "generic"',
    ],
    [
      'an unknown format',
      { webhooks: [{ name: 'x', format: 'pagerdooty', routingKey: { secret: 'k' } }] },
      'did you mean "pagerduty"?',
    ],
    [
      'a routing key on the wrong format',
      { webhooks: [{ name: 'x', format: 'generic', url: 'https://a.example.com', routingKey: { secret: 'k' } }] },
      'notify.webhooks[0].routingKey: is only used by format "pagerduty"',
    ],
    [
      'duplicate names',
      {
        webhooks: [
          { name: 'x', format: 'generic', url: 'https://a.example.com' },
          { name: 'x', format: 'generic', url: 'https://b.example.com' },
        ],
      },
      'notify.webhooks[1].name: duplicate webhook name "x"',
    ],
    [
      'the authorization header of Opsgenie',
      { webhooks: [{ name: 'og', format: 'opsgenie', apiKey: { secret: 'k' }, headers: { Authorization: 'x' } }] },
      'give the key as apiKey instead',
    ],
    [
      'a flapping threshold of 1',
      { flapping: { changes: 1 } },
      'notify.flapping.changes: expected an integer from 2 to 100',
    ],
    ['an unknown key', { webhook: [] }, 'notify.webhook: unknown key — hint: did you mean "webhooks"?'],
    [
      'a local SMTP password inline',
      { localEmail: { smtp: { host: 'localhost', pass: 'hunter2' }, from: 'a@localhost', to: ['b@localhost'] } },
      'notify.localEmail.smtp.pass: the SMTP password must not be written inline',
    ],
    [
      'local email without recipients',
      { localEmail: { smtp: { host: 'localhost' }, from: 'a@localhost', to: [] } },
      'notify.localEmail.to: needs at least 1 item',
    ],
  ])('reports %s', (_n, notify, message) => {
    expect(problems(notify).join('\n')).toContain(message);
  });
});
