// The per-check page: state, uptime, the kind's figures, response time per phase, the last failure and
// the state changes. The skeleton is drawn once; each refresh fills its sections and updates the charts.
import { lineChart } from './chart.js';
import { ago, badge, dateTime, duration, esc, every, getJson } from './view.js';

const RANGES = ['1h', '6h', '24h', '7d'];

/** A kind's figure as people read it: 12 → "12 days" for DaysToExpiry, ms and s as durations. */
function figureValue(f, v) {
  if (v == null) return '—';
  if (f.unit === 'Milliseconds') return duration(v);
  if (f.unit === 'Seconds') return duration(v * 1000);
  if (f.name === 'DaysToExpiry') return `${Math.floor(v)} day${Math.floor(v) === 1 ? '' : 's'}`;
  return Number(v).toLocaleString();
}

function card(label, value, note = '') {
  return `<div class="card"><div class="label">${esc(label)}</div><div class="value">${value}</div>${
    note ? `<div class="muted">${note}</div>` : ''
  }</div>`;
}

function stateCards(d) {
  if (!d.latest.length) return card('Status', badge(undefined), 'no run stored yet');
  return d.latest
    .map((s) => {
      const failures = s.consecutiveFailures ? ` · ${esc(s.consecutiveFailures)} failed in a row` : '';
      const label = d.check.regions.length > 1 ? `Status · ${s.region}` : 'Status';
      return card(
        label,
        badge(s.status, s.reason?.word),
        `since ${esc(dateTime(s.since))} (${esc(ago(s.since))})${failures}`,
      );
    })
    .join('');
}

function uptimeCard(d) {
  if (d.uptime.unavailable) return card('Uptime', '—', esc(d.uptime.unavailable));
  const rows = d.uptime.periods
    .map((p) => {
      const pct = p.percent == null ? 'no data' : `${p.percent}%`;
      const down = p.downMinutes ? `${p.downMinutes} min down` : '';
      return `<li><span class="muted">${esc(p.label)}</span> <b data-uptime="${esc(p.label)}">${esc(pct)}</b>
        <span class="muted">${esc(down)}</span></li>`;
    })
    .join('');
  return `<div class="card"><div class="label">Uptime</div><ul class="uptime">${rows}</ul></div>`;
}

function figureCards(d) {
  const newest = d.latest.map((s) => s.metrics);
  return d.check.figures
    .map((f) => {
      const vals = newest.map((m) => m[f.name]).filter((v) => v != null);
      const v = vals.length ? (f.name === 'DaysToExpiry' ? Math.min(...vals) : Math.max(...vals)) : undefined;
      const value = `<span data-figure="${esc(f.name)}">${esc(figureValue(f, v))}</span>`;
      return card(f.label, value, vals.length > 1 ? 'worst region' : 'last run');
    })
    .join('');
}

function runsCard(d) {
  const s = d.stats;
  const pct = s.successPercent == null ? '—' : `${s.successPercent}%`;
  return card('Runs in range', esc(pct), `${s.runs} runs · ${s.failures} failed · ${s.degraded} degraded`);
}

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

function assertionRow(a) {
  const what = `${esc(a.source)}${a.property ? ` <code>${esc(a.property)}</code>` : ''}`;
  const expected = `${esc(a.comparison)} ${esc(JSON.stringify(a.target ?? null))}`;
  const actual = esc(JSON.stringify(a.actual ?? null));
  return `<tr><td>${what}</td><td>${expected}</td><td>${actual}</td><td>${badge(a.pass ? 'pass' : 'fail')}</td></tr>`;
}

