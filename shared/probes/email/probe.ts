/**
 * One email round trip: IMAP open (mailbox selected, IDLE) and SMTP connect in parallel, send a
 * tagged message, wait for the server to announce it, fetch and check it, delete it, sweep what
 * dead runs left. Everything ends inside the attempt's timeout: NOT_DELIVERED when it is the
 * wait for arrival that ran out, TIMEOUT when anything else stalled.
 */
import type { ValidatedEmailCheck } from './index';
import type { ConnectionOptions } from 'node:tls';
import { formatDuration, ms } from '../../duration';
import type { CheckError } from '../../types';
import { trustContext } from '../trust';
import type { Observations, ProbeContext, ProbeOutcome } from '../types';
import { imapError, smtpError } from './errors';
import { ImapWatcher, type Found } from './imap';
import { bodyText, composeMessage, headerValues, parseAuthResults, parseHeaders, parseReceived } from './message';
import { SmtpSession, type Accepted } from './smtp';
import type { EmailTls } from './types';

/** Stale probe messages are those older than this many timeouts (and at least STALE_MIN_MS). */
export const STALE_TIMEOUTS = 3;
/** Floor for the sweep's age, so clocks a few minutes apart never sweep a live run's message. */
export const STALE_MIN_MS = 5 * 60_000;

/** A SEARCH or FETCH in flight longer than this at the deadline counts as a stall (TIMEOUT). */
const STALL_MS = 2_000;

type Phase = 'smtpConnect' | 'imapConnect' | 'smtpSend' | 'arrival' | 'cleanup';

class Expired extends Error {
  constructor(readonly phase: Phase) {
    super(`deadline reached during ${phase}`);
  }
}

