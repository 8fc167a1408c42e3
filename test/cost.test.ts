/**
 * `watchpost cost`: figures against hand-computed cases, the JSON shape, a region without
 * prices, the goals of issue 11, and the deploy guide's section equal to the model's output.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../shared/config/validate';
import { costSection, DOC_MARKERS, referenceConfig } from '../shared/cost/doc';
import { estimateCost } from '../shared/cost/model';

const run = promisify(execFile);
const GB = 1024 ** 3;
const one = (over: Record<string, unknown> = {}, home = 'us-east-1') =>
  parseConfig({
    project: 'shop',
    homeRegion: home,
    regions: [home],
    checks: [{ id: 'home', kind: 'http', url: 'https://shop.example.com/', ...over }],
  });
const usdOf = (items: Array<{ item: string; monthlyUsd: number }>, what: string) =>
  items.filter((i) => i.item.startsWith(what)).reduce((n, i) => n + i.monthlyUsd, 0);

describe('watchpost cost', () => {
  it('one http check every minute in us-east-1: each figure as computed by hand', () => {
    const e = estimateCost(one());
    const [c] = e.checks;
    const items = c!.items;
    // 43,200 runs × (1 history + 1 latest + 2 rollup WRU) × 0.625 / 10⁶
    expect(usdOf(items, 'writes')).toBeCloseTo((43_200 * 4 * 0.625) / 1e6, 4);
    expect(usdOf(items, 'reads')).toBeCloseTo((43_200 * 0.125) / 1e6, 4);
    // 43,200 items of 900 B kept 30 days + 400 daily rollups of 2 KB, × 0.25 (+ PITR 0.20)
    const gb = (43_200 * 900 + 400 * 2_048) / GB;
    expect(usdOf(items, 'storage')).toBeCloseTo(gb * 0.25, 4);
    expect(usdOf(items, 'point-in-time')).toBeCloseTo(gb * 0.2, 4);
    // DOWN reads one metric; Failed receives data in 2% of hours.
    expect(usdOf(items, 'DOWN alarm')).toBe(0.1);
    expect(usdOf(items, 'Failed')).toBeCloseTo(0.3 * 0.02, 6);
    expect(items.some((i) => i.item.startsWith('DEGRADED'))).toBe(false);
    expect(usdOf(items, 'result lines: ingestion')).toBeCloseTo(((43_200 * 400) / GB) * 0.5, 4);
    // No other region: no cross-region transfer.
    expect(items.some((i) => i.service === 'Data transfer')).toBe(false);
    expect(c!.monthlyUsd).toBeCloseTo(
      items.reduce((n, i) => n + i.monthlyUsd, 0),
      2,
    );
    // Fixed: RunnerHealth, its alarm, one PutMetricData a pass.
    expect(usdOf(e.fixed, 'RunnerHealth')).toBe(0.3);
    expect(usdOf(e.fixed, 'RUNNER')).toBe(0.1);
    expect(usdOf(e.fixed, 'PutMetricData')).toBeCloseTo(0.432, 6);
    expect(e.totalMonthlyUsd).toBeCloseTo(c!.monthlyUsd + e.fixedMonthlyUsd, 2);
  });

  it('degradedAfter adds Slow and a DEGRADED alarm; every 5 minutes writes a fifth', () => {
    const slow = estimateCost(one({ degradedAfter: '2s' })).checks[0]!.items;
    expect(usdOf(slow, 'DEGRADED alarm')).toBe(0.1);
    expect(usdOf(slow, 'Slow')).toBeCloseTo(0.006, 6);
    const five = estimateCost(one({ frequency: '5m' })).checks[0]!.items;
    expect(usdOf(five, 'writes')).toBeCloseTo((8_640 * 4 * 0.625) / 1e6, 4);
  });

  it("prices the home region's table at its own prices (eu-central-1)", () => {
    const items = estimateCost(one({}, 'eu-central-1')).checks[0]!.items;
    expect(usdOf(items, 'writes')).toBeCloseTo((43_200 * 4 * 0.7625) / 1e6, 4);
  });

  it('meets the goals: ≤ $1 per check, ≤ $4 fixed for 10 checks in 3 regions with DOWN and DEGRADED', () => {
    const e = estimateCost(referenceConfig());
    for (const c of e.checks) expect(c.monthlyUsd).toBeLessThanOrEqual(1);
    expect(e.fixedMonthlyUsd).toBeLessThanOrEqual(4);
  });

  it('the deploy guide shows exactly what the model computes', async () => {
    const doc = await readFile('docs/deploy.md', 'utf8');
    const a = doc.indexOf(DOC_MARKERS.begin);
    const b = doc.indexOf(DOC_MARKERS.end) + DOC_MARKERS.end.length;
    expect(a).toBeGreaterThan(0);
    expect(doc.slice(a, b)).toBe(costSection());
  });

  it('CLI: --json has exactly the documented shape; a region without prices is one clear line', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wp-cost-'));
    try {
      const file = join(dir, 'watchpost.config.json');
      const cfg = { project: 'shop', homeRegion: 'us-east-1', regions: ['us-east-1'] };
      const checks = [{ id: 'home', kind: 'http', url: 'https://shop.example.com/' }];
      await writeFile(file, JSON.stringify({ ...cfg, checks }));
      const { stdout } = await run('node', ['bin/watchpost.mjs', 'cost', '--config', file, '--json']);
      const json = JSON.parse(stdout);
      expect(Object.keys(json).sort()).toEqual(['checks', 'fixedMonthlyUsd', 'pricesAsOf', 'totalMonthlyUsd']);
      expect(Object.keys(json.checks[0]).sort()).toEqual(['id', 'items', 'monthlyUsd']);
      expect(json.pricesAsOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      const text = (await run('node', ['bin/watchpost.mjs', 'cost', '--config', file])).stdout;
      expect(text).toContain('assumptions:');
      expect(text).toMatch(/total {2}\$\d+\.\d\d\/month/);

      await writeFile(
        file,
        JSON.stringify({ ...cfg, homeRegion: 'us-gov-west-1', regions: ['us-gov-west-1'], checks }),
      );
      const err = await run('node', ['bin/watchpost.mjs', 'cost', '--config', file]).catch((e) => e);
      expect(err.code).toBe(2);
      expect(err.stderr).toContain('no list prices for region "us-gov-west-1"');
      expect(err.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
