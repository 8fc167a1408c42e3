/**
 * Local pages (`watchpost dev`) post webhooks like the notifier and retry a failed one in the
 * process, on the notifier's schedule: a receiver on loopback that is down (refused, then 503)
 * and comes back gets the page; one that never comes back is given up loudly; stopping the
 * monitor prints what is thereby not delivered. Retries are driven by what the receiver saw,
 * never by waiting a fixed time (the fast policy only shortens the schedule).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ValidatedConfig } from '../shared/config/types';
import { parseConfig } from '../shared/config/validate';
import { localPages } from '../shared/notify/local';
import type { RetryPolicy } from '../shared/notify/retry';
import type { CheckResult } from '../shared/types';
import { startFlakyWebhook, type FlakyWebhook } from './helpers/flaky-webhook';
import { failedResult, minuteAt, REFUSED } from './helpers/results';

const TOKEN = 'local-itsm-T0KEN-99';
let hook: FlakyWebhook;
let config: ValidatedConfig;

beforeAll(async () => {
  hook = await startFlakyWebhook();
  config = parseConfig({
    project: 'shop',
    homeRegion: 'eu-central-1',
    regions: ['eu-central-1'],
    notify: {
      webhooks: [
        {
          name: 'itsm',
          format: 'generic',
          url: `${hook.url}/itsm`,
          headers: { authorization: { secret: 'local-itsm' } },
        },
      ],
    },
    checks: [{ id: 'shop-cart', kind: 'http', url: 'https://shop.example.com/cart' }],
  });
});
afterAll(() => hook?.close());

const secrets = async (name: string) =>
  name === 'local-itsm' ? `Bearer ${TOKEN}` : Promise.reject(new Error(`unknown secret ${name}`));
/** The notifier's schedule shape (doubling, then given up), in milliseconds instead of minutes. */
const FAST: RetryPolicy = { delaySeconds: (n) => Math.min(0.08, 0.01 * 2 ** n), giveUpAfterMs: 150 };

const result = (minute: number): CheckResult =>
  failedResult({ region: 'local', scheduledAt: minuteAt(minute), error: REFUSED });
const ok = { status: 'pass' as const, since: '2026-03-01T13:00:00.000Z' };

describe('local webhook pages', () => {
  it('retries a receiver that is down (refused, then 503) until it is back, and delivers once', async () => {
    await hook.down();
    hook.requests.length = 0;
    const lines: string[] = [];
    let failures = 0;
    const out = (s: string) => {
      lines.push(s);
      if (!s.includes('not delivered (')) return;
      // Each failed try changes the receiver: first refused, then 503, then back.
      failures++;
      if (failures === 1) void hook.fail(503);
      if (failures === 2) void hook.up();
    };
    // Never given up here: the receiver comes back (delays long enough for it to listen again).
    const policy: RetryPolicy = { delaySeconds: (n) => 0.05 * 2 ** n, giveUpAfterMs: 60_000 };
    const pages = localPages({
      config,
      out,
      webhooks: { secrets, deliver: { dispatcher: hook.agent, backoffMs: 1 }, policy },
    });
    pages.announce(result(2), ok);
    await pages.idle();
    expect(lines.filter((l) => l.includes('not delivered ('))).toEqual([
      expect.stringMatching(/webhook itsm not delivered \(ECONNREFUSED: .*\): try 2 in/),
      expect.stringMatching(/webhook itsm not delivered \(HTTP 503: unavailable\): try 3 in/),
    ]);
    expect(lines).toContain('        webhook itsm delivered on try 3');
    const delivered = hook.requests.filter(
      (r) => r.headers.authorization === `Bearer ${TOKEN}` && r.json?.event === 'trigger',
    );
    expect(new Set(delivered.map((r) => r.json.id)).size).toBe(1);
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  it('gives a page up loudly when the receiver never comes back', async () => {
    await hook.down();
    const lines: string[] = [];
    const pages = localPages({
      config,
      out: (s) => lines.push(s),
      webhooks: { secrets, deliver: { dispatcher: hook.agent, backoffMs: 1 }, policy: FAST },
    });
    pages.announce(result(10), ok);
    await pages.idle();
    const given = lines.filter((l) => l.includes('WEBHOOK PAGE GIVEN UP'));
    expect(given).toHaveLength(1);
    expect(given[0]).toMatch(
      /WEBHOOK PAGE GIVEN UP itsm: DOWN shop-cart \(watchpost\/shop\/down:shop-cart\) not delivered /,
    );
    expect(given[0]).toMatch(/ not delivered in \d+ tries .* last error: ECONNREFUSED/);
    // Retried before it was given up, and nothing after.
    expect(lines.findIndex((l) => l.includes('not delivered ('))).toBeGreaterThan(0);
    expect(lines.at(-1)).toBe(given[0]);
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  it('waits the notifier schedule by default (15 s first) and says what stopping leaves undelivered', async () => {
    await hook.down();
    const lines: string[] = [];
    let queued!: () => void;
    const firstRetry = new Promise<void>((r) => (queued = r));
    const pages = localPages({
      config,
      out: (s) => {
        lines.push(s);
        if (s.includes('not delivered (')) queued();
      },
      webhooks: { secrets, deliver: { dispatcher: hook.agent, backoffMs: 1 } },
    });
    pages.announce(result(20), ok);
    await firstRetry;
    expect(lines.at(-1)).toMatch(/try 2 in 15s$/);
    pages.stop();
    await pages.idle();
    expect(lines.at(-1)).toBe(
      '        webhook page not delivered itsm: DOWN shop-cart — the monitor stopped before its next try',
    );
  });

  it('skips a webhook whose secret is not set locally, saying so once', async () => {
    delete process.env.WATCHPOST_SECRET_LOCAL_ITSM;
    const lines: string[] = [];
    hook.requests.length = 0;
    await hook.up();
    const pages = localPages({ config, out: (s) => lines.push(s) });
    pages.announce(result(30), ok);
    await pages.idle();
    pages.announce({ ...result(31), status: 'pass', error: undefined } as CheckResult, {
      status: 'fail',
      since: result(30).scheduledAt,
    });
    await pages.idle();
    expect(
      lines.filter((l) => l.includes('webhook itsm not sent locally: WATCHPOST_SECRET_LOCAL_ITSM not set')),
    ).toHaveLength(1);
    expect(hook.requests).toEqual([]);
  });
});
