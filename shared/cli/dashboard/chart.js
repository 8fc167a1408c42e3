// Charts with uPlot (served from the installed package, window.uPlot): a line a series, each with its own
// colour and dash pattern, a legend that names it, and axes that follow light and dark mode.
const PALETTE = ['#3b82f6', '#f59e0b', '#10b981', '#a855f7', '#ef4444', '#06b6d4', '#84cc16', '#ec4899'];
const DASHES = [[], [6, 3], [2, 2], [8, 3, 2, 3], [1, 3], [10, 4]];

const cssVar = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

function axes(unit) {
  const stroke = cssVar('--muted');
  const grid = { stroke: cssVar('--grid'), width: 1 };
  return [
    { stroke, grid, ticks: grid },
    { stroke, grid, ticks: grid, size: 60, values: (_u, vals) => vals.map((v) => unit(v)) },
  ];
}

/**
 * A uPlot chart in `el`: `x` in seconds, `series` [{ label, values }]; `unit` formats a y value.
 * Returns { update(x, series), destroy() }; the chart follows the element's width.
 */
export function lineChart(el, { x, series, unit = (v) => String(v), height = 240, title }) {
  const opts = (width) => ({
    width,
    height,
    title,
    scales: { x: { time: true } },
    axes: axes(unit),
    cursor: { focus: { prox: 24 } },
    legend: { live: true },
    series: [
      {},
      ...series.map((s, i) => ({
        label: s.label,
        stroke: PALETTE[i % PALETTE.length],
        width: s.label === 'total' ? 2.5 : 1.5,
        dash: DASHES[i % DASHES.length],
        spanGaps: false,
        points: { show: x.length < 60 },
        value: (_u, v) => (v == null ? '—' : unit(v)),
      })),
    ],
  });
  let plot = new window.uPlot(opts(el.clientWidth || 600), [x, ...series.map((s) => s.values)], el);
  let labels = series.map((s) => s.label).join();
  const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height }));
  resize.observe(el);
  return {
    update(nx, nseries) {
      const nlabels = nseries.map((s) => s.label).join();
      // New phases (a kind that timed more this run) need new series: rebuild; otherwise only the data changes.
      if (nlabels !== labels) {
        plot.destroy();
        series = nseries;
        plot = new window.uPlot(opts(el.clientWidth || 600), [nx, ...nseries.map((s) => s.values)], el);
        labels = nlabels;
      } else plot.setData([nx, ...nseries.map((s) => s.values)]);
    },
    destroy() {
      resize.disconnect();
      plot.destroy();
    },
  };
}
