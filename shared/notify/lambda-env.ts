/**
 * Environment variables the CDK app (infra/notifier.ts) sets on the notifier Lambda and the
 * handler reads. One list, so infra and function cannot drift apart. The config file's is
 * every Lambda's (`LAMBDA_ENV` in shared/runtime-env.ts).
 */
import { RUNNER_ENV } from '../runtime-env';

export const NOTIFIER_ENV = {
  /** Results table (home region): latest states are read, flap records written. */
  table: RUNNER_ENV.table,
  /** Home region: topics, secrets and alarms live there. */
  homeRegion: RUNNER_ENV.homeRegion,
  /** Topic ARN of `critical` pages. */
  topicCritical: 'WATCHPOST_TOPIC_CRITICAL',
  /** Topic ARN of `warning` pages. */
  topicWarning: 'WATCHPOST_TOPIC_WARNING',
  /** URL of the SQS queue failed webhook pages wait in for their next try. */
  retryQueueUrl: 'WATCHPOST_WEBHOOK_RETRY_QUEUE_URL',
  /** URL of the SQS dead-letter queue given-up webhook pages go to (an alarm watches it). */
  deadLetterQueueUrl: 'WATCHPOST_WEBHOOK_DLQ_URL',
  /** Optional: the dashboard link in pages (default: the CloudWatch dashboard). */
  dashboardUrl: 'WATCHPOST_DASHBOARD_URL',
  /** Optional: JSON `{ "critical": [arn of level 1, …], "warning": […] }`, the escalation topics. */
  escalationTopics: 'WATCHPOST_ESCALATION_TOPICS',
  /** Optional: base URL of the acknowledgement endpoint (the ack function's URL); none: pages carry no ack link. */
  ackUrl: 'WATCHPOST_ACK_URL',
  /** Name of the Secrets Manager secret holding the HMAC key of acknowledgement links. */
  ackKeySecret: 'WATCHPOST_ACK_KEY_SECRET',
} as const;
