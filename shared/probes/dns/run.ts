/** One attempt of a `dns` check: one query through node's resolver (c-ares), rcode from its error codes. */
import { promises as dnsPromises } from 'node:dns';
import type { ValidatedDnsCheck } from './index';
import type { CheckError } from '../../types';
import { errnoCode, now, round } from '../net';
import type { Observations, ProbeContext, ProbeOutcome } from '../types';
import type { DnsRecordType } from './types';

/** Response codes c-ares reports as errors. ENODATA is NOERROR with an empty answer. */
const RCODE_OF: Record<string, string> = {
  ENODATA: 'NOERROR',
  ENOTFOUND: 'NXDOMAIN',
  ESERVFAIL: 'SERVFAIL',
  EREFUSED: 'REFUSED',
  ENOTIMP: 'NOTIMP',
  EFORMERR: 'FORMERR',
};

export interface DnsAnswer {
  /** The answer as text (what assertions see). */
  value: string;
  /** Seconds, where the resolver reports it (A, AAAA). */
  ttl?: number;
}

async function query(resolver: dnsPromises.Resolver, name: string, type: DnsRecordType): Promise<DnsAnswer[]> {
  switch (type) {
    case 'A':
      return (await resolver.resolve4(name, { ttl: true })).map((a) => ({ value: a.address, ttl: a.ttl }));
    case 'AAAA':
      return (await resolver.resolve6(name, { ttl: true })).map((a) => ({ value: a.address, ttl: a.ttl }));
    case 'CNAME':
      return (await resolver.resolveCname(name)).map((value) => ({ value }));
    case 'MX':
      return (await resolver.resolveMx(name)).map((m) => ({ value: `${m.priority} ${m.exchange}` }));
    case 'TXT':
      return (await resolver.resolveTxt(name)).map((chunks) => ({ value: chunks.join('') }));
    case 'NS':
      return (await resolver.resolveNs(name)).map((value) => ({ value }));
  }
}

export async function runDns(check: ValidatedDnsCheck, ctx: ProbeContext): Promise<ProbeOutcome> {
  const type = check.type;
  // Two tries (UDP loses packets); c-ares doubles the wait on the retry, so 3 × per-try fits the timeout.
  const resolver = new dnsPromises.Resolver({ timeout: Math.max(50, Math.floor(ctx.timeoutMs / 3)), tries: 2 });
  if (check.server) resolver.setServers([check.server]);
  const serverLabel = check.server ?? `system resolver (${resolver.getServers().join(', ') || 'none configured'})`;
  const what = `${check.name} ${type}`;
  const details: Record<string, unknown> = { name: check.name, type, server: serverLabel };

  const t0 = now();
  let answers: DnsAnswer[] = [];
  let rcode = 'NOERROR';
  let error: CheckError | undefined;
  const onAbort = () => resolver.cancel();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    if (ctx.signal.aborted) throw Object.assign(new Error('cancelled'), { code: 'ECANCELLED' });
    answers = await query(resolver, check.name, type);
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    if (code in RCODE_OF) rcode = RCODE_OF[code]!;
    else if (code === 'ETIMEOUT' || code === 'ECANCELLED' || ctx.signal.aborted)
      error = { code: 'TIMEOUT', message: `no answer for ${what} from ${serverLabel} within ${ctx.timeoutMs}ms` };
    else if (errnoCode(code) === 'CONNECT_REFUSED')
      error = { code: 'DNS', message: `cannot reach ${serverLabel} to resolve ${what}: connection refused` };
    else error = { code: 'DNS', message: `resolving ${what} through ${serverLabel} failed: ${(e as Error).message}` };
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
  const lookup = round(now() - t0);
  const timings = { lookup, total: lookup };
  if (error) return { error, timings, details };

  details.rcode = rcode;
  details.answers = answers;
  const values = answers.map((a) => a.value);
  // The probe judges the answer itself unless the check's assertions take that over.
  const judged = check.assertions.some((a) => a.source === 'rcode' || a.source === 'answerCount');
  if (!judged && rcode !== 'NOERROR')
    return { error: { code: 'DNS', message: `${what}: ${rcode} from ${serverLabel}` }, timings, details };
  if (!judged && values.length === 0)
    return {
      error: { code: 'DNS', message: `${what}: no ${type} records (NOERROR with an empty answer) from ${serverLabel}` },
      timings,
      details,
    };

  const observations: Observations = {
    read(source) {
      switch (source) {
        case 'answer':
          return { value: values };
        case 'answerCount':
          return { value: values.length };
        case 'rcode':
          return { value: rcode };
        case 'latency':
          return { value: lookup };
        default:
          return {};
      }
    },
  };
  return { timings, latencyMs: lookup, details, observations };
}
