/**
 * Runner shards (shared/runner/plan.ts, schedule.ts, pass-claim.ts): every check of a region
 * runs in exactly one shard each minute, deterministically; adding a check moves few others;
 * runs at one host are spaced out; a duplicated delivery is claimed away; a shard whose targets
 * hang still ends before its deadline with a result for every run.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ValidatedConfig } from '../shared/config/types';
import { parseConfig } from '../shared/config/validate';
import { silentLog } from '../shared/log';
import { passBudget } from '../shared/runner/budget';
import { claimPass } from '../shared/runner/pass-claim';
import { planRegion, planRunners, RUNNER_LIMITS, RunnerPlanError } from '../shared/runner/plan';
import { runPass } from '../shared/runner/run-pass';
import { dueRuns, shardOf, timetable } from '../shared/runner/schedule';
import { envSecrets } from '../shared/secrets';
import { startEmbeddedStore, type EmbeddedStore } from '../shared/store/embedded';

const REGION = 'eu-central-1';
const MINUTE = Date.parse('2026-11-21T10:00:00Z');
const cfg = (checks: unknown[]): ValidatedConfig =>
  parseConfig({ project: 'scale', homeRegion: REGION, regions: [REGION, 'us-east-1'], checks });

/** n checks over `hosts` hosts, a mix of 1m, 5m and 30s frequencies. */
const many = (n: number, hosts = 50, extra: Record<string, unknown> = {}) =>
  Array.from({ length: n }, (_, i) => ({
    id: `check-${i}`,
    kind: 'http',
    url: `https://svc-${i % hosts}.example.com/item/${i}`,
    frequency: i % 7 === 0 ? '5m' : i % 11 === 0 ? '30s' : '1m',
    ...extra,
  }));

const ids = (runs: Array<{ check: { id: string } }>) => runs.map((r) => r.check.id).sort();

describe('shard assignment', () => {
  const config = cfg(many(2_000));
  const plan = planRegion(config, REGION);

  it('splits a large region into several shards and covers every run of each minute exactly once', () => {
    expect(plan.shards).toBeGreaterThan(1);
    expect(plan.invocationsPerMinute).toBe(plan.shards);
    expect(plan.largestShardRuns).toBeLessThanOrEqual(RUNNER_LIMITS.maxInFlight);
    for (let m = 0; m < 6; m++) {
      const tick = MINUTE + m * 60_000;
      const whole = dueRuns(config, REGION, tick);
      const perShard = Array.from({ length: plan.shards }, (_, index) =>
        dueRuns(config, REGION, tick, { shard: { index, count: plan.shards }, paceMs: plan.paceMs }),
      );
      // Each run in one shard only: together they are exactly the region's runs of that minute.
      expect(ids(perShard.flat())).toEqual(ids(whole));
      const seen = new Map<string, number>();
      perShard.forEach((runs, s) => {
        for (const r of runs) {
          expect(seen.get(r.check.id) ?? s).toBe(s);
          seen.set(r.check.id, s);
          expect(r.scheduledAt).toBeGreaterThanOrEqual(tick);
          expect(r.scheduledAt).toBeLessThan(tick + 60_000);
        }
      });
    }
  });

  it('is deterministic: a fresh parse of the same config gives the same plan, shards and start times', () => {
    const again = cfg(many(2_000));
    const { assumptions, ...figures } = planRegion(again, REGION);
    expect(figures).toMatchObject({ shards: plan.shards, memoryMb: plan.memoryMb, paceMs: plan.paceMs });
    expect(assumptions.length).toBeGreaterThan(0);
    const shard = { index: 1, count: plan.shards };
    const a = dueRuns(config, REGION, MINUTE, { shard, paceMs: plan.paceMs });
    const b = dueRuns(again, REGION, MINUTE, { shard, paceMs: plan.paceMs });
    expect(b.map((r) => [r.check.id, r.scheduledAt])).toEqual(a.map((r) => [r.check.id, r.scheduledAt]));
  });

  it('adding a check moves no other check; one more shard moves only about 1/(n+1) of them', () => {
    const count = plan.shards;
    const before = config.checks.map((c) => shardOf(c.id, count));
    const grown = cfg([...many(2_000), { id: 'new-one', kind: 'http', url: 'https://new.example.com/' }]);
    expect(grown.checks.slice(0, -1).map((c) => shardOf(c.id, count))).toEqual(before);
    const moved = config.checks.filter((c, i) => shardOf(c.id, count + 1) !== before[i]);
    // Those that move go to the new shard only.
    for (const c of moved) expect(shardOf(c.id, count + 1)).toBe(count);
    expect(moved.length / config.checks.length).toBeLessThan(2 / (count + 1));
  });

  it('starts the runs at one host 200 ms apart, a check alone on its host at once', () => {
    const c = cfg([
      ...Array.from({ length: 30 }, (_, i) => ({
        id: `busy-${i}`,
        kind: 'http',
        url: `https://busy.example.com/${i}`,
      })),
      { id: 'alone', kind: 'http', url: 'https://alone.example.com/' },
    ]);
    const runs = timetable(c, REGION);
    const busy = runs.filter((r) => r.check.id.startsWith('busy-')).map((r) => r.offsetMs);
    for (let i = 1; i < busy.length; i++) expect(busy[i]! - busy[i - 1]!).toBeGreaterThanOrEqual(200);
    expect(Math.max(...busy)).toBeLessThanOrEqual(20_000);
    expect(runs.find((r) => r.check.id === 'alone')!.offsetMs).toBe(0);
    // A pass of this config is spread over 5.8 s, not 20 s.
    expect(planRegion(c, REGION).hostSpreadMs).toBe(29 * 200);
  });

  it('paces the starts of a shard so they never crowd its CPU', () => {
    const runs = timetable(config, REGION, { shard: { index: 0, count: plan.shards }, paceMs: plan.paceMs });
    for (let i = 1; i < runs.length; i++)
      expect(runs[i]!.offsetMs - runs[i - 1]!.offsetMs).toBeGreaterThanOrEqual(plan.paceMs - 1e-9);
  });

  it('plans every region of the config, and names a region too large for its shards', () => {
    expect(planRunners(config).map((p) => p.region)).toEqual([REGION, 'us-east-1']);
    const small = planRunners(cfg(many(10)));
    expect(small.map((p) => p.shards)).toEqual([1, 1]);
    expect(small[0]!.expectedBilledMsPerInvocation).toBeLessThan(small[0]!.worstBilledMsPerInvocation);
    const huge = cfg(many(2_000, 50, { frequency: '1s' }));
    expect(() => planRegion(huge, REGION)).toThrow(RunnerPlanError);
    expect(() => planRegion(huge, REGION)).toThrow(/region eu-central-1: 120000 runs a minute need more than 200/);
  });
});

