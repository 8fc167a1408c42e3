/**
 * Web vitals as the page saw them, collected by PerformanceObservers that an init script
 * installs before any of the page's own scripts run (the way web-vitals and Lighthouse do it):
 * TTFB and load from Navigation Timing, FCP, LCP, CLS (session windows of layout shifts),
 * TBT (long-task time past 50 ms after FCP) and INP (the slowest interaction).
 */

/** The figures of one navigation, ms except `cls` (unitless). */
export interface Vitals {
  ttfb?: number;
  fcp?: number;
  lcp?: number;
  cls: number;
  tbt: number;
  inp?: number;
  load?: number;
}

/** Runs in the page (serialised by Playwright): keep it self-contained, plain ES2020. */
export const VITALS_INIT_SCRIPT = `(() => {
  if (window.__watchpostVitals) return;
  const v = { cls: 0, tbt: 0, fcp: undefined, lcp: undefined, inp: undefined };
  window.__watchpostVitals = v;
  const watch = (type, fn, extra) => {
    try { new PerformanceObserver((l) => l.getEntries().forEach(fn)).observe({ type, buffered: true, ...extra }); }
    catch (e) { /* an entry type this Chromium lacks */ }
  };
  watch('paint', (e) => { if (e.name === 'first-contentful-paint') v.fcp = e.startTime; });
  watch('largest-contentful-paint', (e) => { v.lcp = e.renderTime || e.loadTime || e.startTime; });
  let win = 0, first = 0, last = 0;
  watch('layout-shift', (e) => {
    if (e.hadRecentInput) return;
    if (e.startTime - last > 1000 || e.startTime - first > 5000) { first = e.startTime; win = 0; }
    last = e.startTime; win += e.value; if (win > v.cls) v.cls = win;
  });
  watch('longtask', (e) => {
    const start = Math.max(e.startTime, v.fcp || 0);
    const blocking = e.startTime + e.duration - start - 50;
    if (blocking > 0) v.tbt += blocking;
  });
  watch('event', (e) => { if (e.interactionId && (v.inp === undefined || e.duration > v.inp)) v.inp = e.duration; },
    { durationThreshold: 16 });
})();`;

/** Reads the current document's figures (in the page). */
export const READ_VITALS = `(() => {
  const v = window.__watchpostVitals || { cls: 0, tbt: 0 };
  const nav = performance.getEntriesByType('navigation')[0];
  const r = (x) => (x === undefined || x === null ? undefined : Math.round(x * 10) / 10);
  return { ttfb: nav ? r(nav.responseStart) : undefined,
    load: nav && nav.loadEventEnd ? r(nav.loadEventEnd) : undefined, fcp: r(v.fcp), lcp: r(v.lcp),
    cls: Math.round(v.cls * 1000) / 1000, tbt: r(v.tbt) || 0, inp: r(v.inp) };
})()`;

/** The worst figure over a run's navigations (largest, except none). */
export function worst(list: readonly Vitals[], key: keyof Vitals): number | undefined {
  const vals = list.map((v) => v[key]).filter((x): x is number => typeof x === 'number');
  return vals.length ? Math.max(...vals) : undefined;
}
