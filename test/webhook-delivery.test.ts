/**
 * One webhook delivery against a real HTTPS receiver on loopback: a huge error body is read to
 * 4 KB and the connection dropped (the receiver could write only a small part of 400 MB), an
 * error body echoing the secret is redacted, and a generic page carries an id that is the same
 * on every try.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { parseConfig } from '../shared/config/validate';
import { incidentFromStatus } from '../shared/notify/message';
import {
  buildWebhookRequest,
  deliverWebhook,
  deliveryId,
  ERROR_BODY_LIMIT,
  readCapped,
} from '../shared/notify/webhooks';
import { startFlakyWebhook, type FlakyWebhook } from './helpers/flaky-webhook';

const TOKEN = 'itsm-token-S3CR3T-0042';
const HUGE = 400 * 1024 * 1024;
let hook: FlakyWebhook;

beforeAll(async () => {
  hook = await startFlakyWebhook();
});
afterAll(() => hook?.close());

const config = parseConfig({
  project: 'shop',
  homeRegion: 'eu-central-1',
  regions: ['eu-central-1'],
  notify: {
    webhooks: [
      {
        name: 'itsm',
        format: 'generic',
        url: 'https://itsm.example.com/hook',
        headers: { authorization: { secret: 'itsm' } },
      },
    ],
  },
  checks: [{ id: 'shop-cart', kind: 'http', url: 'https://shop.example.com/cart' }],
});
const at = '2026-03-01T14:02:00.000Z';
const incident = incidentFromStatus({
  config,
  check: config.checks[0]!,
  latest: [
    {
      checkId: 'shop-cart',
      region: 'local',
      status: 'fail',
      since: at,
      consecutiveFailures: 1,
      lastScheduledAt: at,
      lastResult: {
        checkId: 'shop-cart',
        kind: 'http',
        region: 'local',
        scheduledAt: at,
        startedAt: at,
        durationMs: 30,
        status: 'fail',
        attempts: 1,
        error: { code: 'CONNECT_REFUSED', message: 'connection refused' },
        timings: {},
        assertions: [],
        metrics: {},
      },
    },
  ],
  at,
  links: { local: true },
});
const req = () => ({
  ...buildWebhookRequest(incident, config.notify.webhooks![0]!, () => `Bearer ${TOKEN}`),
  url: `${hook.url}/itsm`,
});

describe('webhook delivery', () => {
  it('reads a 400 MB error body to 4 KB and drops the connection: memory stays bounded', async () => {
    await hook.huge(HUGE);
    const before = process.memoryUsage();
    const out = await deliverWebhook(req(), { dispatcher: hook.agent, retries: 0, secrets: new Set([TOKEN]) });
    const after = process.memoryUsage();
    expect(out).toMatchObject({ ok: false, status: 500, attempts: 1 });
    expect(out.error!.length).toBeLessThan(400);
    // The receiver got to write only what socket buffers hold before the client went away.
    await new Promise((r) => setTimeout(r, 100));
    expect(hook.hugeBytesWritten()).toBeLessThan(32 * 1024 * 1024);
    expect(after.arrayBuffers + after.heapUsed - (before.arrayBuffers + before.heapUsed)).toBeLessThan(
      64 * 1024 * 1024,
    );

    // What the reader itself consumed: exactly the limit.
    const res = await request(`${hook.url}/raw`, { method: 'POST', body: '{}', dispatcher: hook.agent });
    const read = await readCapped(res.body);
    expect(read).toMatchObject({ bytes: ERROR_BODY_LIMIT, cut: true });
    expect(read.text).toHaveLength(ERROR_BODY_LIMIT);
  });

  it('redacts a secret the error body echoes before it is logged or returned', async () => {
    await hook.fail(401, (r) => `bad credentials: ${r.headers.authorization} (token ${TOKEN})`);
    const lines: string[] = [];
    const log = {
      debug: () => {},
      info: () => {},
      warn: (m: string, f?: object) => lines.push(`${m} ${JSON.stringify(f)}`),
      error: () => {},
    };
    const out = await deliverWebhook(req(), {
      dispatcher: hook.agent,
      retries: 0,
      secrets: new Set([TOKEN, `Bearer ${TOKEN}`]),
      log,
    });
    expect(out.error).toMatch(/^HTTP 401: bad credentials: \*\*\*/);
    expect(JSON.stringify(out)).not.toContain(TOKEN);
    expect(lines.join('\n')).toContain('webhook not delivered');
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  it('gives a generic page an id that is the same on every try (payload and idempotency-key header)', async () => {
    await hook.up();
    hook.requests.length = 0;
    await deliverWebhook(req(), { dispatcher: hook.agent });
    await deliverWebhook(req(), { dispatcher: hook.agent });
    const ids = hook.requests.map((r) => [r.json.id, r.headers['idempotency-key']]);
    expect(ids).toEqual([
      [deliveryId(incident, 'trigger'), deliveryId(incident, 'trigger')],
      [deliveryId(incident, 'trigger'), deliveryId(incident, 'trigger')],
    ]);
    expect(deliveryId(incident, 'resolve')).not.toBe(deliveryId(incident, 'trigger'));
  });
});
