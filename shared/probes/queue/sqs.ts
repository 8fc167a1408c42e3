/**
 * Amazon SQS: depth from GetQueueAttributes (ApproximateNumberOfMessages, which CloudWatch calls
 * ApproximateNumberOfMessagesVisible), the oldest message's age from CloudWatch
 * (AWS/SQS ApproximateAgeOfOldestMessage, Maximum of the newest minute) — SQS itself does not
 * report an age. CloudWatch is only asked when the age is needed (it costs per request).
 *
 * A queue URL outside amazonaws.com (ElasticMQ, LocalStack, a test server) is used as the SQS
 * endpoint; CloudWatch follows the SDK's own `AWS_ENDPOINT_URL_CLOUDWATCH` setting.
 */
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { awsClient } from '../../aws-clients';
import type { CheckError } from '../../types';
import { errnoCode, phaseTimer, round } from '../net';
import { readOk, type QueueRead } from './reading';
import type { SqsQueue } from './types';

const AWS_HOST = /(^|\.)amazonaws\.com(\.cn)?$/i;

/** `https://sqs.eu-central-1.amazonaws.com/…` → `eu-central-1` (also the legacy `eu-central-1.queue.amazonaws.com`). */
export function sqsRegionOf(queueUrl: string): string | undefined {
  let host: string;
  try {
    host = new URL(queueUrl).hostname;
  } catch {
    return undefined;
  }
  const m =
    /^sqs(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/i.exec(host) ??
    /^([a-z0-9-]+)\.queue\.amazonaws\.com(?:\.cn)?$/i.exec(host);
  return m?.[1]?.toLowerCase();
}

/** The queue's name: the last path segment, `/123456789012/orders` → `orders`. */
export function sqsQueueNameOf(queueUrl: string): string | undefined {
  try {
    const parts = new URL(queueUrl).pathname.split('/').filter(Boolean);
    return parts.length >= 2 ? decodeURIComponent(parts[parts.length - 1]!) : undefined;
  } catch {
    return undefined;
  }
}

// Clients are kept per region/endpoint: a warm Lambda reuses connections and credentials.
const sqsClients = new Map<string, SQSClient>();
const cwClients = new Map<string, CloudWatchClient>();

function sqsClient(region: string, queueUrl: string): SQSClient {
  const u = new URL(queueUrl);
  const endpoint = AWS_HOST.test(u.hostname) ? undefined : u.origin;
  const key = `${region}|${endpoint ?? ''}`;
  let c = sqsClients.get(key);
  if (!c) {
    c = awsClient(SQSClient, { region, maxAttempts: 2, endpoint });
    sqsClients.set(key, c);
  }
  return c;
}

function cwClient(region: string): CloudWatchClient {
  const key = `${region}|${process.env.AWS_ENDPOINT_URL_CLOUDWATCH ?? process.env.AWS_ENDPOINT_URL ?? ''}`;
  let c = cwClients.get(key);
  if (!c) {
    c = awsClient(CloudWatchClient, { region, maxAttempts: 2 });
    cwClients.set(key, c);
  }
  return c;
}

/** Closes cached clients (tests). */
export function resetSqsClients(): void {
  for (const c of sqsClients.values()) c.destroy();
  for (const c of cwClients.values()) c.destroy();
  sqsClients.clear();
  cwClients.clear();
}

const AUTH_ERRORS = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
  'ExpiredToken',
  'ExpiredTokenException',
  'CredentialsProviderError',
  'MissingAuthenticationToken',
  'IncompleteSignature',
  'KMS.AccessDeniedException',
]);
const NOT_FOUND = new Set(['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'NonExistentQueue']);

interface AwsError {
  name?: string;
  code?: string;
  message?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

/** An SDK failure as a stable code; `what` names the call, `where` the queue. */
export function awsError(e: unknown, what: string, where: string, signal: AbortSignal, timeoutMs: number): CheckError {
  const err = (e ?? {}) as AwsError;
  const name = err.name ?? '';
  const code = err.code ?? '';
  const msg = (err.message ?? String(e)).slice(0, 300);
  if (signal.aborted || name === 'AbortError')
    return { code: 'TIMEOUT', message: `${what} for ${where} did not answer within ${timeoutMs}ms` };
  if (NOT_FOUND.has(name) || NOT_FOUND.has(err.Code ?? ''))
    return { code: 'QUEUE_NOT_FOUND', message: `${where} does not exist (${what}: ${name})` };
  if (AUTH_ERRORS.has(name) || /credential/i.test(name))
    return { code: 'AUTH', message: `${what} for ${where} was not allowed: ${name}: ${msg}` };
  const net = /socket hang up/i.test(msg) ? 'RESET' : errnoCode(code);
  if (net === 'CONNECT_REFUSED')
    return { code: net, message: `connection refused by the endpoint of ${where} (${what})` };
  if (net === 'DNS') return { code: net, message: `cannot resolve the endpoint of ${where}: ${msg}` };
  if (net === 'RESET') return { code: net, message: `connection reset by the endpoint of ${where} (${what})` };
  if (net === 'CONNECT_TIMEOUT')
    return { code: net, message: `connecting to the endpoint of ${where} timed out (${what})` };
  if (net === 'TLS') return { code: net, message: `TLS with the endpoint of ${where} failed (${what}): ${msg}` };
  // The SDK names a socket hang-up TimeoutError too; the socket codes above come first.
  if (name === 'TimeoutError') return { code: 'TIMEOUT', message: `${what} for ${where} did not answer in time` };
  const status = err.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 400)
    return {
      code: 'HTTP_STATUS',
      message: `${what} for ${where} failed: ${name ? `${name}: ` : ''}${msg} (HTTP ${status})`,
    };
  if (/Deserializ|Unexpected token|JSON|XML/i.test(`${name} ${msg}`))
    return { code: 'PROTOCOL', message: `${what} for ${where}: unexpected answer: ${msg}` };
  return {
    code: 'NETWORK',
    message:
      `${what} for ${where} ` +
      `failed: ${name && name !== 'Error' ? `${name}: ` : ''}${msg}${code ? ` (${code})` : ''}`,
  };
}

const num = (v: string | undefined): number | undefined =>
  v !== undefined && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined;

export async function readSqs(
  q: SqsQueue,
  wantAge: boolean,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<QueueRead> {
  const elapsed = phaseTimer().total;
  const region = q.region ?? sqsRegionOf(q.queueUrl) ?? 'us-east-1';
  const name = sqsQueueNameOf(q.queueUrl) ?? q.queueUrl;
  const where = `SQS queue ${name} (${region})`;
  const details: Record<string, unknown> = { provider: 'sqs', queue: name, region };

  let attrs: Record<string, string | undefined>;
  try {
    const res = await sqsClient(region, q.queueUrl).send(
      new GetQueueAttributesCommand({
        QueueUrl: q.queueUrl,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
      { abortSignal: signal },
    );
    attrs = res.Attributes ?? {};
  } catch (e) {
    return {
      ok: false,
      error: awsError(e, 'GetQueueAttributes', where, signal, timeoutMs),
      timings: { total: elapsed() },
      details,
    };
  }
  const sqsMs = elapsed();
  const depth = num(attrs.ApproximateNumberOfMessages);
  if (depth === undefined)
    return {
      ok: false,
      error: { code: 'PROTOCOL', message: `GetQueueAttributes for ${where} returned no ApproximateNumberOfMessages` },
      timings: { sqs: sqsMs, total: sqsMs },
      details,
    };
  const inFlight = num(attrs.ApproximateNumberOfMessagesNotVisible);
  const delayed = num(attrs.ApproximateNumberOfMessagesDelayed);
  if (delayed !== undefined) details.delayed = delayed;

  const timings: Record<string, number> = { sqs: sqsMs };
  let ageSeconds: number | undefined;
  let ageUnknown: string | undefined;
  if (wantAge) {
    const now = Date.now();
    try {
      const res = await cwClient(region).send(
        new GetMetricStatisticsCommand({
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateAgeOfOldestMessage',
          Dimensions: [{ Name: 'QueueName', Value: name }],
          // SQS metrics arrive a few minutes late: look back 15 minutes, take the newest minute.
          StartTime: new Date(now - 15 * 60_000),
          EndTime: new Date(now),
          Period: 60,
          Statistics: ['Maximum'],
        }),
        { abortSignal: signal },
      );
      const newest = (res.Datapoints ?? [])
        .filter((d) => d.Timestamp && typeof d.Maximum === 'number')
        .sort((a, b) => b.Timestamp!.getTime() - a.Timestamp!.getTime())[0];
      if (newest) {
        ageSeconds = newest.Maximum!;
        details.ageAsOf = newest.Timestamp!.toISOString();
      } else if (depth === 0) ageSeconds = 0;
      else ageUnknown = 'CloudWatch has no ApproximateAgeOfOldestMessage datapoint in the last 15 minutes';
    } catch (e) {
      return {
        ok: false,
        error: awsError(e, 'CloudWatch GetMetricStatistics', where, signal, timeoutMs),
        timings: { ...timings, total: elapsed() },
        details,
      };
    }
    timings.cloudwatch = round(elapsed() - sqsMs);
  }
  timings.total = elapsed();
  return readOk({ depth, inFlight, ageSeconds, ageUnknown, timings, details });
}
