/** The `queue` probe kind: depth and oldest-message age of an SQS or RabbitMQ queue. See docs/kinds/queue.md. */
import { INVALID, joinKey, s, type Issues, type Schema } from '../../config/schema';
import { parseDuration } from '../../duration';
import { displayUrl } from '../http/display-url';
import { defineKind, type KindAlarm, type KindCheck, type RunnerPermission } from '../types';
import { rabbitQueueUrl } from './rabbitmq';
import { levels, runQueue } from './run';
import { sqsQueueNameOf, sqsRegionOf } from './sqs';
import type { QueueCheck, QueueLimit } from './types';

export type { QueueCheck, QueueLimit, RabbitQueue, SqsQueue } from './types';

const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$/;

/**
 * A limit: a plain value (the fail level) or `{ warn?, fail? }` with at least one, warn below fail.
 * `toNumber` orders values (durations by their ms).
 */
function limitSchema<T>(value: Schema<T>, toNumber: (v: T) => number, example: string): Schema<QueueLimit<T>> {
  const expected = `${value.expected}, or { warn?, fail? } of those`;
  // A generic shape's inferred type stays deferred: say it (the shape has exactly these two optional fields).
  const obj = s.object({ warn: s.optional(value), fail: s.optional(value) }) as Schema<{ warn?: T; fail?: T }>;
  return {
    expected,
    check(v, path, issues: Issues) {
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
        const r = obj.check(v, path, issues);
        if (r === INVALID) return INVALID;
        if (r.warn === undefined && r.fail === undefined) {
          issues.add(path, 'needs warn, fail or both', `e.g. { warn: ${example} }`);
          return INVALID;
        }
        if (r.warn !== undefined && r.fail !== undefined && toNumber(r.warn) >= toNumber(r.fail)) {
          issues.add(
            joinKey(path, 'warn'),
            `${JSON.stringify(r.warn)} is not below fail ${JSON.stringify(r.fail)}`,
            'warn is the earlier, lower level',
          );
          return INVALID;
        }
        return r;
      }
      return value.check(v, path, issues);
    },
  };
}

const depthLimit = limitSchema(s.number({ integer: true, min: 0 }), (n) => n, '500');
const ageLimit = limitSchema(s.duration({ min: 1_000 }), (d) => parseDuration(d) ?? 0, '"5m"');

const sqsSchema = s.object({
  queueUrl: s.refine(s.url(['https:', 'http:']), (v, path, issues) => {
    if (!sqsQueueNameOf(v))
      issues.add(
        path,
        'is not a queue URL (…/<account id>/<queue name>)',
        'copy it from the SQS console, e.g. "https://sqs.eu-central-1.amazonaws.com/123456789012/orders"',
      );
  }),
  region: s.optional(s.string({ pattern: REGION, expected: 'an AWS region such as "eu-central-1"' })),
});

const rabbitSchema = s.object({
  url: s.url(),
  vhost: s.optional(s.string({ minLength: 1 }), '/'),
  queue: s.string({ minLength: 1 }),
  auth: s.object({
    username: s.string({ minLength: 1 }),
    password: s.secretOr(s.string({ minLength: 1 })),
  }),
});

/** The fields of {@link QueueCheck}, with the defaults validation applies. */
const fields = {
  sqs: s.optional(sqsSchema),
  rabbitmq: s.optional(rabbitSchema),
  maxDepth: s.optional(depthLimit),
  maxAge: s.optional(ageLimit),
};

/** A validated queue check: the fields with a default are set. */
export type ValidatedQueueCheck = KindCheck<QueueCheck, typeof fields>;

/** Depth and oldest-message age of an Amazon SQS or RabbitMQ queue; limits make it degraded or failed. */
export const queueKind = defineKind<QueueCheck>()({
  kind: 'queue',
  fields,
  runnerPermissions(check) {
    if (!check.sqs) return [];
    const region = check.sqs.region ?? sqsRegionOf(check.sqs.queueUrl) ?? 'us-east-1';
    const parts = new URL(check.sqs.queueUrl).pathname.split('/').filter(Boolean);
    const account = parts.length >= 2 ? parts[parts.length - 2]! : '{account}';
    const perms: RunnerPermission[] = [
      {
        actions: ['sqs:GetQueueAttributes'],
        resources: [`arn:aws:sqs:${region}:${account}:${sqsQueueNameOf(check.sqs.queueUrl)}`],
      },
    ];
    if (check.maxAge !== undefined || check.assertions.some((a) => a.source === 'age'))
      perms.push({
        actions: ['cloudwatch:GetMetricStatistics'],
        resources: ['*'],
        why:
          'cloudwatch:GetMetricStatistics has no resource-level permissions; it reads the queue age ' +
          '(ApproximateAgeOfOldestMessage) of the SQS queues the config names.',
      });
    return perms;
  },
  assertionSources: ['depth', 'age', 'inFlight', 'latency'],
  numericSources: ['depth', 'age', 'inFlight', 'latency'],
  // Messages waiting (SQS ApproximateNumberOfMessagesVisible, RabbitMQ messages_ready)
  metrics: [{ name: 'QueueDepth', unit: 'Count' }],
  // A warn depth pages in AWS too: its own word and the depth (QUEUE-DEPTH), never as slowness.
  // Age has no alarm: it is not published as a metric (cost); a warn age pages locally only.
  alarms(check): KindAlarm[] {
    const warn = levels(check.maxDepth).warn;
    if (warn === undefined || check.enabled === false) return [];
    return [
      {
        name: 'queue-depth',
        metric: 'QueueDepth',
        statistic: 'Maximum',
        comparison: 'GreaterThanThreshold',
        threshold: warn,
        acrossRegions: 'max',
        severity: 'warning',
        description: `the queue holds more than ${warn} messages (warning level)`,
        code: 'QUEUE_DEPTH',
      },
    ];
  },
  validate(check, path, issues) {
    const has = (check.sqs ? 1 : 0) + (check.rabbitmq ? 1 : 0);
    if (has === 0)
      issues.add(
        path,
        'a queue check needs sqs or rabbitmq',
        'add sqs: { queueUrl: "…" } or rabbitmq: { url, queue, auth }',
      );
    if (has === 2)
      issues.add(joinKey(path, 'rabbitmq'), 'give either sqs or rabbitmq, not both', 'one check watches one queue');
    if (check.sqs && check.sqs.region === undefined && !sqsRegionOf(check.sqs.queueUrl))
      issues.add(
        joinKey(joinKey(path, 'sqs'), 'region'),
        `is required: the region cannot be read from ${check.sqs.queueUrl}`,
        'e.g. region: "eu-central-1"',
      );
  },
  target: (check) =>
    check.sqs
      ? `sqs ${check.sqs.queueUrl}`
      : check.rabbitmq
        ? `rabbitmq ${displayUrl(rabbitQueueUrl(check.rabbitmq))}`
        : 'queue',
  run: runQueue,
});
