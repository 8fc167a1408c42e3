/**
 * The notifier Lambda: a thin handler for EventBridge "CloudWatch Alarm State Change" events of
 * watchpost's alarms. It reads the check's latest results from DynamoDB and publishes a page
 * per protocol (SMS, email) to the check's SNS topic, and posts ITSM webhooks
 * (shared/notify/notifier.ts does the work). The same function takes the webhook retry queue's
 * SQS batches: pages whose webhook failed, tried again (shared/notify/retry-sqs.ts).
 *
 * A per-minute schedule sends `{ "watchpost-sweep": true }`: reminders, escalations and held pages
 * come due there (shared/notify/oncall.ts).
 *
 * Bundle root: `index.mjs` and `watchpost.config.json` (the validated config: secret
 * references, never values). Environment: see `NOTIFIER_ENV`.
 */
import { CloudWatchClient, ListAlarmMuteRulesCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { AWS_CALL_RETRY, awsClient } from '../../shared/aws-clients';
import { ms } from '../../shared/duration';
import { DynamoFlapStore } from '../../shared/notify/flap-store';
import { NOTIFIER_ENV } from '../../shared/notify/lambda-env';
import {
  handleAlarmEvent,
  handleSweep,
  type AlarmStateChangeEvent,
  type NotifierDeps,
  type NotifySummary,
} from '../../shared/notify/notifier';
import type { SweepReport } from '../../shared/notify/oncall';
import {
  DynamoDeliveryLedger,
  handleRetryBatch,
  isSqsEvent,
  SqsRetryQueue,
  type BatchResponse,
  type SqsEvent,
} from '../../shared/notify/retry-sqs';
import { publishPage } from '../../shared/notify/sns';
import { ackUrl } from '../../shared/notify/ack';
import { PageStore } from '../../shared/notify/page-store';
import { DeliveryTrail } from '../../shared/notify/trail';
import { incidentRecorder } from '../../shared/notify/incidents';
import { DynamoResultStore } from '../../shared/store/dynamo-store';
import { bootstrap } from '../lib/bootstrap';
import { lambdaLogger } from '../lib/logger';

const { logger } = lambdaLogger('watchpost-notifier');

/** Cold start (functions/lib/bootstrap.ts), then the notifier's clients, kept for the container's life. */
export function init(): NotifierDeps {
  const boot = bootstrap({
    service: 'watchpost-notifier',
    env: [
      NOTIFIER_ENV.table,
      NOTIFIER_ENV.topicCritical,
      NOTIFIER_ENV.topicWarning,
      NOTIFIER_ENV.retryQueueUrl,
      NOTIFIER_ENV.deadLetterQueueUrl,
    ],
  });
  const { config, env, log } = boot;
  const region = boot.homeRegion;
  const topics = { critical: env[NOTIFIER_ENV.topicCritical], warning: env[NOTIFIER_ENV.topicWarning] };
  const tableName = env[NOTIFIER_ENV.table];
  const escalation = JSON.parse(process.env[NOTIFIER_ENV.escalationTopics] || '{}') as Record<string, string[]>;
  const ackBase = process.env[NOTIFIER_ENV.ackUrl];
  const ackSecret = process.env[NOTIFIER_ENV.ackKeySecret];
  // The store retries itself; the rest have no loop of their own: shared/retry.ts retries their sends.
  const ddb = awsClient(DynamoDBClient, { region, retry: AWS_CALL_RETRY });
  const sns = awsClient(SNSClient, { region, retry: AWS_CALL_RETRY });
  const cloudwatch = awsClient(CloudWatchClient, { region, retry: AWS_CALL_RETRY });
  const sqs = awsClient(SQSClient, { region, retry: AWS_CALL_RETRY });
  return {
    config,
    store: new DynamoResultStore({
      client: awsClient(DynamoDBClient, { region }),
      tableName,
      retentionMs: ms(config.retention),
      log,
    }),
    flaps: new DynamoFlapStore(ddb, tableName),
    publish: (severity, incident, level = 0) => {
      const arn = level === 0 ? topics[severity] : escalation[severity]?.[level - 1];
      if (!arn) throw new Error(`no topic for escalation level ${level} of ${severity} (redeploy the home stack)`);
      return publishPage(sns, arn, incident);
    },
    pages: new PageStore(ddb, tableName),
    trail: new DeliveryTrail(ddb, tableName),
    incidents: incidentRecorder(ddb, tableName),
    ...(ackBase && ackSecret
      ? { ackLink: async (ref: string, exp: number) => ackUrl(ackBase, await boot.secrets(ackSecret), ref, exp) }
      : {}),
    secrets: boot.secrets,
    retries: new SqsRetryQueue(sqs, env[NOTIFIER_ENV.retryQueueUrl], env[NOTIFIER_ENV.deadLetterQueueUrl]),
    ledger: new DynamoDeliveryLedger(ddb, tableName),
    isMuted: async (alarmName) => {
      const res = await cloudwatch.send(new ListAlarmMuteRulesCommand({ AlarmName: alarmName, Statuses: ['ACTIVE'] }));
      return (res.AlarmMuteRuleSummaries ?? []).length > 0;
    },
    links: process.env[NOTIFIER_ENV.dashboardUrl] ? { dashboardUrl: process.env[NOTIFIER_ENV.dashboardUrl] } : {},
    log,
  };
}

/** The per-minute schedule's event (EventBridge Scheduler or a rule). */
export interface SweepEvent {
  'watchpost-sweep': true;
}
const isSweep = (e: unknown): e is SweepEvent => (e as SweepEvent)?.['watchpost-sweep'] === true;

/** The handler over any deps (tests may pass their own): alarm events, the sweep, retry batches from SQS. */
export function createHandler(getDeps: () => NotifierDeps) {
  function handle(event: SqsEvent): Promise<BatchResponse>;
  function handle(event: SweepEvent): Promise<SweepReport>;
  function handle(event: AlarmStateChangeEvent): Promise<NotifySummary>;
  async function handle(event: AlarmStateChangeEvent | SqsEvent | SweepEvent) {
    const deps = getDeps();
    if (isSweep(event)) return handleSweep(deps);
    if (isSqsEvent(event)) {
      if (!deps.retries) throw new Error('a webhook retry batch arrived but no retry queue is configured');
      const { config, secrets, ledger, deliver, retryPolicy, now, log: l } = deps;
      const queue = deps.retries;
      return handleRetryBatch(event, { config, secrets, queue, ledger, deliver, policy: retryPolicy, now, log: l });
    }
    logger.appendKeys({ alarm: event?.detail?.alarmName, eventId: event?.id });
    return handleAlarmEvent(event, deps);
  }
  return handle;
}

let deps: NotifierDeps | undefined;
export const handler = createHandler(() => (deps ??= init()));
