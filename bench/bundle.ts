/** Runner bundle size and module load time in a fresh process (what a cold start pays). */
import { execFile } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build, type BuildOptions } from 'esbuild';
import { BUNDLE_ALIASES, LAZY_EMAIL } from '../shared/bundle-shims';
import { fmt, median, type Figure } from './lib';

/** The esbuild settings of the CDK app's NodejsFunction for the runner (infra/runner.ts). */
export const RUNNER_BUNDLE_OPTIONS: BuildOptions = {
  entryPoints: ['functions/runner/index.ts'],
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  mainFields: ['module', 'main'],
  banner: {
    js: "import { createRequire as __wpRequire } from 'node:module'; const require = __wpRequire(import.meta.url);",
  },
  minify: true,
  sourcemap: false,
  alias: { ...BUNDLE_ALIASES },
  define: { [LAZY_EMAIL.global]: JSON.stringify(LAZY_EMAIL.file) },
  external: [LAZY_EMAIL.file],
  logLevel: 'silent',
};

export async function benchBundle(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'wp-bundle-'));
  const outfile = join(dir, 'index.mjs');
  await build({ ...RUNNER_BUNDLE_OPTIONS, outfile });
  const bytes = statSync(outfile).size;
  await build({
    ...RUNNER_BUNDLE_OPTIONS,
    entryPoints: [LAZY_EMAIL.entry],
    define: {},
    external: [],
    outfile: join(dir, 'email-probe.mjs'),
  });
  const emailBytes = statSync(join(dir, 'email-probe.mjs')).size;
  // Each child prints the milliseconds its import took: the bundle, and node's own http + crypto as the baseline.
  const start = 'const t=process.hrtime.bigint();';
  const print = 'process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))';
  const script = `${start}import(${JSON.stringify(outfile)}).then(()=>${print})`;
  const baseline = `${start}require('node:http');require('node:crypto');${print}`;
  const times: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < 7; i++) {
    times.push(Number((await promisify(execFile)(process.execPath, ['-e', script])).stdout));
    base.push(Number((await promisify(execFile)(process.execPath, ['-e', baseline])).stdout));
  }
  const load = median(times);
  return [
    {
      name: 'runner bundle size (esbuild as in infra/bundling.ts, minified, AWS SDK included)',
      value: `${fmt(bytes / 1024)} KB`,
      baseline: `+ email probe ${fmt(emailBytes / 1024)} KB, its own file, loaded by the first email check`,
      target: '≤ 1,024 KB',
      ok: bytes <= 1024 * 1024,
    },
    {
      name: 'runner module load, fresh process (median of 7)',
      value: `${fmt(load, 1)} ms`,
      baseline: `node built-ins only ${fmt(median(base), 1)} ms`,
      target: '≤ 150 ms',
      ok: load <= 150,
    },
  ];
}
