/** A browser run's facts (plain data, so the browser Lambda can return them) → the runner's outcome. */
import { ms } from '../../duration';
import type { CheckError } from '../../types';
import type { ProbeOutcome } from '../types';
import type { Artifact } from './artifacts';
import type { ValidatedBrowserCheck } from './index';
import { worst, type Vitals } from './vitals';

export interface BrowserFacts {
  steps: Array<{ name: string; ms: number }>;
  navigations: Vitals[];
  consoleErrors: string[];
  failedRequests: string[];
  artifacts: Artifact[];
  artifactError?: string;
  timings?: Record<string, number>;
  title?: string;
  url?: string;
  totalMs?: number;
  error?: CheckError;
  /** Screenshots taken by `screenshot` steps, until they are kept. */
  shots?: Record<string, Uint8Array>;
}

const fmt = (v: number) => (v >= 1000 ? `${Math.round(v / 100) / 10}s` : `${Math.round(v)}ms`);

export function outcomeFrom(check: ValidatedBrowserCheck, f: BrowserFacts): ProbeOutcome {
  const figure = (k: keyof Vitals) => worst(f.navigations, k);
  const values: Record<string, unknown> = {
    lcp: figure('lcp'),
    fcp: figure('fcp'),
    cls: figure('cls'),
    tbt: figure('tbt'),
    ttfb: figure('ttfb'),
    inp: figure('inp'),
    consoleErrors: f.consoleErrors.length,
    failedRequests: f.failedRequests.length,
    title: f.title,
    url: f.url,
    latency: f.totalMs,
  };
  const timings: Record<string, number> = { ...f.timings, total: f.totalMs ?? 0 };
  for (const k of ['ttfb', 'fcp', 'lcp', 'tbt'] as const) if (typeof values[k] === 'number') timings[k] = values[k];
  const details: Record<string, unknown> = {
    steps: f.steps,
    navigations: f.navigations,
    ...(f.title !== undefined && { title: f.title }),
    ...(f.url !== undefined && { url: f.url }),
    ...(f.consoleErrors.length && { consoleErrors: f.consoleErrors.slice(0, 10) }),
    ...(f.failedRequests.length && { failedRequests: f.failedRequests.slice(0, 10) }),
    ...(f.artifacts.length && { artifacts: f.artifacts }),
    ...(f.artifactError && { artifactError: f.artifactError }),
  };
  const lcp = values.lcp as number | undefined;
  const slow = !f.error && lcp !== undefined && lcp > ms(check.lcpAfter);
  return {
    ...(f.error && { error: f.error }),
    timings,
    latencyMs: f.totalMs,
    ...(lcp !== undefined && { metrics: { LargestContentfulPaint: lcp } }),
    details,
    observations: {
      read: (source) => (source in values ? { value: values[source] } : {}),
    },
    ...(slow && {
      status: 'degraded' as const,
      degraded: {
        code: 'LCP_SLOW',
        message: `largest contentful paint ${fmt(lcp)}, slower than lcpAfter ${check.lcpAfter}`,
      },
    }),
  };
}
