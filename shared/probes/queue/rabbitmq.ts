/**
 * RabbitMQ through the management HTTP API: `GET /api/queues/<vhost>/<queue>` with basic auth,
 * sent by the http kind's request code (same timings, byte cap and error codes). Depth is
 * `messages_ready`, in flight `messages_unacknowledged`, and the oldest message's age comes
 * from `head_message_timestamp` (seconds; only when publishers set the `timestamp` property).
 * The management plugin refreshes these figures every `collect_statistics_interval` (5 s by default).
 */
import { runHttp } from '../http/run';
import type { ValidatedHttpCheck } from '../http';
import type { ProbeContext } from '../types';
import { round } from '../net';
import { readOk, type QueueRead } from './reading';
import type { ValidatedQueueCheck } from './index';

/** A validated RabbitMQ queue: vhost set. */
type RabbitQueue = NonNullable<ValidatedQueueCheck['rabbitmq']>;

/** A single queue's JSON is a few KiB; a huge answer is not the management API. */
const MAX_BODY_BYTES = 1024 * 1024;

/** The management API URL of a queue: `<base>/api/queues/<vhost>/<queue>` (both encoded; "/" is `%2F`). */
export function rabbitQueueUrl(q: RabbitQueue): string {
  const base = q.url.replace(/\/+$/, '');
  return `${base}/api/queues/${encodeURIComponent(q.vhost)}/${encodeURIComponent(q.queue)}`;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export async function readRabbit(q: RabbitQueue, ctx: ProbeContext): Promise<QueueRead> {
  const url = rabbitQueueUrl(q);
  const vhost = q.vhost;
  const where = `RabbitMQ queue "${q.queue}" in vhost "${vhost}"`;
  const details: Record<string, unknown> = { provider: 'rabbitmq', queue: q.queue, vhost };
  const password = q.auth.password;
  if (typeof password !== 'string')
    return {
      ok: false,
      error: { code: 'SECRET', message: `the password of ${q.auth.username} was not resolved` },
      timings: { total: 0 },
      details,
    };

  const check = {
    id: 'rabbitmq',
    kind: 'http',
    url,
    method: 'GET',
    headers: {
      authorization: `Basic ${Buffer.from(`${q.auth.username}:${password}`).toString('base64')}`,
      accept: 'application/json',
    },
    // Credentials must not follow a redirect; the API does not redirect.
    followRedirects: false,
    maxRedirects: 0,
    maxBodyBytes: MAX_BODY_BYTES,
    query: {},
    assertions: [],
  } as unknown as ValidatedHttpCheck;
  const http = await runHttp(check, ctx);
  const timings = http.timings;
  if (http.error || !http.observations)
    return {
      ok: false,
      error: http.error ?? { code: 'INTERNAL', message: `no response from ${url}` },
      timings,
      details,
    };

  const status = http.observations.read('status', undefined).value as number;
  details.statusCode = status;
  if (status === 401 || status === 403)
    return {
      ok: false,
      error: {
        code: 'AUTH',
        message: `the RabbitMQ management API at ${q.url} rejected user "${q.auth.username}" (HTTP ${status})`,
      },
      timings,
      details,
    };
  if (status === 404)
    return {
      ok: false,
      error: { code: 'QUEUE_NOT_FOUND', message: `${where} does not exist on ${q.url}` },
      timings,
      details,
    };
  if (status < 200 || status > 299)
    return {
      ok: false,
      error: {
        code: 'HTTP_STATUS',
        message: `the RabbitMQ management API at ${q.url} answered ${status} for ${where}`,
      },
      timings,
      details,
    };

  const doc = http.observations.read('json', '$');
  if (doc.error) return { ok: false, error: doc.error, timings, details };
  const body = doc.value as Record<string, unknown> | null;
  if (!body || typeof body !== 'object' || Array.isArray(body))
    return {
      ok: false,
      error: {
        code: 'PROTOCOL',
        message: `the RabbitMQ management API at ${q.url} did not answer with a queue object`,
      },
      timings,
      details,
    };
  const depth = num(body.messages_ready);
  if (depth === undefined)
    return {
      ok: false,
      error: {
        code: 'PROTOCOL',
        message:
          `RabbitMQ reports no message counts for ${where} (statistics not collected yet, or the management ` +
          `plugin has them disabled)`,
      },
      timings,
      details,
    };
  const inFlight = num(body.messages_unacknowledged);
  if (typeof body.state === 'string') details.state = body.state;
  if (typeof body.consumers === 'number') details.consumers = body.consumers;
  if (typeof body.type === 'string') details.type = body.type;

  let ageSeconds: number | undefined;
  let ageUnknown: string | undefined;
  const head = num(body.head_message_timestamp);
  if (depth === 0) ageSeconds = 0;
  else if (head !== undefined) {
    ageSeconds = round(Date.now() / 1000 - head);
    details.oldestMessageAt = new Date(head * 1000).toISOString();
  } else ageUnknown = 'RabbitMQ reports no head_message_timestamp: publishers must set the message timestamp property';

  return readOk({ depth, inFlight, ageSeconds, ageUnknown, timings, details });
}
