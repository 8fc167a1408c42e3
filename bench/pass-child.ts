// One runner pass of N checks against a delayed loopback target, in its own process so its peak
// memory is its own. Prints one JSON line.
import { parseConfig } from '../shared/config/validate';
import { silentLog } from '../shared/log';
import { runPass } from '../shared/runner/run-pass';
import { envSecrets } from '../shared/secrets';

const [port, n, concurrency] = process.argv.slice(2).map(Number) as [number, number, number];
const config = parseConfig({
  project: 'bench',
  homeRegion: 'eu-central-1',
  regions: ['eu-central-1'],
  checks: Array.from({ length: n }, (_, i) => ({
    id: `check-${i}`,
    kind: 'http',
    url: `http://127.0.0.1:${port}/item/${i}`,
    timeout: '10s',
    assertions: [
      { source: 'status', comparison: 'equals', target: 200 },
      { source: 'json', property: '$.items.length', comparison: 'equals', target: 3 },
    ],
  })),
});
let peak = process.memoryUsage().rss;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
const now = Date.now();
const t0 = performance.now();
const report = await runPass({
  config,
  region: 'eu-central-1',
  tick: now,
  deadline: now + 60_000,
  concurrency,
  runs: config.checks.map((check) => ({ check, scheduledAt: now })),
  waitForSchedule: false,
  secrets: envSecrets,
  log: silentLog,
});
const wallMs = performance.now() - t0;
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
const failed = report.results.filter((r) => r.status !== 'pass').length;
process.stdout.write(`${JSON.stringify({ wallMs, peakRss: peak, failed, results: report.results.length })}\n`);
