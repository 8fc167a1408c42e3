/**
 * The runner Lambda: a thin handler for the per-minute schedule. It reads the validated config
 * shipped in the bundle, runs the checks due in this minute in its own region, writes results
 * to the table replica in its region and metrics to CloudWatch in the home region.
 *
 * Event: `{ "time": "<aws.scheduler.scheduled-time>" }` (EventBridge Scheduler input) or an
 * EventBridge scheduled event (which also carries `time`). Missing/invalid time → now.
 *
 * Time: the pass's budget comes from the Lambda's deadline (shared/runner/budget.ts): probes,
 * then storing, then publishing, then a margin for logging. Every AWS call has timeouts
 * (shared/aws-clients.ts) and retries within its phase (shared/retry.ts), so a hung DynamoDB,
 * CloudWatch or Secrets Manager costs results their storage, never their log line.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { AWS_CALL_RETRY, awsClient } from '../../shared/aws-clients';
import type { ValidatedConfig } from '../../shared/config/types';
import { ms } from '../../shared/duration';
import type { Log } from '../../shared/log';
import { CloudWatchMetricSink } from '../../shared/metrics/cloudwatch';
import { passBudget } from '../../shared/runner/budget';
import { runPass } from '../../shared/runner/run-pass';
import { RUNNER_ENV } from '../../shared/runtime-env';
import type { SecretResolver } from '../../shared/secrets';
import { DynamoResultStore } from '../../shared/store/dynamo-store';
import { storeWithRollups } from '../../shared/rollups/store';
import { bootstrap, retryingDocumentClient } from '../lib/bootstrap';

/** The probes' deadline of the pass in progress (secret reads may not outlive it). */
let probesDeadline = Number.POSITIVE_INFINITY;

interface Runtime {
  config: ValidatedConfig;
  table: { client: DynamoDBDocumentClient; tableName: string };
  region: string;
  store: DynamoResultStore;
  metrics: CloudWatchMetricSink;
  secrets: SecretResolver;
  logger: Logger;
  log: Log;
}

let runtime: Runtime | undefined;

/** Cold start (functions/lib/bootstrap.ts), then the runner's clients. Kept for the container's life. */
export function init(): Runtime {
  if (runtime) return runtime;
  const boot = bootstrap({
    service: 'watchpost-runner',
    env: [RUNNER_ENV.table],
    secretsDeadline: () => probesDeadline,
  });
  const { config, region, log } = boot;
  const tableName = boot.env[RUNNER_ENV.table];
  const client = awsClient(DynamoDBClient, { region });
  runtime = {
    config,
    region,
    // Kinds that read stored state (heartbeat pings) have no loop of their own: shared/retry.ts
    // retries their reads, within the probes' phase.
    table: {
      client: retryingDocumentClient(region, { ...AWS_CALL_RETRY, deadline: () => probesDeadline }),
      tableName,
    },
    // The store and the sink retry themselves (shared/retry.ts): 1 SDK attempt, so retries do not stack.
    // Daily rollups (status page, reports) are counted right after each store write, same client and deadline.
    store: storeWithRollups(
      {
        store: new DynamoResultStore({ client, tableName, retentionMs: ms(config.retention), log }),
        client,
        tableName,
      },
      log,
    ),
    metrics: new CloudWatchMetricSink({
      client: awsClient(CloudWatchClient, { region: boot.homeRegion }),
      project: config.project,
      log,
    }),
    secrets: boot.secrets,
    logger: boot.logger,
    log,
  };
  return runtime;
}

export async function handler(
  event: { time?: string } | undefined,
  context: Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'>,
) {
  const rt = init();
  const parsed = event?.time ? Date.parse(event.time) : NaN;
  const tick = Number.isFinite(parsed) ? parsed : Date.now();
  const budget = passBudget(Date.now(), context.getRemainingTimeInMillis());
  probesDeadline = budget.probes;
  const { logger } = rt;
  logger.appendKeys({ region: rt.region, tick: new Date(tick).toISOString() });
  const report = await runPass({
    config: rt.config,
    region: rt.region,
    tick,
    deadline: budget.probes,
    storeDeadline: budget.store,
    publishDeadline: budget.publish,
    secrets: rt.secrets,
    store: rt.store,
    metrics: rt.metrics,
    table: rt.table,
    log: rt.log,
  });
  const summary = {
    checks: report.results.length,
    failed: report.results.filter((r) => r.status === 'fail').length,
    degraded: report.results.filter((r) => r.status === 'degraded').length,
    written: report.written,
    writeFailures: report.writeFailures,
    published: report.published,
    publishFailures: report.publishFailures,
    // The RunnerHealth value this pass sent: 0 when any result was not stored.
    heartbeat: report.runnerHealthy ? 1 : 0,
  };
  logger.info('runner pass done', summary);
  return summary;
}
