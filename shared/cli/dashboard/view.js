// Helpers every view shares: escaping, times, durations, the status badge (word + glyph, never colour alone).
export const esc = (s) =>
  String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );

export const time = (t) => new Date(t).toLocaleTimeString();
export const dateTime = (t) =>
  new Date(t).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

/** 950 → "950 ms", 12_300 → "12.3 s", 125_000 → "2m 5s". */
export function duration(msValue) {
  if (msValue == null || Number.isNaN(msValue)) return '—';
  if (msValue < 1000) return `${Math.round(msValue)} ms`;
  if (msValue < 60_000) return `${(msValue / 1000).toFixed(1)} s`;
  const s = Math.round(msValue / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  const h = Math.floor(s / 3600);
  return h < 48 ? `${h}h ${Math.floor((s % 3600) / 60)}m` : `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** "3m ago" style, for since-when. */
export const ago = (t) => `${duration(Date.now() - Date.parse(t))} ago`;

const GLYPH = { pass: '✓', degraded: '▲', fail: '✕' };

/** The word a status is shown with: the degraded reason's word (CERT-EXPIRING) when there is one. */
export function statusWord(status, reasonWord) {
  if (!status) return 'WAITING';
  if (status === 'degraded') return reasonWord || 'DEGRADED';
  return status.toUpperCase();
}

/** A badge: glyph and word on a tinted background; screen readers hear the word. */
export function badge(status, reasonWord) {
  const cls = status || 'waiting';
  return `<span class="badge ${esc(cls)}"><span aria-hidden="true">${GLYPH[status] || '…'}</span> ${esc(
    statusWord(status, reasonWord),
  )}</span>`;
}

/** Fetches JSON; a 4xx/5xx becomes an Error with the server's sentence. */
export async function getJson(path) {
  const r = await fetch(path);
  const body = r.headers.get('content-type')?.includes('json') ? await r.json() : { error: await r.text() };
  if (!r.ok) throw new Error([body.error, body.hint].filter(Boolean).join(' — hint: '));
  return body;
}

export function setUpdated(everySeconds) {
  document.getElementById('when').textContent =
    `updated ${new Date().toLocaleTimeString()} · refreshes every ${everySeconds} s`;
}

/** Runs `draw` now and every `seconds`; returns the stop function the router calls. */
export function every(seconds, draw) {
  let stopped = false;
  let lastOk = 'the page opened';
  const tick = () =>
    !stopped &&
    draw().then(
      () => {
        lastOk = new Date().toLocaleTimeString();
        setUpdated(seconds);
      },
      // Dev stopped or restarting: say so and keep what is drawn; the next tick tries again.
      (e) => {
        document.getElementById('when').textContent = `not updated since ${lastOk}: ${e.message}`;
      },
    );
  tick();
  const timer = setInterval(tick, seconds * 1000);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
