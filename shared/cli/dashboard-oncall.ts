/**
 * The local dashboard's on-call part (watchpost dev): each check's open page (paged, held,
 * suppressed, acknowledged), the "Acknowledge" button (`POST api/ack` with `{ "check": id }`) and the
 * ack links local pages carry (`/ack/<token>`, signed with a key made for this dev session).
 */
import type { IncomingMessage } from 'node:http';
import { handleAckRequest, type AckResponse } from '../notify/ack';
import { formatSms } from '../notify/format-sms';
import { AckError, acknowledge, ackText, isAcked, type OnCallDeps } from '../notify/oncall';

export interface DashboardOnCall {
  deps: OnCallDeps;
  /** The HMAC key of this session's ack links. */
  key: string;
}

export interface PageView {
  state: 'paged' | 'held' | 'suppressed';
  since: string;
  parent?: string;
  acked?: string;
}

/** The open page per check id, for /api/state. */
export async function openPages(o: DashboardOnCall): Promise<Record<string, PageView>> {
  const now = o.deps.now();
  const out: Record<string, PageView> = {};
  for (const r of await o.deps.pages.list()) {
    if (!r.checkId) continue;
    out[r.checkId] = {
      state: r.state,
      since: r.incident.since,
      ...(r.parent ? { parent: r.parent } : {}),
      ...(r.ack && isAcked(r, now) ? { acked: ackText(r.ack, now) } : {}),
    };
  }
  return out;
}

/** A small form or JSON body (at most 4 KB). */
export async function readForm(req: IncomingMessage): Promise<Record<string, string>> {
  if (req.method !== 'POST') return {};
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 4096) break;
  }
  if ((req.headers['content-type'] ?? '').includes('json')) {
    try {
      const v = JSON.parse(body) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(body));
}

const json = (status: number, v: unknown): AckResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(v),
});

export async function answerAck(
  o: DashboardOnCall,
  method: string,
  path: string,
  form: Record<string, string>,
): Promise<AckResponse> {
  const { deps } = o;
  if (path === '/api/ack') {
    if (method !== 'POST') return json(405, { error: 'POST { "check": "<id>" }' });
    try {
      const done = await acknowledge(deps, { checkId: form.check }, form.by || 'dashboard');
      return json(200, { acknowledged: done.map((r) => r.key) });
    } catch (e) {
      return json(e instanceof AckError ? 409 : 500, { error: (e as Error).message });
    }
  }
  return handleAckRequest(
    { method, path, form },
    {
      key: o.key,
      now: deps.now,
      describe: async (ref) => {
        const r = (await deps.pages.list()).find((p) => p.ref === ref);
        return r ? formatSms({ ...r.incident, links: {} }) : undefined;
      },
      acknowledge: async (ref, by, until) => {
        const done = await acknowledge(deps, { ref }, by, until);
        return `Acknowledged ${done.map((r) => r.checkId ?? r.key).join(', ')} as ${by}.`;
      },
    },
  );
}
