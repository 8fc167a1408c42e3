/**
 * The notifier Lambda: a thin handler for EventBridge "CloudWatch Alarm State Change" events of
 * watchpost's alarms. It reads the check's latest results from DynamoDB and publishes a page
 * per protocol (SMS, email) to the check's SNS topic, and posts ITSM webhooks
 * (shared/notify/notifier.ts does the work). The same function takes the webhook retry queue's
 * SQS batches: pages whose webhook failed, tried again (shared/notify/retry-sqs.ts).
 *
 * Bundle root: `index.mjs` and `watchpost.config.json` (the validated config: secret
 * references, never values). Environment: see `NOTIFIER_ENV`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudWatchClient, ListAlarmMuteRulesCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { awsClient } from '../../shared/aws-clients';
import type { ValidatedConfig } from '../../shared/config/types';
import { parseConfig } from '../../shared/config/validate';
import { ms } from '../../shared/duration';
import { DynamoFlapStore } from '../../shared/notify/flap-store';
import { NOTIFIER_ENV } from '../../shared/notify/lambda-env';
import {
  handleAlarmEvent,
  type AlarmStateChangeEvent,
  type NotifierDeps,
  type NotifySummary,
} from '../../shared/notify/notifier';
import {
  DynamoDeliveryLedger,
  handleRetryBatch,
  isSqsEvent,
  SqsRetryQueue,
  type BatchResponse,
  type SqsEvent,
} from '../../shared/notify/retry-sqs';
import { publishPage } from '../../shared/notify/sns';
import { BUNDLED_CONFIG_FILE } from '../../shared/runtime-env';
import { SecretError, trackSecrets, type SecretResolver } from '../../shared/secrets';
import { DynamoResultStore } from '../../shared/store/dynamo-store';
import { lambdaLogger } from '../lib/logger';

const { logger, log } = lambdaLogger('watchpost-notifier');

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set (the CDK app sets it)`);
  return v;
}

/** Secrets Manager; a value is kept 5 minutes per container (a rotated key is picked up soon). */
function secretsManager(client: SecretsManagerClient): SecretResolver {
  const cache = new Map<string, { at: number; value: Promise<string> }>();
  return (name) => {
    const hit = cache.get(name);
    if (hit && Date.now() - hit.at < 300_000) return hit.value;
    const value = client.send(new GetSecretValueCommand({ SecretId: name })).then(
      (r) => {
        if (!r.SecretString) throw new SecretError(name, `secret "${name}" has no string value`);
        return r.SecretString;
      },
      (e: Error) => {
        cache.delete(name);
        throw new SecretError(name, `cannot read secret "${name}" from Secrets Manager: ${e.name}`);
      },
    );
    cache.set(name, { at: Date.now(), value });
    return value;
  };
}

/** Cold start: config and clients, kept for the container's life. */
export function init(): NotifierDeps {
  const file = process.env[NOTIFIER_ENV.configFile] ?? join(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), BUNDLED_CONFIG_FILE);
  const config: ValidatedConfig = parseConfig(JSON.parse(readFileSync(file, 'utf8')), file);
  const region = process.env[NOTIFIER_ENV.homeRegion] ?? config.homeRegion;
  const topics = { critical: env(NOTIFIER_ENV.topicCritical), warning: env(NOTIFIER_ENV.topicWarning) };
  const ddb = awsClient(DynamoDBClient, { region, maxAttempts: 3 });
  const sns = awsClient(SNSClient, { region, maxAttempts: 3 });
  const cloudwatch = awsClient(CloudWatchClient, { region, maxAttempts: 2 });
  const tableName = env(NOTIFIER_ENV.table);
  const sqs = awsClient(SQSClient, { region, maxAttempts: 3 });
  return {
    config,
    store: new DynamoResultStore({ client: ddb, tableName, retentionMs: ms(config.retention), log }),
    flaps: new DynamoFlapStore(ddb, tableName),
    publish: (severity, incident) => publishPage(sns, topics[severity], incident),
    secrets: trackSecrets(secretsManager(awsClient(SecretsManagerClient, { region, maxAttempts: 2 }))),
    retries: new SqsRetryQueue(sqs, env(NOTIFIER_ENV.retryQueueUrl), env(NOTIFIER_ENV.deadLetterQueueUrl)),
    ledger: new DynamoDeliveryLedger(ddb, tableName),
    isMuted: async (alarmName) => {
      const res = await cloudwatch.send(new ListAlarmMuteRulesCommand({ AlarmName: alarmName, Statuses: ['ACTIVE'] }));
      return (res.AlarmMuteRuleSummaries ?? []).length > 0;
    },
    links: process.env[NOTIFIER_ENV.dashboardUrl] ? { dashboardUrl: process.env[NOTIFIER_ENV.dashboardUrl] } : {},
    log,
  };
}

/** The handler over any deps (tests may pass their own): alarm events, and retry batches from SQS. */
export function createHandler(getDeps: () => NotifierDeps) {
  function handle(event: SqsEvent): Promise<BatchResponse>;
  function handle(event: AlarmStateChangeEvent): Promise<NotifySummary>;
  async function handle(event: AlarmStateChangeEvent | SqsEvent) {
    const deps = getDeps();
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