/** A list of name → value pairs under a heading, or nothing when there are none. */
function pairs(head, entries, show) {
  if (!entries.length) return '';
  return `<dl><dt class="head">${esc(head)}</dt>${entries
    .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${show(v)}</dd>`)
    .join('')}</dl>`;
}

function lastFailure(f) {
  if (!f) return '<p class="muted">No failed run stored. <span aria-hidden="true">✓</span></p>';
  const failed = f.assertions.filter((a) => !a.pass).length;
  const head = '<thead><tr><th>Assertion</th><th>Expected</th><th>Actual</th><th>Result</th></tr></thead>';
  const assertions = f.assertions.length
    ? `<table class="compact">${head}<tbody>${f.assertions.map(assertionRow).join('')}</tbody></table>`
    : '';
  const facts = [
    `${dateTime(f.at)} (${ago(f.at)})`,
    f.region,
    duration(f.durationMs),
    plural(f.attempts, 'attempt'),
    ...(failed ? [`${plural(failed, 'assertion')} failed`] : []),
  ];
  const timings = pairs('Timings', Object.entries(f.timings), (v) => esc(duration(v)));
  const details = pairs(
    'Details',
    Object.entries(f.details),
    (v) => `<code>${esc(typeof v === 'string' ? v : JSON.stringify(v))}</code>`,
  );
  return `<p id="last-failure-reason">${badge('fail', f.reason?.word)} <b>${esc(f.reason?.message ?? 'failed')}</b></p>
    <p class="muted">${esc(facts.join(' · '))}</p>
    ${assertions}
    <div class="pairs">${timings}${details}</div>`;
}

function events(list) {
  if (!list.length) return '<p class="muted">No state change in this range.</p>';
  return `<ol class="events">${list
    .map(
      (e) => `<li><div><time datetime="${esc(e.at)}">${esc(dateTime(e.at))}</time>
        <span class="region">· ${esc(e.region)}</span></div>
        <div class="change">${badge(e.from)} <span aria-label="became">→</span> ${badge(e.to, e.reason?.word)}</div>
        ${e.reason ? `<div class="why">${esc(e.reason.message)}</div>` : ''}</li>`,
    )
    .join('')}</ol>`;
}

/** Chart series from the runs of one region (or all): x in seconds, one series per phase, gaps for missing. */
function series(d, region, pick, names) {
  const runs = d.runs.filter((r) => !region || r.region === region);
  return {
    x: runs.map((r) => Date.parse(r.at) / 1000),
    series: names.map((n) => ({ label: n, values: runs.map((r) => pick(r, n) ?? null) })),
  };
}

function skeleton(id, range) {
  const ranges = RANGES.map(
    (r) =>
      `<a href="#/check/${encodeURIComponent(id)}?range=${r}"${r === range ? ' aria-current="page"' : ''}>${r}</a>`,
  ).join('');
  return `<p><a href="#/">← All checks</a></p>
    <header class="check-head" id="head"></header>
    <section class="cards" id="cards" aria-label="Figures"></section>
    <section class="panel">
      <div class="panel-head"><h2 id="chart-title">Response time per phase</h2>
        <nav class="ranges" aria-label="Time range">${ranges}</nav>
        <label class="region-pick" hidden>Region <select id="region"></select></label></div>
      <div id="chart" class="chart" role="img" aria-labelledby="chart-title"></div>
      <p class="muted" id="chart-note"></p>
    </section>
    <section class="panel" id="figure-panel" hidden><h2 id="figure-title"></h2>
      <div id="figure-chart" class="chart" role="img" aria-labelledby="figure-title"></div></section>
    <div class="two">
      <section class="panel"><h2>Last failure</h2><div id="last-failure"></div></section>
      <section class="panel"><h2>State changes</h2><div id="events"></div></section>
    </div>
    <details class="panel"><summary>How uptime is counted</summary><p id="accounting" class="muted"></p></details>`;
}

/** Draws the page of check `id` into `main` every 10 s; returns its stop function. */
export function viewCheck(main, id, params) {
  const range = RANGES.includes(params.get('range')) ? params.get('range') : '24h';
  let chart;
  let figureChart;
  let drawn = false;
  let current;
  const stop = every(10, async () => {
    let d;
    try {
      d = await getJson(`api/check/${encodeURIComponent(id)}?range=${range}`);
    } catch (e) {
      main.innerHTML = `<p><a href="#/">← All checks</a></p><p class="error" role="alert">${esc(e.message)}</p>`;
      return;
    }
    if (!drawn) {
      main.innerHTML = skeleton(id, range);
      drawn = true;
      const regions = [...new Set(d.runs.map((r) => r.region))];
      const pick = main.querySelector('.region-pick');
      if (regions.length > 1) {
        pick.hidden = false;
        pick.querySelector('select').innerHTML = regions.map((r) => `<option>${esc(r)}</option>`).join('');
        pick.querySelector('select').addEventListener('change', () => draw(current));
      }
    }
    current = d;
    draw(d);
  });

  function draw(data) {
    const d = data;
    document.title = `${d.check.id} — watchpost local`;
    const about = [d.check.kind, `every ${d.check.frequency}`, d.check.target].map(esc).join(' · ');
    main.querySelector('#head').innerHTML = `<h1>${esc(d.check.name)}</h1>
      <p class="muted"><code>${esc(d.check.id)}</code> · ${about}${d.check.enabled ? '' : ' · <b>disabled</b>'}</p>`;
    main.querySelector('#cards').innerHTML = stateCards(d) + uptimeCard(d) + figureCards(d) + runsCard(d);
    main.querySelector('#last-failure').innerHTML = lastFailure(d.lastFailure);
    main.querySelector('#events').innerHTML = events(d.events);
    main.querySelector('#accounting').textContent = d.uptime.accounting ?? d.uptime.unavailable;
    const region = main.querySelector('#region')?.value || undefined;
    // total last, drawn thickest: the phases add up to it.
    const phases = [...d.phases.filter((p) => p !== 'total'), ...(d.phases.includes('total') ? ['total'] : [])];
    const names = phases.length ? phases : ['duration'];
    const timing = series(d, region, (r, n) => (phases.length ? r.timings[n] : r.durationMs), names);
    main.querySelector('#chart-note').textContent = d.runs.length
      ? `${timing.x.length} runs${d.truncated ? ' (the newest only: the range holds more)' : ''} · times in ms`
      : 'No run in this range yet.';
    if (chart) chart.update(timing.x, timing.series);
    else chart = lineChart(main.querySelector('#chart'), { ...timing, unit: (v) => duration(v) });
    const f = d.check.figures[0];
    const panel = main.querySelector('#figure-panel');
    if (f && d.runs.some((r) => r.metrics[f.name] != null)) {
      panel.hidden = false;
      main.querySelector('#figure-title').textContent = f.label[0].toUpperCase() + f.label.slice(1);
      const fig = series(d, region, (r) => r.metrics[f.name], [f.label]);
      if (figureChart) figureChart.update(fig.x, fig.series);
      else
        figureChart = lineChart(main.querySelector('#figure-chart'), {
          ...fig,
          height: 160,
          unit: (v) => figureValue(f, v),
        });
    }
  }

  return () => {
    stop();
    chart?.destroy();
    figureChart?.destroy();
  };
}
