/**
 * Pages in local mode (`npm start`): when a check changes state, print the SMS line a phone
 * would get and, with `notify.localEmail`, send the email over SMTP (nodemailer). The same
 * incident and formatters as the notifier Lambda; flapping is decided in memory. Webhooks are
 * posted too, and retried in-process on the notifier's schedule (local-webhooks.ts). Sending
 * never throws: a failure is printed and the monitor goes on.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTransport } from 'nodemailer';
import type { AlarmType } from '../alarms/specs';
import { silentLog } from '../log';
import { ms } from '../duration';
import type { LocalEmailSettings, ValidatedConfig } from '../config/types';
import { envSecrets, redactText, type SecretResolver } from '../secrets';
import type { LatestState } from '../store/types';
import type { CheckResult, CheckStatus } from '../types';
import { flappingSettings } from './config';
import type { EmailMessage } from './format-email';
import { localWebhooks, type LocalWebhooksOptions } from './local-webhooks';
import { MemoryFlapStore } from './flapping';
import { incidentFromStatus, type Incident } from './message';
import {
  admitProblem,
  admitRecovery,
  markSent,
  releaseDependents,
  sweep,
  type Delivery,
  type OnCallDeps,
} from './oncall';
import { ancestorsOf, dependentsOf, onCallSettings } from './oncall-config';
import { PageStore } from './page-store';
import { channelMessages } from './sns';
import { DeliveryTrail } from './trail';

/** Sends one email over SMTP; throws on failure (callers print it). */
export async function sendLocalEmail(
  settings: LocalEmailSettings,
  message: EmailMessage,
  secrets: SecretResolver = envSecrets,
): Promise<void> {
  const { smtp } = settings;
  const transport = createTransport({
    host: smtp.host,
    port: smtp.port ?? (smtp.secure ? 465 : 587),
    secure: smtp.secure ?? false,
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.pass ? await secrets(smtp.pass.secret) : '' } } : {}),
    tls: { rejectUnauthorized: smtp.rejectUnauthorized ?? true },
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  try {
    await transport.sendMail({ from: settings.from, to: settings.to, subject: message.subject, text: message.text });
  } finally {
    transport.close();
  }
}

export interface LocalPagesOptions {
  config: ValidatedConfig;
  /** Prints one line. */
  out: (line: string) => void;
  /** The local dashboard's URL (pages link to it). */
  dashboardUrl?: string;
  /** @default sendLocalEmail with notify.localEmail (none: no email) */
  sendEmail?: (message: EmailMessage) => Promise<void>;
  /** Decorates the printed SMS line (colours). */
  style?: { label?: (s: string) => string; dim?: (s: string) => string };
  /** Webhook delivery: secrets, per-attempt options, retry policy. @default env secrets, RETRY_POLICY */
  webhooks?: Pick<LocalWebhooksOptions, 'secrets' | 'deliver' | 'policy'>;
  /**
   * The local store: with it, pages follow on-call rules as in AWS (dependsOn, reminders,
   * escalation, acknowledgement) and every page goes into the delivery trail (`watchpost pages`).
   */
  table?: { client: DynamoDBClient; tableName: string; latest(ids: string[]): Promise<LatestState[]> };
  /** The acknowledgement link of a page (the local dashboard's /ack/…). */
  ackLink?: (ref: string, expiresAt: number) => Promise<string | undefined>;
  /** @default Date.now */
  now?: () => number;
}

export interface LocalPages {
  /** A check's result whose status differs from `previous` (or a first result that is not a pass). */
  announce(result: CheckResult, previous?: { status: CheckStatus; since: string }): void;
  /** Waits for emails still being sent and webhook pages still being retried. */
  idle(): Promise<void>;
  /** Cancels pending webhook retries, printing each page that is thereby not delivered. */
  stop(): void;
  /** Sends reminders, escalations and held pages that are due (dev calls it every few seconds). */
  sweep(): Promise<void>;
  /** The on-call state (undefined without `table`): the dashboard's ack button uses it. */
  oncall?: OnCallDeps;
}

