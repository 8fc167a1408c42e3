// watchpost status page enhancements. The page is complete without this script: it adds local
// times, interactive response-time charts (the bundled uPlot), arrow keys across the day bars,
// a stale warning when the page itself stops updating, and a quiet refresh every minute.
(() => {
  const STALE_AFTER_MS = 5 * 60_000;
  const REFRESH_MS = 60_000;

  const fmt = new Intl.DateTimeFormat(undefined, {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  });

  function localTimes(root) {
    for (const t of root.querySelectorAll('time[datetime]')) {
      const d = new Date(t.getAttribute('datetime'));
      if (Number.isNaN(d.getTime())) continue;
      if (!t.title) t.title = t.textContent;
      t.textContent = fmt.format(d);
    }
  }

  function staleCheck(root) {
    const p = root.querySelector('.stale');
    if (!p?.hidden) return;
    const generated = Date.parse(p.dataset.generated || '');
    if (!Number.isFinite(generated) || Date.now() - generated < STALE_AFTER_MS) return;
    const since = fmt.format(new Date(generated));
    p.querySelector('.stale-text').textContent =
      `Stale: this page has not been updated since ${since}. What it shows may be out of date.`;
    p.hidden = false;
  }

  // One tab stop per strip of bars; arrows, Home and End move between days (visible ones only).
  function barKeys(root) {
    for (const strip of root.querySelectorAll('.bars')) {
      const bars = [...strip.querySelectorAll('.bar')];
      if (!bars.length) continue;
      for (const b of bars) b.tabIndex = -1;
      bars[bars.length - 1].tabIndex = 0;
      strip.addEventListener('keydown', (e) => {
        const visible = bars.filter((b) => b.offsetParent !== null);
        const i = visible.indexOf(document.activeElement);
        if (i < 0) return;
        const next = { ArrowLeft: i - 1, ArrowRight: i + 1, Home: 0, End: visible.length - 1 }[e.key];
        if (next === undefined || !visible[next]) return;
        e.preventDefault();
        visible[i].tabIndex = -1;
        visible[next].tabIndex = 0;
        visible[next].focus();
      });
    }
  }

  function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  const charts = [];
  function drawCharts(root) {
    if (typeof uPlot !== 'function') return;
    for (const fig of root.querySelectorAll('figure[data-chart]')) {
      const src = document.getElementById(fig.dataset.chart);
      if (!src) continue;
      const data = JSON.parse(src.textContent);
      const holder = document.createElement('div');
      holder.className = 'chart';
      fig.querySelector('figcaption').after(holder);
      const ms = (_u, v) => (v == null ? '–' : `${Math.round(v)} ms`);
      // A few hours of data are dots, not lines (a lone hour would draw nothing).
      const points = { show: data.p50.filter((v) => v != null).length <= 48, size: 5 };
      const opts = {
        width: Math.max(200, fig.clientWidth),
        height: 150,
        cursor: { drag: { x: false, y: false } },
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
        axes: [
          { stroke: cssVar('--muted'), grid: { stroke: cssVar('--line') }, ticks: { stroke: cssVar('--line') } },
          {
            stroke: cssVar('--muted'),
            grid: { stroke: cssVar('--line') },
            ticks: { stroke: cssVar('--line') },
            values: (_u, vals) => vals.map((v) => `${v} ms`),
            size: 64,
          },
        ],
        series: [
          {},
          { label: 'p50', stroke: cssVar('--p50'), width: 1.6, value: ms, spanGaps: false, points },
          { label: 'p95', stroke: cssVar('--p95'), width: 1.4, dash: [5, 4], value: ms, spanGaps: false, points },
        ],
      };
      charts.push({ fig, plot: new uPlot(opts, [data.t, data.p50, data.p95], holder) });
      fig.classList.add('has-chart');
    }
  }

  let resizeTimer;
  addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      for (const c of charts) c.plot.setSize({ width: Math.max(200, c.fig.clientWidth), height: 150 });
    }, 150);
  });

  function enhance(root) {
    localTimes(root);
    staleCheck(root);
    barKeys(root);
    drawCharts(root);
  }

  // A quiet refresh: the newest build replaces the page's content unless the reader is on a bar.
  async function refresh() {
    if (document.hidden || document.activeElement?.closest('.bars, details')) return;
    try {
      const res = await fetch(location.pathname, { cache: 'no-store' });
      if (!res.ok) return staleCheck(document);
      const next = new DOMParser().parseFromString(await res.text(), 'text/html');
      const main = next.querySelector('main');
      const footer = next.querySelector('footer');
      if (!main || !footer) return;
      for (const c of charts.splice(0)) c.plot.destroy();
      document.querySelector('main').replaceWith(main);
      document.querySelector('footer').replaceWith(footer);
      enhance(document);
    } catch {
      staleCheck(document);
    }
  }

  enhance(document);
  setInterval(refresh, REFRESH_MS);
})();
