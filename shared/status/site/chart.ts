/**
 * A component's response-time chart (hourly p50 and p95, last 7 days): drawn on the server as an
 * SVG, so it reads without JavaScript, with its series beside it as JSON that status.js hands to
 * the bundled uPlot for an interactive chart (cursor, values).
 */
import { html, type Html, raw } from './html';
import type { StatusComponent } from './types';

const W = 600;
const H = 120;

/** The median of the numbers that are there, or null. */
function median(xs: (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null).sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** Polyline paths, broken where an hour has no data. */
function path(values: (number | null)[], max: number): string {
  const step = values.length > 1 ? W / (values.length - 1) : W;
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v === null) {
      pen = false;
      return;
    }
    const x = (i * step).toFixed(1);
    const y = (H - (v / max) * (H - 8)).toFixed(1);
    d += `${pen ? 'L' : 'M'}${x} ${y}`;
    pen = true;
  });
  return d;
}

const ms = (v: number | null) => (v === null ? 'no data' : `${Math.round(v)} ms`);

/** JSON safe inside a <script> element (no `</script>`, no `<!--`). */
export const scriptJson = (value: unknown) => raw(JSON.stringify(value).replace(/</g, '\\u003c'));

export function latencyChart(c: StatusComponent, id: string): Html {
  const p50 = c.latency.map((h) => h.p50);
  const p95 = c.latency.map((h) => h.p95);
  const top = Math.max(1, ...p95.filter((v): v is number => v !== null), ...p50.filter((v): v is number => v !== null));
  const caption = `Response time, last 7 days, hourly: typical p50 ${ms(median(p50))}, p95 ${ms(median(p95))}`;
  if (!c.latency.some((h) => h.p50 !== null || h.p95 !== null))
    return html`<figure class="latency empty">
  <figcaption>Response time: no data in the last 7 days</figcaption>
</figure>`;
  const data = {
    t: c.latency.map((h) => Math.floor(Date.parse(h.hour) / 1000)),
    p50,
    p95,
  };
  return html`<figure class="latency" data-chart="latency-${id}">
  <figcaption>${caption}</figcaption>
  <div class="chart-fallback">
    <svg viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" role="img" aria-label="${caption}">
      <path class="line p95" d="${path(p95, top)}" vector-effect="non-scaling-stroke"/>
      <path class="line p50" d="${path(p50, top)}" vector-effect="non-scaling-stroke"/>
    </svg>
    <p class="axis" aria-hidden="true"><span>7 days ago</span><span>peak ${ms(top)}</span><span>Now</span></p>
  </div>
  <p class="chart-legend">
    <span class="key p50" aria-hidden="true"></span>p50 (median) <span class="key p95" aria-hidden="true"></span>p95
  </p>
  <script type="application/json" id="latency-${id}">${scriptJson(data)}</script>
</figure>`;
}
