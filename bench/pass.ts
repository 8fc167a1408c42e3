/** 1,000 checks against a 200 ms target in one runner pass: wall time vs the ideal, and peak memory. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { fmt, startTarget, type Figure } from './lib';

export async function benchPass(): Promise<Figure[]> {
  const N = 1_000;
  const DELAY = 200;
  const CONCURRENCY = 64;
  const target = await startTarget(DELAY);
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(new URL('./pass-child.ts', import.meta.url)),
        String(target.port),
        String(N),
        String(CONCURRENCY),
      ],
      {
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
        maxBuffer: 1 << 20,
      },
    );
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as {
      wallMs: number;
      peakRss: number;
      failed: number;
      results: number;
    };
    const ideal = Math.ceil(N / CONCURRENCY) * DELAY;
    const ratio = r.wallMs / ideal;
    return [
      {
        name: `${fmt(N)} checks × ${DELAY} ms target, one pass, concurrency ${CONCURRENCY}`,
        value: `${fmt(r.wallMs)} ms = ${fmt(ratio, 2)}× ideal${r.failed ? ` (${r.failed} not passing!)` : ''}`,
        baseline: `ideal ${fmt(ideal)} ms (${Math.ceil(N / CONCURRENCY)} rounds × ${DELAY} ms)`,
        target: '≤ 1.25× ideal',
        ok: ratio <= 1.25 && r.failed === 0 && r.results === N,
      },
      {
        name: 'peak memory (RSS) of that pass',
        value: `${fmt(r.peakRss / 2 ** 20)} MB`,
        target: '≤ 256 MB',
        ok: r.peakRss <= 256 * 2 ** 20,
      },
    ];
  } finally {
    await target.stop();
  }
}