class SideError extends Error {
  constructor(
    readonly side: 'SMTP' | 'IMAP',
    readonly cause: unknown,
  ) {
    super(`${side}: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

/** One deadline for the attempt: every phase races it; the runner's abort ends it early. */
class Budget {
  private timer: NodeJS.Timeout | undefined;
  private readonly expired: Promise<void>;
  private onAbort: (() => void) | undefined;

  constructor(
    readonly endsAt: number,
    private readonly signal: AbortSignal,
  ) {
    this.expired = new Promise<void>((resolve) => {
      this.timer = setTimeout(resolve, Math.max(0, endsAt - Date.now()));
      this.onAbort = () => resolve();
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', this.onAbort, { once: true });
    });
  }

  left(): number {
    return this.signal.aborted ? 0 : Math.max(0, this.endsAt - Date.now());
  }

  race<T>(p: Promise<T>, phase: Phase): Promise<T> {
    p.catch(() => undefined); // a late rejection after the deadline is not an unhandled one
    return Promise.race([
      p,
      this.expired.then((): never => {
        throw new Expired(phase);
      }),
    ]);
  }

  dispose(): void {
    clearTimeout(this.timer);
    if (this.onAbort) this.signal.removeEventListener('abort', this.onAbort);
  }
}

async function tlsOptions(t: EmailTls | undefined, side: 'SMTP' | 'IMAP'): Promise<ConnectionOptions> {
  const o: ConnectionOptions = { rejectUnauthorized: !t?.insecure, minVersion: 'TLSv1.2' };
  if (t?.servername) o.servername = t.servername;
  if (t?.ca) {
    // The same trust as every kind (system roots plus this CA), one cached context per CA.
    try {
      o.secureContext = trustContext(t.ca);
    } catch (e) {
      throw new SideError(
        side,
        Object.assign(new Error(`${side.toLowerCase()}.tls.ca: ${(e as Error).message}`), { code: 'ERR_TLS_CA_FILE' }),
      );
    }
  }
  return o;
}

function passOf(v: unknown, side: string): string {
  if (typeof v === 'string') return v;
  // The runner resolves secret references before run(); reaching here is a wiring bug.
  throw new Error(`${side} password was not resolved from its secret reference`);
}

/** How much of the attempt's time is kept back so the probe reports its own phase before the runner's TIMEOUT. */
export function reserveMs(timeoutMs: number): number {
  return Math.round(Math.min(1_000, Math.max(150, timeoutMs * 0.02)));
}

export async function runEmail(check: ValidatedEmailCheck, ctx: ProbeContext): Promise<ProbeOutcome> {
  const t0 = Date.now();
  const budget = new Budget(t0 + ctx.timeoutMs - reserveMs(ctx.timeoutMs), ctx.signal);
  const mailbox = check.imap.mailbox;
  const smtpEnd = { host: check.smtp.host, port: check.smtp.port };
  const imapEnd = { host: check.imap.host, port: check.imap.port };
  const smtpCtx = { ...smtpEnd, user: check.smtp.auth?.user, from: check.from, to: check.to };
  const imapCtx = { ...imapEnd, user: check.imap.auth.user, mailbox };
  const timings: Record<string, number> = {};
  const metrics: Record<string, number> = {};
  const details: Record<string, unknown> = {
    smtp: `${smtpEnd.host}:${smtpEnd.port}`,
    imap: `${imapEnd.host}:${imapEnd.port}`,
    mailbox,
    from: check.from,
    to: check.to,
  };
  let smtp: SmtpSession | undefined;
  let imap: ImapWatcher | undefined;
  let accepted: Accepted | undefined;

  const fail = (error: CheckError): ProbeOutcome => {
    timings.total = Date.now() - t0;
    return { error, timings, metrics, details };
  };

  try {
    const [smtpTls, imapTls] = await Promise.all([
      tlsOptions(check.smtp.tls, 'SMTP'),
      tlsOptions(check.imap.tls, 'IMAP'),
    ]);
    const message = await composeMessage({ checkId: check.id, from: check.from, to: check.to });
    details.tag = message.tag;
    details.messageId = message.messageId;

    smtp = new SmtpSession({
      host: smtpEnd.host,
      port: smtpEnd.port,
      secure: check.smtp.secure ?? smtpEnd.port === 465,
      starttls: check.smtp.starttls ?? 'required',
      user: check.smtp.auth?.user,
      pass: check.smtp.auth ? passOf(check.smtp.auth.pass, 'SMTP') : undefined,
      tls: smtpTls,
      budgetMs: budget.left(),
    });
    imap = new ImapWatcher({
      host: imapEnd.host,
      port: imapEnd.port,
      secure: check.imap.secure ?? imapEnd.port === 993,
      starttls: check.imap.starttls ?? 'required',
      user: check.imap.auth.user,
      pass: passOf(check.imap.auth.pass, 'IMAP'),
      mailbox,
      tls: imapTls,
      budgetMs: budget.left(),
    });

    // Both connect at once; nothing is sent until the mailbox is open and IDLE has begun.
    const timed = async (p: Promise<void>, key: 'smtpConnect' | 'imapConnect') => {
      const started = Date.now();
      await p;
      timings[key] = Date.now() - started;
    };
    // The first failure ends the attempt: no waiting out the other side's timeout.
    await Promise.all([
      budget.race(
        timed(smtp.connect(), 'smtpConnect').catch((e) => Promise.reject(new SideError('SMTP', e))),
        'smtpConnect',
      ),
      budget.race(
        timed(imap.open(), 'imapConnect').catch((e) => Promise.reject(new SideError('IMAP', e))),
        'imapConnect',
      ),
    ]);
    details.smtpTls = smtp.tlsProtocol() ?? 'none';
    details.imapTls = imap.tlsProtocol() ?? 'none';
    details.idle = imap.supportsIdle;
    imap.idle();

    const acc = await budget.race(
      smtp.send(check.from, check.to, message.raw).catch((e) => Promise.reject(new SideError('SMTP', e))),
      'smtpSend',
    );
    accepted = acc;
    smtp.quit();
    timings.smtpAccept = acc.acceptMs;
    metrics.SmtpAcceptTime = acc.acceptMs;
    details.smtpResponse = acc.response;
    if (acc.queueId) details.queueId = acc.queueId;
    if (acc.serverMessageId) details.serverMessageId = acc.serverMessageId;

    const wanted = {
      tag: message.tag,
      messageIds: [message.messageId, ...(acc.serverMessageId ? [acc.serverMessageId] : [])],
    };
    const found: Found = await budget.race(
      imap.waitFor(wanted).catch((e) => Promise.reject(new SideError('IMAP', e))),
      'arrival',
    );
    const transit = Math.max(0, found.seenAt - acc.acceptedAt);
    timings.transit = transit;
    timings.fetch = found.fetchMs;
    timings.total = Date.now() - t0;
    metrics.TransitTime = transit;
    details.seenBy = found.seenBy;

    // What the delivered copy says about its way here.
    const headers = parseHeaders(found.source);
    const hops = parseReceived(headers);
    const auth = parseAuthResults(headers);
    const body = bodyText(found.source);
    const subject = headerValues(headers, 'subject')[0];
    if (hops.length) details.hops = hops;
    if (auth) details.auth = auth;
    details.size = found.source.length;

    let error: CheckError | undefined;
    if (!body.includes(message.nonce) && !found.source.toString('latin1').includes(message.nonce))
      error = {
        code: 'PROTOCOL',
        message: `the message arrived altered: its body no longer carries the probe's nonce (tag ${message.tag})`,
      };

    // Clean up inside the budget: our own message, then what dead runs left behind.
    const cleanup: Record<string, unknown> = {};
    try {
      cleanup.deleted = await budget.race(imap.delete([found.uid]), 'cleanup');
      const olderThan = Math.max(STALE_MIN_MS, STALE_TIMEOUTS * ms(check.timeout));
      const stale = (await budget.race(imap.stale(check.id, olderThan), 'cleanup')).filter((u) => u !== found.uid);
      if (stale.length) await budget.race(imap.delete(stale), 'cleanup');
      cleanup.swept = stale.length;
    } catch (e) {
      cleanup.error = e instanceof Expired ? 'ran out of time' : imapError(e, imapCtx).message;
    }
    details.cleanup = cleanup;

    let status: ProbeOutcome['status'];
    let degraded: ProbeOutcome['degraded'];
    const slow: string[] = [];
    // Transit first: it is what the kind's alarm watches and what on-call asks about.
    if (check.transitAfter !== undefined && transit > ms(check.transitAfter)) {
      slow.push(`mail took ${formatDuration(transit)} to arrive (transitAfter ${check.transitAfter})`);
      degraded = { code: 'TRANSIT_SLOW', message: '' };
    }
    if (check.acceptAfter !== undefined && accepted.acceptMs > ms(check.acceptAfter)) {
      slow.push(
        `SMTP took ${formatDuration(accepted.acceptMs)} to accept the message (acceptAfter ${check.acceptAfter})`,
      );
      degraded ??= { code: 'ACCEPT_SLOW', message: '' };
    }
    if (degraded) {
      status = 'degraded';
      degraded.message = slow.join('; ');
      details.degraded = degraded.message;
    }

    const observed: Record<string, unknown> = {
      transit,
      smtpAccept: accepted.acceptMs,
      total: timings.total,
      hops: hops.length,
      subject,
      body,
    };
    const observations: Observations = {
      read(source, property) {
        if (source === 'header') {
          const v = property ? headerValues(headers, property) : [];
          return { value: v.length ? v[0] : undefined };
        }
        if (source === 'auth')
          return { value: property ? (auth as Record<string, unknown> | undefined)?.[property.toLowerCase()] : auth };
        return { value: observed[source] };
      },
    };
    const out: ProbeOutcome = { timings, latencyMs: timings.total, metrics, details, observations };
    if (error) out.error = error;
    if (status) out.status = status;
    if (degraded) out.degraded = degraded;
    return out;
  } catch (e) {
    if (e instanceof Expired) {
      // A SEARCH or FETCH that hangs is the server stalling, not the message being late.
      if (e.phase === 'arrival' && imap?.busy && Date.now() - imap.busy.since > STALL_MS)
        return fail({
          code: 'TIMEOUT',
          message:
            `IMAP server ${details.imap} did not answer a ${imap.busy.command.toUpperCase()} ` +
            `for ${formatDuration(Date.now() - imap.busy.since)}`,
        });
      if (e.phase === 'arrival' && accepted) {
        const waited = Date.now() - accepted.acceptedAt;
        return fail({
          code: 'NOT_DELIVERED',
          message:
            `the message was accepted by ${details.smtp}${accepted.queueId ? ` (queue id ${accepted.queueId})` : ''} ` +
            `but did not arrive in ${check.imap.auth.user}/${mailbox} at ${details.imap} ` +
            `within ${formatDuration(waited)}`,
        });
      }
      const what: Record<Phase, string> = {
        smtpConnect: `SMTP server ${details.smtp} did not finish connecting and logging in`,
        imapConnect: `IMAP server ${details.imap} did not finish connecting, logging in and opening "${mailbox}"`,
        smtpSend: `SMTP server ${details.smtp} did not accept the message`,
        arrival: `IMAP server ${details.imap} did not answer`,
        cleanup: `IMAP server ${details.imap} did not answer`,
      };
      // A plain client on a TLS-only port waits for a greeting that never comes: say so.
      const secureHint =
        e.phase === 'smtpConnect' && !(check.smtp.secure ?? smtpEnd.port === 465)
          ? ' (if this port speaks TLS from the first byte, like 465, set smtp.secure: true)'
          : e.phase === 'imapConnect' && !(check.imap.secure ?? imapEnd.port === 993)
            ? ' (if this port speaks TLS from the first byte, like 993, set imap.secure: true)'
            : '';
      return fail({
        code: 'TIMEOUT',
        message: `${what[e.phase]} within ${formatDuration(Date.now() - t0)}${secureHint}`,
      });
    }
    if (e instanceof SideError)
      return fail(e.side === 'SMTP' ? smtpError(e.cause, smtpCtx) : imapError(e.cause, imapCtx));
    throw e;
  } finally {
    budget.dispose();
    smtp?.close();
    if (imap) {
      // A polite LOGOUT when there is time left; otherwise just drop the connection.
      const left = Math.min(2_000, ctx.timeoutMs - (Date.now() - t0) - 100);
      if (left > 50 && !ctx.signal.aborted) await imap.logout(left);
      else imap.close();
    }
  }
}
