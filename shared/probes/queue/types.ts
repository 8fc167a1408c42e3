import type { CheckCommon } from '../../config/types';
import type { Duration } from '../../duration';
import type { MaybeSecret } from '../../types';

/**
 * A limit with an optional warning level. A plain value is the `fail` level.
 * The rule: above `fail` → the run fails; else above `warn` → degraded; else pass
 * ("above" is strict: a depth equal to the limit is still fine).
 * @example 1000
 * @example { warn: 500, fail: 5000 }
 */
export type QueueLimit<T> = T | { warn?: T; fail?: T };

/**
 * An Amazon SQS queue. The runner's role needs `sqs:GetQueueAttributes` (and `cloudwatch:GetMetricStatistics` for
 * `maxAge`).
 */
export interface SqsQueue {
  /** e.g. `https://sqs.eu-central-1.amazonaws.com/123456789012/orders` */
  queueUrl: string;
  /** The queue's region. @default read from `queueUrl` */
  region?: string;
}

/** A RabbitMQ queue, read through the management plugin's HTTP API (`rabbitmq_management`). */
export interface RabbitQueue {
  /** Base URL of the management API, e.g. `https://rabbit.internal:15671` or `http://rabbit.internal:15672`. */
  url: string;
  /** @default "/" */
  vhost?: string;
  /** The queue's name. */
  queue: string;
  /** A management user (the `monitoring` tag is enough). The password should be a secret reference. */
  auth: { username: string; password: MaybeSecret };
}

/**
 * A queue check: depth (messages waiting) and age of the oldest message, from Amazon SQS or
 * RabbitMQ. Give exactly one of `sqs` and `rabbitmq`.
 * @example
 * { id: 'orders-queue', kind: 'queue', sqs: { queueUrl: 'https://sqs.eu-central-1.amazonaws.com/123456789012/orders' },
 *   maxDepth: { warn: 500, fail: 5000 }, maxAge: '15m' }
 * @example
 * { id: 'imports', kind: 'queue', rabbitmq: { url: 'https://rabbit.internal:15671', queue: 'imports',
 *   auth: { username: 'monitor', password: { secret: 'rabbit-monitor' } } }, maxDepth: 10000 }
 */
export interface QueueCheck extends CheckCommon {
  kind: 'queue';
  sqs?: SqsQueue;
  rabbitmq?: RabbitQueue;
  /** Messages waiting (SQS: ApproximateNumberOfMessagesVisible; RabbitMQ: messages_ready). */
  maxDepth?: QueueLimit<number>;
  /**
   * Age of the oldest waiting message. SQS: CloudWatch's ApproximateAgeOfOldestMessage (a few
   * minutes behind). RabbitMQ: `head_message_timestamp`, known only when publishers set the
   * message `timestamp` property. An age that cannot be known is not judged (see details).
   * @example "15m"
   * @example { warn: "5m", fail: "30m" }
   */
  maxAge?: QueueLimit<Duration>;
}

declare module '../../config/types' {
  interface CheckKinds {
    queue: QueueCheck;
  }
}
