/** One run of a `queue` check: read depth and age from the provider, then apply the limits. */
import type { ValidatedQueueCheck } from './index';
import { formatDuration, ms } from '../../duration';
import type { Observations, ProbeContext, ProbeOutcome } from '../types';
import { readRabbit } from './rabbitmq';
import type { QueueRead, QueueReading } from './reading';
import { readSqs } from './sqs';
import type { QueueCheck, QueueLimit } from './types';

/** A limit as `{ warn?, fail? }`; a plain value is the fail level. */
export function levels<T>(limit: QueueLimit<T> | undefined): { warn?: T; fail?: T } {
  if (limit === undefined) return {};
  if (typeof limit === 'object' && limit !== null) return limit as { warn?: T; fail?: T };
  return { fail: limit as T };
}

export interface QueueVerdict {
  status?: 'degraded' | 'fail';
  error?: { code: 'QUEUE_DEPTH' | 'QUEUE_AGE'; message: string };
  /** Why it is degraded: the first level crossed (depth before age) names the code; the message has every one. */
  degraded?: { code: 'QUEUE_DEPTH' | 'QUEUE_AGE'; message: string };
  /** Each warning level crossed, in words. */
  warnings: string[];
}

/**
 * The rule, the same for depth and age: above `fail` → fail (`QUEUE_DEPTH`, `QUEUE_AGE`);
 * else above `warn` → degraded; equal to a limit is fine. Depth is judged before age. Pure.
 */
export function judgeQueue(
  check: Pick<QueueCheck, 'maxDepth' | 'maxAge'>,
  r: Pick<QueueReading, 'depth' | 'ageSeconds'>,
  where: string,
): QueueVerdict {
  const d = levels(check.maxDepth);
  const a = levels(check.maxAge);
  const warnings: string[] = [];
  let code: 'QUEUE_DEPTH' | 'QUEUE_AGE' | undefined;
  const ageMs = r.ageSeconds === undefined ? undefined : r.ageSeconds * 1000;
  if (d.fail !== undefined && r.depth > d.fail)
    return {
      status: 'fail',
      error: { code: 'QUEUE_DEPTH', message: `${where} holds ${r.depth} messages, above the limit ${d.fail}` },
      warnings,
    };
  if (ageMs !== undefined && a.fail !== undefined && ageMs > ms(a.fail))
    return {
      status: 'fail',
      error: {
        code: 'QUEUE_AGE',
        message: `the oldest message in ${where} is ${formatDuration(ageMs)} old, above the limit ${a.fail}`,
      },
      warnings,
    };
  if (d.warn !== undefined && r.depth > d.warn) {
    warnings.push(`${r.depth} messages, above the warning level ${d.warn}`);
    code = 'QUEUE_DEPTH';
  }
  if (ageMs !== undefined && a.warn !== undefined && ageMs > ms(a.warn)) {
    warnings.push(`oldest message ${formatDuration(ageMs)} old, above the warning level ${a.warn}`);
    code ??= 'QUEUE_AGE';
  }
  if (!code) return { warnings };
  return { status: 'degraded', degraded: { code, message: `${where}: ${warnings.join('; ')}` }, warnings };
}

class QueueObservations implements Observations {
  constructor(private readonly r: QueueReading) {}
  read(source: string): { value?: unknown } {
    switch (source) {
      case 'depth':
        return { value: this.r.depth };
      case 'age':
        return { value: this.r.ageSeconds };
      case 'inFlight':
        return { value: this.r.inFlight };
      case 'latency':
        return { value: this.r.timings.total };
      default:
        return {};
    }
  }
}

export async function runQueue(check: ValidatedQueueCheck, ctx: ProbeContext): Promise<ProbeOutcome> {
  const wantAge = check.maxAge !== undefined || check.assertions.some((a) => a.source === 'age');
  let read: QueueRead;
  let where: string;
  if (check.sqs) {
    read = await readSqs(check.sqs, wantAge, ctx.signal, ctx.timeoutMs);
    where = `SQS queue ${read.ok ? read.reading.details.queue : (read.details?.queue ?? check.sqs.queueUrl)}`;
  } else if (check.rabbitmq) {
    read = await readRabbit(check.rabbitmq, ctx);
    where = `RabbitMQ queue "${check.rabbitmq.queue}"`;
  } else {
    return {
      error: { code: 'INTERNAL', message: 'a queue check needs sqs or rabbitmq (validation should have said so)' },
      timings: {},
    };
  }
  if (!read.ok) return { error: read.error, timings: read.timings, ...(read.details ? { details: read.details } : {}) };

  const r = read.reading;
  const details: Record<string, unknown> = { ...r.details, depth: r.depth };
  if (r.inFlight !== undefined) details.inFlight = r.inFlight;
  if (r.ageSeconds !== undefined) details.ageSeconds = r.ageSeconds;
  if (r.ageUnknown) details.ageUnknown = r.ageUnknown;
  const verdict = judgeQueue(check, r, where);
  if (verdict.warnings.length) details.warnings = verdict.warnings;
  const outcome: ProbeOutcome = {
    timings: r.timings,
    latencyMs: r.timings.total,
    metrics: { QueueDepth: r.depth },
    details,
    observations: new QueueObservations(r),
  };
  if (verdict.error) outcome.error = verdict.error;
  if (verdict.status) outcome.status = verdict.status;
  if (verdict.degraded) outcome.degraded = verdict.degraded;
  return outcome;
}
