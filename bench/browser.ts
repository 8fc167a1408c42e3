/**
 * Browser check benchmark: the demo shop's add-to-cart journey as a watchpost browser check
 * beside a bare playwright-core script doing the same journey with the same Chromium and flags,
 * alternated in the same run. Figures: median wall time per run and the peak resident memory of
 * that run's Chromium processes (read from /proc every 50 ms). Goal: at most 10% overhead.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../shared/config/validate';
import { startDemoTarget } from '../shared/demo/target';
import { chromiumBinary, QUIET_FLAGS } from '../shared/probes/browser/chromium';
import { runCheck } from '../shared/runner/run-check';
import { fmt, median, type Figure } from './lib';

const RUNS = 5;

/** Peak RSS (MB) of the Chromium processes whose command line holds `marker`, while `fn` runs. */
async function peakRss<T>(marker: string, fn: () => Promise<T>): Promise<{ value: T; peakMb: number }> {
  let peak = 0;
  const sample = () => {
    try {
      const out = execFileSync('ps', ['-eo', 'rss=,args='], { encoding: 'utf8' });
      const kb = out
        .split('\n')
        .filter((l) => l.includes(marker) && /chrom/i.test(l))
        .reduce((sum, l) => sum + Number(l.trim().split(/\s+/)[0] ?? 0), 0);
      peak = Math.max(peak, kb / 1024);
    } catch {
      /* ps raced a process's exit */
    }
  };
  const timer = setInterval(sample, 50);
  try {
    return { value: await fn(), peakMb: peak };
  } finally {
    clearInterval(timer);
  }
}

export async function benchBrowser(): Promise<Figure[]> {
  const shop = await startDemoTarget(0);
  const steps = [{ goto: `${shop.url}/shop` }, { click: 'text=Add to cart' }, { expectText: 'Cart (1)' }];
  const check = parseConfig({
    project: 'bench',
    homeRegion: 'eu-central-1',
    regions: ['eu-central-1'],
    checks: [{ id: 'bench-ui', kind: 'browser', artifacts: false, timeout: '60s', steps }],
  }).checks[0]!;
  const { chromium } = await import('playwright-core');
  const bin = await chromiumBinary();
  const bare = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-bare-'));
    const context = await chromium.launchPersistentContext(dir, {
      executablePath: bin.executablePath,
      args: QUIET_FLAGS,
      headless: true,
      handleSIGINT: false,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${shop.url}/shop`, { waitUntil: 'load' });
    await page.locator('text=Add to cart').first().click();
    await page.getByText('Cart (1)').first().waitFor({ state: 'visible' });
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  };
  const ours: number[] = [];
  const theirs: number[] = [];
  const oursMem: number[] = [];
  const theirsMem: number[] = [];
  try {
    // Alternate, after one warm-up each, so the machine's load falls on both alike.
    await bare();
    await runCheck(check, { region: 'eu-central-1', secrets: async () => '' });
    for (let i = 0; i < RUNS; i++) {
      let t = performance.now();
      const b = await peakRss('bench-bare-', bare);
      theirs.push(performance.now() - t);
      theirsMem.push(b.peakMb);
      t = performance.now();
      const w = await peakRss('watchpost-browser-', () =>
        runCheck(check, { region: 'eu-central-1', secrets: async () => '' }),
      );
      ours.push(performance.now() - t);
      oursMem.push(w.peakMb);
      if (w.value.status !== 'pass') throw new Error(`the journey failed: ${w.value.error?.message}`);
    }
  } finally {
    await shop.close();
  }
  const overhead = (median(ours) / median(theirs) - 1) * 100;
  return [
    {
      name: `browser journey wall time (median of ${RUNS})`,
      value: `${fmt(median(ours))} ms`,
      baseline: `${fmt(median(theirs))} ms bare playwright-core`,
      target: '≤ 10% over bare',
      ok: overhead <= 10,
    },
    { name: 'browser journey overhead', value: `${fmt(overhead, 1)} %`, target: '≤ 10%', ok: overhead <= 10 },
    {
      name: 'browser journey peak Chromium memory (median)',
      value: `${fmt(median(oursMem))} MB`,
      baseline: `${fmt(median(theirsMem))} MB bare`,
    },
  ];
}