describe('a duplicated delivery', () => {
  let local: EmbeddedStore;
  beforeAll(async () => {
    local = await startEmbeddedStore({ inMemory: true });
  });
  afterAll(() => local.close());

  it('finds its minute claimed; other shards and minutes are free', async () => {
    const client = DynamoDBDocumentClient.from(local.client);
    const claim = (requestId: string, tick: number, index: number) =>
      claimPass({
        client,
        tableName: local.tableName,
        region: REGION,
        tick,
        shard: { index, count: 3 },
        requestId,
        deadline: Date.now() + 5_000,
      });
    expect(await claim('first', MINUTE + 1_234, 1)).toEqual({ outcome: 'claimed' });
    // (dynalite returns no old item; DynamoDB Local does: test/runner-handler.test.ts checks `by`.)
    expect(await claim('again', MINUTE + 5_000, 1)).toMatchObject({ outcome: 'duplicate' });
    expect(await claim('other-shard', MINUTE, 2)).toEqual({ outcome: 'claimed' });
    expect(await claim('next-minute', MINUTE + 60_000, 1)).toEqual({ outcome: 'claimed' });
  });

  it('runs the pass anyway when the claim cannot be written', async () => {
    const client = DynamoDBDocumentClient.from(local.client);
    const out = await claimPass({
      client,
      tableName: 'no-such-table',
      region: REGION,
      tick: MINUTE,
      shard: { index: 0, count: 1 },
      requestId: 'x',
      deadline: Date.now() + 5_000,
    });
    expect(out.outcome).toBe('unknown');
  });
});

describe('a shard whose targets hang', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url?.startsWith('/hang')) return; // never answers
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('ends before its deadline with a result for every run: the hanging ones TIMEOUT, the others pass', async () => {
    const config = cfg(
      Array.from({ length: 120 }, (_, i) => ({
        id: `c-${i}`,
        kind: 'http',
        url: `${base}/${i % 10 === 0 ? 'hang' : 'ok'}/${i}`,
        // Small for the hanging ones (they take all of it), generous for the others on a busy machine.
        timeout: i % 10 === 0 ? '500ms' : '8s',
      })),
    );
    const count = 3;
    const tick = Math.floor(Date.now() / 60_000) * 60_000 - 60_000; // a minute already begun: starts at once
    const remainingMs = 25_000;
    const started = Date.now();
    const budget = passBudget(started, remainingMs);
    const reports = await Promise.all(
      Array.from({ length: count }, (_, index) =>
        runPass({
          config,
          region: REGION,
          tick,
          shard: { index, count },
          // The plan's pacing, as in Lambda: 120 starts at one instant would crowd this process's CPU.
          paceMs: planRegion(config, REGION).paceMs,
          deadline: budget.probes,
          storeDeadline: budget.store,
          publishDeadline: budget.publish,
          concurrency: RUNNER_LIMITS.maxInFlight,
          secrets: envSecrets,
          log: silentLog,
        }),
      ),
    );
    expect(Date.now()).toBeLessThan(budget.end);
    const results = reports.flatMap((r) => r.results);
    expect(results.map((r) => r.checkId).sort()).toEqual(config.checks.map((c) => c.id).sort());
    const wrong = results.filter((r) => {
      const hangs = Number(r.checkId.slice(2)) % 10 === 0;
      return hangs ? r.error?.code !== 'TIMEOUT' : r.status !== 'pass';
    });
    expect(wrong.map((r) => [r.checkId, r.error, r.timings, r.startedAt])).toEqual([]);
  }, 40_000);
});