export function localPages(opts: LocalPagesOptions): LocalPages {
  const { config, out } = opts;
  const flaps = new MemoryFlapStore();
  const settings = flappingSettings(config);
  const email = config.notify.localEmail;
  const send = opts.sendEmail ?? (email ? (m: EmailMessage) => sendLocalEmail(email, m) : undefined);
  const label = opts.style?.label ?? ((s: string) => s);
  const dim = opts.style?.dim ?? ((s: string) => s);
  const pending = new Set<Promise<void>>();
  const hooks = localWebhooks({ config, out, ...opts.webhooks, ...(opts.style ? { style: opts.style } : {}) });

  const now = opts.now ?? Date.now;
  const table = opts.table;
  const trail = table ? new DeliveryTrail(table.client, table.tableName) : undefined;
  const oncall: OnCallDeps | undefined = table && {
    config,
    pages: new PageStore(table.client, table.tableName, now),
    latest: (ids) => table.latest(ids),
    now,
    log: silentLog,
    ...(opts.ackLink ? { ackLink: opts.ackLink } : {}),
  };
  // A new dev session starts from what it sees: records a session before left open are dropped.
  const ready = oncall
    ? oncall.pages
        .list()
        .then((open) => Promise.all(open.map((r) => oncall.pages.update(r.key, () => ({ next: null, result: 0 })))))
        .catch((e: Error) => out(`        open pages of an earlier session not cleared: ${e.message}`))
    : Promise.resolve();

  const record = (i: Incident, channel: string, ok: boolean, error?: string) =>
    trail
      ?.record({
        at: new Date(now()).toISOString(),
        channel,
        kind: i.escalation ? 'escalation' : i.kind,
        subject: i.subject,
        word: i.word,
        ok,
        summary: channelMessages(i).sms,
        ...(error ? { error } : {}),
      })
      .catch(() => undefined);

  /** Prints (and emails, and posts) one delivery the way the notifier would send it. */
  const deliver = async ({ incident, levels, webhooks }: Delivery) => {
    const m = channelMessages(incident);
    for (const level of levels) {
      if (level === 0) out(`        ${label('page')} ${m.sms}`);
      else {
        const l = onCallSettings(config, incident.severity).escalate[level - 1];
        const who = [...(l?.sms ?? []), ...(l?.email ?? [])].join(', ');
        out(`        ${label(`page L${level}`)} ${dim(`→ ${who}`)} ${m.sms}`);
      }
      await record(incident, level === 0 ? 'console' : `escalation ${incident.severity} ${level}`, true);
    }
    const posted = webhooks ? hooks.send(incident) : Promise.resolve();
    if (send && levels.includes(0)) {
      try {
        await send(m.email);
        out(dim(`        email "${m.email.subject}" sent to ${email?.to.join(', ') ?? 'the configured recipients'}`));
        await record(incident, 'email', true);
      } catch (e) {
        const error = redactText((e as Error).message);
        out(`        ${label('email not sent')}: ${error}`);
        await record(incident, 'email', false, error);
      }
    }
    await posted;
  };

  /** Locally a check's own result is its alarm: wait (briefly) for this pass's results of the checks it is tied to. */
  const settle = async (checkId: string, scheduledAt: string) => {
    if (!table) return;
    const related = [...ancestorsOf(config, checkId), ...dependentsOf(config, checkId)];
    if (!related.length) return;
    const limit = Math.max(
      ...related.map((id) => {
        const ch = config.checks.find((x) => x.id === id);
        return ch?.enabled ? ms(ch.timeout) * (ch.retries + 1) : 0;
      }),
    );
    const until = Date.now() + limit + 2_000;
    while (Date.now() < until) {
      const states = await table.latest(related).catch(() => []);
      const enabled = related.filter((id) => config.checks.find((x) => x.id === id)?.enabled);
      if (enabled.every((id) => states.some((s) => s.checkId === id && s.lastScheduledAt >= scheduledAt))) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const work = async (result: CheckResult, previous?: { status: CheckStatus; since: string }) => {
    await ready;
    const check = config.checks.find((ch) => ch.id === result.checkId);
    if (!check) return;
    const state = result.status === 'pass' ? 'OK' : 'ALARM';
    const decision = await flaps.apply(
      check.id,
      `local:${check.id}`,
      { at: Date.parse(result.scheduledAt), state },
      settings,
    );
    if (decision.action !== 'notify' && decision.action !== 'flapping') {
      if (decision.action === 'suppress')
        out(dim(`        (flapping: ${check.id} is ${result.status} now, not paged)`));
      return;
    }
    const latest: LatestState = {
      checkId: result.checkId,
      region: result.region,
      status: result.status,
      since: result.scheduledAt,
      consecutiveFailures: result.status === 'fail' ? 1 : 0,
      lastScheduledAt: result.scheduledAt,
      lastResult: result,
    };
    let incident = incidentFromStatus({
      config,
      check,
      latest: [latest],
      previous,
      at: result.scheduledAt,
      links: { dashboardUrl: opts.dashboardUrl, local: true },
    });
    if (decision.action === 'flapping') {
      incident.kind = 'flapping';
      incident.word = 'FLAPPING';
      incident.flapping = { changes: decision.changes, windowMs: settings.windowMs, state };
    }
    if (!oncall || decision.action === 'flapping') return deliver({ incident, levels: [0], webhooks: true });
    await settle(check.id, result.scheduledAt);
    const type = incident.alarmType as AlarmType;
    const spec = { key: `${type}:${check.id}`, type, checkId: check.id, severity: incident.severity };
    if (incident.kind === 'problem') {
      // Slow after failing: the outage is over (quietly), the slowness is a problem of its own.
      if (type === 'degraded')
        await oncall.pages.update(`down:${check.id}`, (cur) => ({ next: cur ? null : undefined, result: 0 }));
      const a = await admitProblem(spec, incident, oncall);
      if (a.action === 'suppressed' || a.action === 'held')
        out(dim(`        (${check.id} ${result.status}: counted on the page of ${a.parent}, which it depends on)`));
      if (a.action !== 'page') return;
      await deliver({ incident: a.incident, levels: [0], webhooks: true });
      await markSent(spec.key, oncall);
      return;
    }
    const r = await admitRecovery(spec, incident, oncall);
    if (r.action === 'quiet') return;
    incident = r.incident;
    await deliver({ incident, levels: [0], webhooks: true });
    await releaseDependents(r.release, oncall, deliver);
  };

  return {
    announce(result, previous) {
      const p = work(result, previous).catch((e: Error) => out(`        page not formatted: ${e.message}`));
      pending.add(p);
      void p.finally(() => pending.delete(p));
    },
    async idle() {
      while (pending.size) await Promise.allSettled([...pending]);
      await hooks.idle();
    },
    stop: () => hooks.stop(),
    async sweep() {
      if (!oncall) return;
      await ready;
      const report = await sweep(oncall, deliver);
      for (const f of report.failed) out(`        ${label('page not sent')} ${f.key}: ${f.error}`);
    },
    ...(oncall ? { oncall } : {}),
  };
}
