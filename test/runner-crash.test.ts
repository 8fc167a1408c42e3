/**
 * One probe cannot take down a pass: a probe that throws before returning a promise, one that
 * returns nothing, observations that throw while assertions are evaluated and a secret resolver
 * that throws synchronously each fail their own check with a coded error; every other check of
 * the pass runs, is stored, and the heartbeat says the pass was healthy.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { parseConfig } from '../shared/config/validate';
import type { Log } from '../shared/log';
import type { MetricSink } from '../shared/metrics/types';
import { httpKind } from '../shared/probes/http';
import type { ProbeOutcome } from '../shared/probes/types';
import { runPass } from '../shared/runner/run-pass';
import type { SecretResolver } from '../shared/secrets';
import { startEmbeddedStore, type EmbeddedStore } from '../shared/store/embedded';

let server: Server;
let url: string;
let local: EmbeddedStore;
beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  local = await startEmbeddedStore({ inMemory: true });
});
afterAll(async () => {
  await local?.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
afterEach(() => vi.restoreAllMocks());

it('fails only the check whose code throws, as INTERNAL or SECRET with a message; the pass goes on', async () => {
  const config = parseConfig({
    project: 'test',
    homeRegion: 'eu-central-1',
    regions: ['eu-central-1'],
    checks: [
      { id: 'sync-throw', kind: 'http', url: `${url}/a` },
      { id: 'no-outcome', kind: 'http', url: `${url}/b` },
      {
        id: 'bad-observations',
        kind: 'http',
        url: `${url}/c`,
        assertions: [{ source: 'status', comparison: 'equals', target: 200 }],
      },
      { id: 'resolver-throws', kind: 'http', url: `${url}/d`, headers: { authorization: { secret: 'api/token' } } },
      {
        id: 'fine',
        kind: 'http',
        url: `${url}/e`,
        assertions: [{ source: 'status', comparison: 'equals', target: 200 }],
      },
      { id: 'also-fine', kind: 'http', url: `${url}/f` },
    ],
  });
  const realRun = httpKind.run.bind(httpKind);
  vi.spyOn(httpKind, 'run').mockImplementation((check, ctx) => {
    if (check.id === 'sync-throw') throw new TypeError("Cannot read properties of undefined (reading 'host')");
    if (check.id === 'no-outcome') return Promise.resolve(undefined as unknown as ProbeOutcome);
    if (check.id === 'bad-observations')
      return Promise.resolve({
        timings: { total: 1 },
        observations: {
          read() {
            throw new RangeError('observation reader bug');
          },
        },
      });
    return realRun(check, ctx);
  });
  // Not async: throws before returning a promise.
  const secrets: SecretResolver = () => {
    throw new TypeError('resolver bug');
  };
  const published: Array<{ results: number; healthy?: boolean }> = [];
  const metrics: MetricSink = {
    async publish(results, _region, _at, opts) {
      published.push({ results: results.length, healthy: opts?.runnerHealthy });
      return { published: results.length, failed: [] };
    },
  };
  const errors: string[] = [];
  const log: Log = { debug() {}, info() {}, warn() {}, error: (m) => void errors.push(m) };

  const now = Date.now();
  const report = await runPass({
    config,
    region: 'eu-central-1',
    tick: now,
    deadline: now + 20_000,
    runs: config.checks.map((check) => ({ check, scheduledAt: now })),
    waitForSchedule: false,
    secrets,
    store: local.store,
    metrics,
    log,
  });

  const byId = Object.fromEntries(report.results.map((r) => [r.checkId, r]));
  expect(Object.keys(byId).sort()).toEqual([
    'also-fine',
    'bad-observations',
    'fine',
    'no-outcome',
    'resolver-throws',
    'sync-throw',
  ]);
  expect(byId['sync-throw']).toMatchObject({
    status: 'fail',
    error: { code: 'INTERNAL', message: expect.stringContaining("reading 'host'") },
  });
  expect(byId['no-outcome']).toMatchObject({
    status: 'fail',
    error: { code: 'INTERNAL', message: expect.stringContaining('returned undefined') },
  });
  expect(byId['bad-observations']).toMatchObject({
    status: 'fail',
    error: { code: 'INTERNAL', message: 'assertion evaluation crashed: observation reader bug' },
  });
  expect(byId['resolver-throws']).toMatchObject({
    status: 'fail',
    attempts: 0,
    error: { code: 'SECRET', message: expect.stringContaining('resolver bug') },
  });
  expect(byId.fine).toMatchObject({ status: 'pass', assertions: [{ source: 'status', pass: true, actual: 200 }] });
  expect(byId['also-fine']!.status).toBe('pass');

  // Every result stored, metrics published with a healthy heartbeat, nothing logged as lost.
  expect(report).toMatchObject({ written: 6, writeFailures: 0, runnerHealthy: true });
  expect(published).toEqual([{ results: 6, healthy: true }]);
  expect(errors).toEqual([]);
  const stored = await local.store.latest(config.checks.map((c) => c.id));
  expect(stored.find((s) => s.checkId === 'sync-throw')!.lastResult.error?.code).toBe('INTERNAL');
});

it('a check whose whole run throws still gets a result (INTERNAL) and the others run', async () => {
  const config = parseConfig({
    project: 'test',
    homeRegion: 'eu-central-1',
    regions: ['eu-central-1'],
    checks: [
      { id: 'ok', kind: 'http', url: `${url}/ok` },
      { id: 'broken', kind: 'http', url: `${url}/broken` },
    ],
  });
  // A check object whose timeout cannot be read: the runner core itself throws for it.
  const broken = Object.defineProperty({ ...config.checks[1]! }, 'timeout', {
    get() {
      throw new Error('check definition is corrupt');
    },
  });
  const now = Date.now();
  const report = await runPass({
    config,
    region: 'eu-central-1',
    tick: now,
    deadline: now + 20_000,
    runs: [
      { check: config.checks[0]!, scheduledAt: now },
      { check: broken, scheduledAt: now },
    ],
    waitForSchedule: false,
    secrets: async () => 'x',
    log: { debug() {}, info() {}, warn() {}, error() {} },
  });
  const byId = Object.fromEntries(report.results.map((r) => [r.checkId, r]));
  expect(byId.ok!.status).toBe('pass');
  expect(byId.broken).toMatchObject({
    status: 'fail',
    error: { code: 'INTERNAL', message: expect.stringContaining('check definition is corrupt') },
  });
});
