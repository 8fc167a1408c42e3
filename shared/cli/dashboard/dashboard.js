// The local dashboard's page script: reads api/state every 5 s and draws one row a check.
// Every value is escaped: check names, targets and error text come from the user's config and targets.
const esc = (s) =>
  String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const time = (t) => new Date(t).toLocaleTimeString();

function statusWord(c) {
  return c.degraded ? c.degraded.word : (c.status || 'waiting').toUpperCase();
}

function sinceCell(c) {
  const failures = c.consecutiveFailures
    ? `<br><span class="muted">${c.consecutiveFailures} failed in a row</span>`
    : '';
  return esc(c.since ? time(c.since) : '') + failures;
}

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

// The check's open page: who it waits for, whether someone is on it, and the button that says so.
function pageCell(c) {
  const p = c.page;
  if (!p) return '';
  if (p.state !== 'paged') return `<br><span class="muted">${esc(p.state)}: counted on ${esc(p.parent)}'s page</span>`;
  if (p.acked) return `<br><span class="muted">${esc(p.acked)}</span>`;
  return `<br><button class="ack" data-check="${esc(c.id)}">Acknowledge</button>`;
}

async function ack(id) {
  const r = await fetch('api/ack', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ check: id, by: 'dashboard' }),
  });
  if (!r.ok) alert((await r.json()).error);
  load();
}

// One handler on the table: rows are redrawn every 5 s.
document.getElementById('rows').onclick = (e) => {
  const b = e.target.closest?.('button.ack');
  if (b) ack(b.dataset.check);
};

function row(c) {
  return [
    `<tr><td class="${esc(c.status)}">${esc(statusWord(c))}</td>`,
    `<td><b>${esc(c.id)}</b><br><span class="muted">${esc(c.name)}</span></td>`,
    `<td>${esc(c.kind)}</td>`,
    `<td>${sinceCell(c)}${pageCell(c)}</td>`,
    `<td>${esc(c.durationMs != null ? `${c.durationMs} ms` : '')}</td>`,
    `<td><div class="runs">${(c.recent || []).map(runBar).join('')}</div></td>`,
    `<td>${esc(detail(c))}</td></tr>`,
  ].join('');
}

async function load() {
  const r = await fetch('api/state');
  const d = await r.json();
  document.getElementById('when').textContent = `updated ${new Date().toLocaleTimeString()} · refreshes every 5 s`;
  document.getElementById('rows').innerHTML = d.checks.map(row).join('');
}

load();
setInterval(load, 5000);
