/**
 * Webhook pages in local mode (`watchpost dev`): posted as the notifier posts them, and a failed
 * one is retried in this process on the notifier's schedule (15 s doubling to 15 m, given up
 * after 30 m), with the same code (shared/notify/retry.ts) — the queue is a timer here. A
 * give-up is printed loudly. Webhooks whose secrets are not set locally are skipped (said once):
 * nothing is sent to an incident system unless you export its WATCHPOST_SECRET_<NAME>.
 */
import type { NotifyWebhook, ValidatedConfig } from '../config/types';
import { silentLog } from '../log';
import { envSecrets, secretEnvName, secretNames, type SecretResolver } from '../secrets';
import { webhooksFor } from './config';
import type { Incident } from './message';
import {
  handleRetry,
  MemoryDeliveryLedger,
  RETRY_POLICY,
  sendWebhooks,
  type RetryDeps,
  type RetryPolicy,
  type RetryQueue,
} from './retry';
import type { DeliverOptions } from './webhooks';

export interface LocalWebhooksOptions {
  config: ValidatedConfig;
  out: (line: string) => void;
  /** @default envSecrets (WATCHPOST_SECRET_<NAME>); webhooks with unset secrets are skipped */
  secrets?: SecretResolver;
  /** Per-attempt options (tests: a dispatcher that trusts a test CA). */
  deliver?: Omit<DeliverOptions, 'log' | 'secrets'>;
  /** @default RETRY_POLICY */
  policy?: RetryPolicy;
  style?: { label?: (s: string) => string; dim?: (s: string) => string };
}

export interface LocalWebhooks {
  /** Posts the incident to the webhooks of its severity; failures are retried in the background. */
  send(incident: Incident): Promise<void>;
  /** Waits until every page is delivered or given up. */
  idle(): Promise<void>;
  /** Cancels pending retries, printing each page that is thereby not delivered. */
  stop(): void;
}

const seconds = (s: number) => (s >= 60 ? `${Math.round(s / 60)}m` : `${Math.round(s * 10) / 10}s`);

export function localWebhooks(opts: LocalWebhooksOptions): LocalWebhooks {
  const { config, out } = opts;
  const label = opts.style?.label ?? ((s: string) => s);
  const dim = opts.style?.dim ?? ((s: string) => s);
  const pending = new Set<Promise<unknown>>();
  const timers = new Map<NodeJS.Timeout, { webhook: string; summary: string }>();
  const skipped = new Set<string>();
  const track = (p: Promise<unknown>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  const queue: RetryQueue = {
    async retry(m, delaySeconds) {
      const why = m.lastError ?? 'failed';
      out(dim(`        webhook ${m.webhook} not delivered (${why}): try ${m.tries + 1} in ${seconds(delaySeconds)}`));
      let done!: () => void;
      track(new Promise<void>((r) => (done = r)));
      const timer = setTimeout(() => {
        timers.delete(timer);
        const p = handleRetry(m, deps)
          .then((r) => {
            if (r === 'delivered') out(`        webhook ${m.webhook} delivered on try ${m.tries + 1}`);
          })
          .catch((e: Error) => out(`        ${label('webhook page lost')} ${m.webhook}: ${e.message}`));
        track(p);
        done();
      }, delaySeconds * 1000);
      timer.unref();
      timers.set(timer, { webhook: m.webhook, summary: `${m.incident.word} ${m.incident.subject}` });
    },
    async giveUp(m) {
      const page = `${m.incident.word} ${m.incident.subject} (${m.incident.dedupKey})`;
      const why = `${m.reason} — last error: ${m.lastError ?? '?'}`;
      out(`        ${label('WEBHOOK PAGE GIVEN UP')} ${m.webhook}: ${page} ${why}`);
    },
  };
  const deps: RetryDeps = {
    config,
    secrets: opts.secrets ?? envSecrets,
    queue,
    ledger: new MemoryDeliveryLedger(),
    policy: opts.policy ?? RETRY_POLICY,
    ...(opts.deliver ? { deliver: opts.deliver } : {}),
    log: silentLog,
  };

  /** With env secrets: only webhooks whose secrets are all set (said once per webhook). */
  const usable = (hooks: NotifyWebhook[]) => {
    if (opts.secrets) return hooks;
    return hooks.filter((h) => {
      const missing = [...secretNames(h)].map(secretEnvName).filter((k) => !process.env[k]);
      if (!missing.length) return true;
      if (!skipped.has(h.name)) out(dim(`        webhook ${h.name} not sent locally: ${missing.join(', ')} not set`));
      skipped.add(h.name);
      return false;
    });
  };

  return {
    async send(incident) {
      const hooks = usable(webhooksFor(config, incident.severity));
      if (!hooks.length) return;
      const p = sendWebhooks(incident, hooks, deps).then((outcomes) => {
        for (const o of outcomes) if (o.ok && !o.duplicate) out(dim(`        webhook ${o.name} ${o.action} delivered`));
      });
      track(p);
      await p;
    },
    async idle() {
      while (pending.size) await Promise.allSettled([...pending]);
    },
    stop() {
      for (const [timer, t] of timers) {
        clearTimeout(timer);
        const line = `${t.webhook}: ${t.summary} — the monitor stopped before its next try`;
        out(`        ${label('webhook page not delivered')} ${line}`);
      }
      timers.clear();
      pending.clear();
    },
  };
}
