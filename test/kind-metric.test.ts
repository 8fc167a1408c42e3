/**
 * The `metric` kind against a real HTTP server on loopback: the figure, its limits, its history
 * (the embedded store through runPass, as the runner uses it), and every way the endpoint can
 * misbehave.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ValidatedCheck } from '../shared/config/types';
import { parseConfig, validateConfig } from '../shared/config/validate';
import { silentLog } from '../shared/log';
import { judgeAnomaly } from '../shared/probes/metric/run';
import { registry } from '../shared/probes/registry';
import { runCheck } from '../shared/runner/run-check';
import { runPass } from '../shared/runner/run-pass';
import type { SecretResolver } from '../shared/secrets';
import { startEmbeddedStore, type EmbeddedStore } from '../shared/store/embedded';

const STATS_TOKEN = 'stats-token-9c1e5a7f3b';
const secrets: SecretResolver = async (name) => {
  if (name === 'stats-token') return STATS_TOKEN;
  throw new Error(`no secret ${name}`);
};
const base = { project: 'test', homeRegion: 'eu-central-1', regions: ['eu-central-1'] };

type Route = (req: IncomingMessage, res: ServerResponse) => void;
const json =
  (body: unknown, status = 200): Route =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
let figure = 100;
const routes: Record<string, Route> = {
  '/stats': json({ signups: { lastHour: 42 }, orders: '17', nothing: null, list: [1, 2] }),
  '/feed/empty': json({ products: [], count: 0 }),
  '/feed/full': json({ products: [{ id: 1 }, { id: 2 }, { id: 3 }] }),
  '/figure': (req, res) => json({ value: figure })(req, res),
  '/private': (req, res) => {
    if (req.headers['x-api-key'] !== STATS_TOKEN) return json({ error: 'unauthorized' }, 401)(req, res);
    json({ orders: 5 })(req, res);
  },
  '/broken': json('{"orders": 5', 200),
  '/error': json({ error: 'db down' }, 503),
  '/huge': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`{"pad":"${'x'.repeat(2 * 1024 * 1024)}","value":1}`);
  },
  '/hang': () => {},
  '/reset': (req) => req.socket.destroy(),
};

let server: Server;
let url = '';
beforeAll(async () => {
  server = createServer((req, res) =>
    (routes[(req.url ?? '').split('?')[0]!] ?? json({ error: 'no route' }, 404))(req, res),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function metricCheck(fields: Record<string, unknown>): ValidatedCheck {
  return parseConfig({ ...base, checks: [{ id: 'fig', kind: 'metric', timeout: '2s', ...fields }] }).checks[0]!;
}
const run = (fields: Record<string, unknown>, history?: number[]) =>
  runCheck(metricCheck(fields), {
    region: 'eu-central-1',
    secrets,
    state: {
      history:
        history &&
        (async (_id, limit) =>
          history.slice(0, limit).map((v, i) => ({
            scheduledAt: new Date(Date.now() - (i + 1) * 60_000).toISOString(),
            metrics: { Value: v },
          }))),
    },
  });

describe('metric config', () => {
  const diag = (c: Record<string, unknown>) => {
    const r = validateConfig({ ...base, checks: [{ id: 'fig', kind: 'metric', ...c }] });
    return r.ok ? [] : r.diagnostics;
  };
  it('reports every problem with its path', () => {
    const d = diag({ url: 'ftp://x', path: '$.items[', min: '1', max: 0, anomaly: { band: 0, deviation: 5 } });
    const paths = d.map((x) => x.path).sort();
    expect(paths).toEqual([
      'checks[0] "fig".anomaly.band',
      'checks[0] "fig".anomaly.deviation',
      'checks[0] "fig".min',
      'checks[0] "fig".path',
      'checks[0] "fig".url',
    ]);
    expect(d.find((x) => x.path.endsWith('.min'))!.hint).toBe('write 1 without quotes');
    expect(d.find((x) => x.path.endsWith('.deviation'))!.hint).toBe('did you mean "deviationPercent"?');
    expect(diag({ url: 'http://x/', path: '$.a', min: 10, max: 1 })).toEqual([
      expect.objectContaining({ path: 'checks[0] "fig".max', message: '1 is below min 10' }),
    ]);
    expect(diag({ url: 'http://x/' }).map((x) => x.path)).toEqual(['checks[0] "fig".path']);
  });
  it('fills anomaly defaults and adds no alarm of its own: an anomaly pages once, as the failed run', () => {
    const c = metricCheck({ url: 'http://x/', path: '$.a', anomaly: {}, frequency: '5m' });
    expect((c as any).anomaly).toEqual({ band: 2, deviationPercent: 50, samples: 12 });
    expect(registry.get('metric')!.alarms?.(c) ?? []).toEqual([]);
  });
});

describe('metric runs', () => {
  it('reads the figure at path and publishes it as Value', async () => {
    const r = await run({
      url: `${url}/stats`,
      path: '$.signups.lastHour',
      assertions: [{ source: 'value', comparison: 'greaterThan', target: 10 }],
    });
    expect(r.status).toBe('pass');
    expect(r.metrics).toEqual({ Value: 42 });
    expect(r.details).toMatchObject({ value: 42, path: '$.signups.lastHour', statusCode: 200 });
    expect(r.timings.total).toBeGreaterThan(0);
    expect(r.assertions[0]).toMatchObject({ source: 'value', actual: 42, pass: true });
    // A numeric string counts.
    expect((await run({ url: `${url}/stats`, path: '$.orders' })).metrics).toEqual({ Value: 17 });
  });

  it('a feed with zero products fails (BELOW_MIN), and still publishes the 0', async () => {
    const r = await run({ url: `${url}/feed/empty`, path: '$.products.length', min: 1 });
    expect(r.status).toBe('fail');
    expect(r.error).toEqual({ code: 'BELOW_MIN', message: '$.products.length is 0, below the minimum 1' });
    expect(r.metrics).toEqual({ Value: 0 });
    expect((await run({ url: `${url}/feed/full`, path: '$.products.length', min: 1 })).status).toBe('pass');
    expect((await run({ url: `${url}/feed/full`, path: '$.products.length', max: 2 })).error).toMatchObject({
      code: 'ABOVE_MAX',
    });
  });

  it('a zero feed also fails against its history (ANOMALY), in either direction', async () => {
    const history = [980, 1010, 1000, 1020, 990];
    const low = await run({ url: `${url}/feed/empty`, path: '$.count', anomaly: {} }, history);
    expect(low.error).toEqual({
      code: 'ANOMALY',
      message: '$.count is 0, 100% below its trailing average 1000 of the last 5 runs (limit ±50%)',
    });
    figure = 1700;
    const high = await run({ url: `${url}/figure`, path: '$.value', anomaly: { deviationPercent: 60 } }, history);
    expect(high.error).toMatchObject({ code: 'ANOMALY' });
    expect(high.error!.message).toContain('70% above');
    figure = 1100;
    const ok = await run({ url: `${url}/figure`, path: '$.value', anomaly: {} }, history);
    expect(ok.status).toBe('pass');
    expect(ok.details!.anomaly).toMatchObject({
      state: 'judged',
      average: 1000,
      deviationPercent: 10,
      samples: 5,
      limitPercent: 50,
      anomalous: false,
    });
    // Too little history: learning, not judged.
    const learning = await run({ url: `${url}/feed/empty`, path: '$.count', anomaly: {} }, [1000, 1000]);
    expect(learning.status).toBe('pass');
    expect(learning.details!.anomaly).toMatchObject({ state: 'learning', samples: 2 });
  });

  it('judges against the history stored by earlier runs (runPass + embedded store)', async () => {
    const embedded: EmbeddedStore = await startEmbeddedStore({ inMemory: true });
    try {
      const config = parseConfig({
        ...base,
        checks: [
          {
            id: 'orders-per-hour',
            kind: 'metric',
            url: `${url}/figure`,
            path: '$.value',
            anomaly: { deviationPercent: 40, samples: 4 },
          },
        ],
      });
      const check = config.checks[0]!;
      // Recent ticks: the embedded store prunes history older than the retention.
      const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
      const pass = (i: number) =>
        runPass({
          config,
          region: 'eu-central-1',
          tick: t0 + i * 60_000,
          deadline: Date.now() + 10_000,
          runs: [{ check, scheduledAt: t0 + i * 60_000 }],
          waitForSchedule: false,
          secrets,
          store: embedded.store,
          log: silentLog,
        });
      for (const [i, v] of [200, 210, 190, 205].entries()) {
        figure = v;
        const rep = await pass(i);
        expect(rep.results[0]!.status).toBe('pass');
        expect(rep.written).toBe(1);
      }
      figure = 20;
      const drop = await pass(4);
      expect(drop.results[0]!.error).toMatchObject({ code: 'ANOMALY' });
      expect(drop.results[0]!.details!.anomaly).toMatchObject({ state: 'judged', samples: 4, average: 201.25 });
    } finally {
      await embedded.close();
    }
  });

  it('sends secret headers and keeps them out of the result', async () => {
    const r = await run({
      url: `${url}/private`,
      path: '$.orders',
      headers: { 'x-api-key': { secret: 'stats-token' } },
    });
    expect(r.status).toBe('pass');
    expect(r.metrics).toEqual({ Value: 5 });
    expect(JSON.stringify(r)).not.toContain(STATS_TOKEN);
  });

  it('every endpoint misbehaviour is a failed result with a stable code inside the timeout', async () => {
    const code = async (path: string, p = '$.value', extra: Record<string, unknown> = {}) =>
      (await run({ url: `${url}${path}`, path: p, ...extra })).error?.code;
    expect(await code('/private', '$.orders')).toBe('HTTP_STATUS');
    expect(await code('/error')).toBe('HTTP_STATUS');
    expect(await code('/broken', '$.orders')).toBe('INVALID_JSON');
    expect(await code('/stats', '$.signups.total')).toBe('NO_VALUE');
    expect(await code('/stats', '$.nothing')).toBe('NOT_A_NUMBER');
    const arr = await run({ url: `${url}/stats`, path: '$.list' });
    expect(arr.error).toEqual({
      code: 'NOT_A_NUMBER',
      message: '$.list is an array of 2, not a number — hint: $.list.length counts its items',
    });
    expect(await code('/huge')).toBe('BODY_TOO_LARGE');
    expect(await code('/reset')).toBe('RESET');
    expect(await code('/hang', '$.value', { timeout: '1s' })).toBe('TIMEOUT');
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise((r) => s.close(r));
    expect((await run({ url: `http://127.0.0.1:${port}/x`, path: '$.v' })).error?.code).toBe('CONNECT_REFUSED');
  });
});

describe('judgeAnomaly', () => {
  it('does not judge a zero baseline (use min/max there)', () => {
    expect(judgeAnomaly(5, [0, 0, 0], 50)).toMatchObject({ state: 'no-baseline', anomalous: false });
    expect(judgeAnomaly(-150, [-100, -100, -100], 40)).toMatchObject({
      state: 'judged',
      deviationPercent: -50,
      anomalous: true,
    });
  });
});
