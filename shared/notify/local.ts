/**
 * Pages in local mode (`npm start`): when a check changes state, print the SMS line a phone
 * would get and, with `notify.localEmail`, send the email over SMTP (nodemailer). The same
 * incident and formatters as the notifier Lambda; flapping is decided in memory. Webhooks are
 * posted too, and retried in-process on the notifier's schedule (local-webhooks.ts). Sending
 * never throws: a failure is printed and the monitor goes on.
 */
import { createTransport } from 'nodemailer';
import type { LocalEmailSettings, ValidatedConfig } from '../config/types';
import { envSecrets, redactText, type SecretResolver } from '../secrets';
import type { LatestState } from '../store/types';
import type { CheckResult, CheckStatus } from '../types';
import { flappingSettings } from './config';
import type { EmailMessage } from './format-email';
import { localWebhooks, type LocalWebhooksOptions } from './local-webhooks';
import { MemoryFlapStore } from './flapping';
import { incidentFromStatus } from './message';
import { channelMessages } from './sns';

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
}

export interface LocalPages {
  /** A check's result whose status differs from `previous` (or a first result that is not a pass). */
  announce(result: CheckResult, previous?: { status: CheckStatus; since: string }): void;
  /** Waits for emails still being sent and webhook pages still being retried. */
  idle(): Promise<void>;
  /** Cancels pending webhook retries, printing each page that is thereby not delivered. */
  stop(): void;
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

  const work = async (result: CheckResult, previous?: { status: CheckStatus; since: string }) => {
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
    const incident = incidentFromStatus({
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
    const m = channelMessages(incident);
    out(`        ${label('page')} ${m.sms}`);
    const posted = hooks.send(incident);
    if (!send) return posted;
    try {
      await send(m.email);
      out(dim(`        email "${m.email.subject}" sent to ${email?.to.join(', ') ?? 'the configured recipients'}`));
    } catch (e) {
      out(`        ${label('email not sent')}: ${redactText((e as Error).message)}`);
    }
    await posted;
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
  };
}
