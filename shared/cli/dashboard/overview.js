// The overview: one row a check (a card on a phone), each linking to its page.
import { badge, esc, every, time } from './view.js';

function runBar(r) {
  const why = r.error ? ` — ${r.error}` : r.degraded ? ` — ${r.degraded}` : '';
  const title = `${time(r.scheduledAt)} ${r.status} ${r.durationMs} ms${why}`;
  return `<i class="${esc(r.status)}" title="${esc(title)}"></i>`;
}

function detail(c) {
  if (c.error) return `${c.error.code}: ${c.error.message}`;
  if (c.degraded) return `${c.degraded.word}: ${c.degraded.message}`;
  return c.target;
}

function since(c) {
  const failures = c.consecutiveFailures
    ? `<br><span class="muted">${esc(c.consecutiveFailures)} failed in a row</span>`
    : '';
  return esc(c.since ? time(c.since) : '') + failures;
}

// The check's open page (on-call): whose page it is counted on, who is on it, or the button that says so.
function pageCell(c) {
  const p = c.page;
  if (!p) return '';
  if (p.state !== 'paged') return `<br><span class="muted">${esc(p.state)}: counted on ${esc(p.parent)}'s page</span>`;
  if (p.acked) return `<br><span class="muted">${esc(p.acked)}</span>`;
  return `<br><button class="ack" data-check="${esc(c.id)}">Acknowledge</button>`;
}

async function ack(id, redraw) {
  const r = await fetch('api/ack', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ check: id, by: 'dashboard' }),
  });
  if (!r.ok) alert((await r.json()).error);
  redraw();
}

function row(c) {
  const recent = c.recent || [];
  const fails = recent.filter((r) => r.status === 'fail').length;
  return [
    `<tr><td data-label="Status">${badge(c.status, c.degraded?.word)}</td>`,
    `<td data-label="Check"><a class="check-link" href="#/check/${encodeURIComponent(c.id)}"><b>${esc(c.id)}</b></a>`,
    `<br><span class="muted">${esc(c.name)}</span></td>`,
    `<td data-label="Kind">${esc(c.kind)}</td>`,
    `<td data-label="Since">${since(c)}${pageCell(c)}</td>`,
    `<td data-label="Last run">${esc(c.durationMs != null ? `${c.durationMs} ms` : '')}</td>`,
    `<td data-label="Last ${recent.length} runs"><div class="runs" role="img" aria-label="${esc(
      `${recent.length} runs, ${fails} failed`,
    )}">${recent.map(runBar).join('')}</div></td>`,
    `<td data-label="Detail" class="detail">${esc(detail(c))}</td></tr>`,
  ].join('');
}

function summary(checks) {
  const n = { pass: 0, degraded: 0, fail: 0 };
  for (const c of checks) if (c.status in n) n[c.status]++;
  return `<p class="summary">${badge('pass')} ${n.pass} &nbsp; ${badge('degraded')} ${n.degraded} &nbsp; ${badge(
    'fail',
  )} ${n.fail} &nbsp; <span class="muted">of ${checks.length} checks</span></p>`;
}

/** Draws the overview into `main` every 5 s; returns its stop function. */
export function viewOverview(main) {
  document.title = 'watchpost — local';
  // One handler for the acknowledge buttons: the rows are redrawn every 5 s.
  main.onclick = (e) => {
    const b = e.target.closest?.('button.ack');
    if (b) ack(b.dataset.check, draw);
  };
  const draw = async () => {
    const r = await fetch('api/state');
    const d = await r.json();
    // A redraw must not throw the keyboard user's place away.
    const focused = document.activeElement?.getAttribute('href');
    main.innerHTML = `<h1>Checks</h1>${summary(d.checks)}
      <table class="overview"><thead><tr><th>Status</th><th>Check</th><th>Kind</th><th>Since</th>
      <th>Last run</th><th>Last 30 runs</th><th>Detail</th></tr></thead>
      <tbody id="rows">${d.checks.map(row).join('')}</tbody></table>`;
    if (focused) main.querySelector(`a[href="${CSS.escape(focused)}"]`)?.focus();
  };
  const stop = every(5, draw);
  return () => {
    main.onclick = null;
    stop();
  };
}
