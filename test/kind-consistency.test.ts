/**
 * The `consistency` kind against two real HTTP servers on loopback (a "shop" and an "erp"): the
 * figures agree, disagree past either limit, a source fails with its own code, secrets in
 * headers, and `lag` comparing with the shop's value from that long ago, kept in the embedded store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ValidatedCheck } from '../shared/config/types';
import { parseConfig, validateConfig } from '../shared/config/validate';
import { compare } from '../shared/probes/consistency/run';
import { SampleStore } from '../shared/probes/consistency/sample-store';
import { registry } from '../shared/probes/registry';
import { runCheck } from '../shared/runner/run-check';
import type { SecretResolver } from '../shared/secrets';
import { startEmbeddedStore, type EmbeddedStore } from '../shared/store/embedded';
import { closedPort, startHttpServer, type TestServer } from './helpers/http-servers';

const ERP_TOKEN = 'erp-token-3f9a1c7e5b';
const secrets: SecretResolver = async (name) => {
  if (name === 'erp-token') return ERP_TOKEN;
  throw new Error(`no secret ${name}`);
};
let shopOrders = 100;
let erpCount = 100;
let shop: TestServer;
let erp: TestServer;
let embedded: EmbeddedStore;
let dead = 0;

const base = { project: 'test', homeRegion: 'eu-central-1', regions: ['eu-central-1'] };
const sources = (erpPath = '$.data.count') => [
  { name: 'shop', url: shop.url('/stats'), path: '$.today.orders' },
  { name: 'erp', url: erp.url('/count'), path: erpPath, headers: { authorization: { secret: 'erp-token' } } },
];
const configOf = (checks: Array<Record<string, unknown>>) =>
  parseConfig({ ...base, checks: checks.map((c) => ({ kind: 'consistency', ...c })) });
const run = (check: Record<string, unknown>) => {
  const config = configOf([{ id: 'orders-match', sources: sources(), ...check }]);
  return runCheck(config.checks[0] as ValidatedCheck, {
    region: 'eu-central-1',
    secrets,
    config,
    state: { table: { client: embedded.client, tableName: embedded.tableName } },
  });
};

beforeAll(async () => {
  shop = await startHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ today: { orders: shopOrders } }));
  });
  erp = await startHttpServer((req, res) => {
    if (req.headers.authorization !== ERP_TOKEN) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"error":"unauthorized"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ data: { count: erpCount, label: 'many' } }));
  });
  embedded = await startEmbeddedStore({ inMemory: true });
  dead = await closedPort();
});
afterAll(async () => {
  await shop?.close();
  await erp?.close();
  await embedded?.close();
});

describe('consistency: two systems agree on a figure', () => {
  it('passes when they agree within the tolerance, publishing Difference, with each value as a source', async () => {
    shopOrders = 100;
    erpCount = 97;
    const r = await run({
      tolerance: { percent: 5, absolute: 3 },
      assertions: [
        { source: 'value', property: 'erp', comparison: 'greaterThan', target: 0 },
        { source: 'percentDifference', comparison: 'lessThan', target: 4 },
      ],
    });
    expect(r.status).toBe('pass');
    expect(r.metrics).toEqual({ Difference: 3 });
    expect(r.details).toMatchObject({
      state: 'consistent',
      difference: 3,
      percentDifference: 3,
      sources: { shop: { value: 100, statusCode: 200 }, erp: { value: 97, statusCode: 200 } },
    });
    expect(r.assertions.map((a) => [a.actual, a.pass])).toEqual([
      [97, true],
      [3, true],
    ]);
    expect(Object.keys(r.timings).sort()).toEqual(['erp', 'shop', 'total']);
    expect(JSON.stringify(r)).not.toContain(ERP_TOKEN);
  });

  it('fails INCONSISTENT past either limit, naming both values and the limits', async () => {
    // 4 apart is 4%: within percent 5, past absolute 3.
    shopOrders = 100;
    erpCount = 96;
    const r = await run({ tolerance: { percent: 5, absolute: 3 } });
    expect(r.status).toBe('fail');
    expect(r.error).toEqual({
      code: 'INCONSISTENT',
      message: 'erp says 96, shop says 100: 4 apart (4%), allowed ±3 and ±5%',
    });
    expect(r.metrics).toEqual({ Difference: 4 });
    // 8 of 1000 is 0.8%: within absolute 10, past percent 0.5.
    shopOrders = 1000;
    erpCount = 1008;
    expect((await run({ tolerance: { percent: 0.5, absolute: 10 } })).error?.message).toBe(
      'erp says 1008, shop says 1000: 8 apart (0.8%), allowed ±10 and ±0.5%',
    );
    // No tolerance: they must be equal.
    expect((await run({})).error?.message).toBe('erp says 1008, shop says 1000: 8 apart (0.8%), allowed equal');
    erpCount = 1000;
    expect((await run({})).status).toBe('pass');
  });

  it('a source that cannot be read fails with its own code, its name first', async () => {
    const cfg = (erpSrc: Record<string, unknown>) => ({
      sources: [
        { name: 'shop', url: shop.url('/stats'), path: '$.today.orders' },
        { name: 'erp', ...erpSrc },
      ],
    });
    const noToken = await run(cfg({ url: erp.url('/count'), path: '$.data.count' }));
    expect(noToken.error).toEqual({
      code: 'HTTP_STATUS',
      message: `erp: GET ${erp.url('/count')} answered 401, expected 2xx`,
    });
    const refused = await run(cfg({ url: `http://127.0.0.1:${dead}/count`, path: '$.data.count' }));
    expect(refused.error?.code).toBe('CONNECT_REFUSED');
    expect(refused.error?.message).toMatch(/^erp: /);
    const text = await run({ sources: sources('$.data.label') });
    expect(text.error).toEqual({
      code: 'NOT_A_NUMBER',
      message: 'erp: $.data.label is the string "many", not a number',
    });
    const missing = await run({ sources: sources('$.data.total') });
    expect(missing.error?.code).toBe('NO_VALUE');
  });

  it('with lag, compares with the shop value from that long ago, kept in the store; waits for one', async () => {
    const id = 'orders-lag';
    const store = new SampleStore(embedded.client, embedded.tableName);
    const lagged = (extra: Record<string, unknown> = {}) =>
      run({ id, lag: '10m', tolerance: { absolute: 2 }, ...extra });
    shopOrders = 120;
    erpCount = 100;
    const first = await lagged();
    expect(first.status).toBe('pass');
    expect(first.details).toMatchObject({ state: 'waiting' });
    expect(first.details!.waiting).toBe('no value of shop from 10m ago kept yet: compared once there is one');
    expect(first.metrics).toEqual({});

    // The shop said 101 ten minutes ago; the erp has caught up to 100 by now.
    await store.put(id, 'eu-central-1', { at: Date.now() - 10 * 60_000 - 5_000, value: 101 }, 600_000);
    const caughtUp = await lagged();
    expect(caughtUp.status).toBe('pass');
    expect(caughtUp.details).toMatchObject({ state: 'consistent', difference: 1, reference: { value: 101 } });

    await store.put(id, 'eu-central-1', { at: Date.now() - 10 * 60_000 - 1_000, value: 110 }, 600_000);
    const behind = await lagged();
    expect(behind.error).toEqual({
      code: 'INCONSISTENT',
      message: 'erp says 100, shop said 110 10m ago: 10 apart (9.1%), allowed ±2',
    });
    // A kept value much older than the lag (the runs stopped for a while) is not compared with.
    const old = 'orders-old';
    await store.put(old, 'eu-central-1', { at: Date.now() - 60 * 60_000, value: 50 }, 600_000);
    expect((await run({ id: old, lag: '10m' })).details).toMatchObject({ state: 'waiting' });
  });

  it('compares every other source with the first; a zero reference has no percentage', () => {
    const c = compare(
      100,
      [
        { name: 'erp', value: 99 },
        { name: 'bi', value: 90 },
      ],
      { absolute: 5 },
    );
    expect(c).toEqual({ difference: 10, percentDifference: 10, worst: 'bi', inconsistent: true });
    expect(compare(0, [{ name: 'erp', value: 0 }], { percent: 1 })).toMatchObject({
      inconsistent: false,
      percentDifference: 0,
    });
    const zero = compare(0, [{ name: 'erp', value: 2 }], { percent: 1 });
    expect(zero).toEqual({ difference: 2, worst: 'erp', inconsistent: true });
    expect(compare(0, [{ name: 'erp', value: 2 }], { absolute: 2 }).inconsistent).toBe(false);
  });

  it('validates sources, tolerance, lag and value assertions with paths and hints', () => {
    const diag = (c: Record<string, unknown>) => {
      const r = validateConfig({ ...base, checks: [{ id: 'c', kind: 'consistency', ...c }] });
      return r.ok ? [] : r.diagnostics.map((d) => `${d.path}: ${d.message}${d.hint ? ` — ${d.hint}` : ''}`);
    };
    const two = [
      { name: 'shop', url: 'https://shop.example.com/s', path: '$.a' },
      { name: 'erp', url: 'https://erp.example.com/s', path: '$.b' },
    ];
    expect(diag({ sources: two })).toEqual([]);
    expect(diag({ sources: [two[0]] })[0]).toMatch(/^checks\[0\] "c"\.sources: /);
    expect(diag({ sources: [two[0], { ...two[1], name: 'shop' }] })).toEqual([
      'checks[0] "c".sources[1].name: duplicate source name "shop"',
    ]);
    expect(diag({ sources: [two[0], { ...two[1], path: '$.data[x' }] })[0]).toMatch(
      /^checks\[0\] "c"\.sources\[1\]\.path: /,
    );
    expect(diag({ sources: two, tolerance: { percent: -1 } })[0]).toMatch(/^checks\[0\] "c"\.tolerance\.percent: /);
    expect(diag({ sources: two, tolerance: { relative: 1 } })[0]).toMatch(/^checks\[0\] "c"\.tolerance\.relative: /);
    expect(diag({ sources: two, lag: '10s' })[0]).toMatch(/^checks\[0\] "c"\.lag: /);
    expect(
      diag({ sources: two, assertions: [{ source: 'value', property: 'epr', comparison: 'greaterThan', target: 0 }] }),
    ).toEqual(['checks[0] "c".assertions[0].property: no source named "epr" — did you mean "erp"?']);
    expect(registry.get('consistency')!.target(configOf([{ id: 'c', sources: two }]).checks[0] as never)).toBe(
      'shop vs erp: https://shop.example.com/s $.a, https://erp.example.com/s $.b',
    );
  });
});
