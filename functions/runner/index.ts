/**
 * The runner Lambda: a thin handler for the per-minute schedule. It reads the validated config
 * shipped in the bundle, runs the checks due in this minute in its own region, writes results
 * to the table and metrics to CloudWatch, both in the home region.
 *
 * Event: `{ "time": "<aws.scheduler.scheduled-time>", "shard": 0, "shards": 4 }` (EventBridge
 * Scheduler input, one schedule per shard: infra/runner.ts) or an EventBridge scheduled event
 * (which also carries `time`). Missing/invalid time → now; no shard → the whole region.
 *
 * Shards: the pass runs only its shard's checks, at the times of the shard's timetable
 * (shared/runner/plan.ts, schedule.ts). It first claims its minute (shared/runner/pass-claim.ts):
 * a second delivery of the same event ends there, having run, stored and published nothing.
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
import { claimPass } from '../../shared/runner/pass-claim';
import { planRegion } from '../../shared/runner/plan';
import { runPass } from '../../shared/runner/run-pass';
import type { ShardRef } from '../../shared/runner/schedule';
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
  // One results table, in the home region (docs/deploy.md, cost): every region's runner writes there.
  const client = awsClient(DynamoDBClient, { region: boot.homeRegion });
  runtime = {
    config,
    region,
    // Kinds that read stored state (heartbeat pings) have no loop of their own: shared/retry.ts
    // retries their reads, within the probes' phase.
    table: {
      client: retryingDocumentClient(boot.homeRegion, { ...AWS_CALL_RETRY, deadline: () => probesDeadline }),
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

/** The runner's event: the scheduled minute and, from a sharded schedule, which shard. */
export interface RunnerEvent {
  time?: string;
  shard?: number;
  shards?: number;
}

/** Shard `shard` of `shards` from the event; the whole region when absent; an error text when malformed. */
export function shardFromEvent(event: RunnerEvent | undefined): ShardRef | string {
  if (event?.shard === undefined && event?.shards === undefined) return { index: 0, count: 1 };
  const { shard, shards } = event;
  if (!Number.isInteger(shards) || (shards as number) < 1 || !Number.isInteger(shard))
    return `event shard ${JSON.stringify(shard)} of ${JSON.stringify(shards)}: expected integers, shards ≥ 1`;
  if ((shard as number) < 0 || (shard as number) >= (shards as number))
    return `event shard ${shard} of ${shards}: expected 0 ≤ shard < shards`;
  return { index: shard as number, count: shards as number };
}

/** How long the claim may take before the pass runs anyway. */
const CLAIM_MS = 2_000;

export async function handler(
  event: RunnerEvent | undefined,
  context: Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'>,
) {
  const rt = init();
  const parsed = event?.time ? Date.parse(event.time) : NaN;
  const tick = Number.isFinite(parsed) ? parsed : Date.now();
  const budget = passBudget(Date.now(), context.getRemainingTimeInMillis());
  probesDeadline = budget.probes;
  const { logger } = rt;
  const shard = shardFromEvent(event);
  const shardText = typeof shard === 'string' ? 'invalid' : `${shard.index}/${shard.count}`;
  logger.appendKeys({ region: rt.region, tick: new Date(tick).toISOString(), shard: shardText });
  if (typeof shard === 'string') {
    // A malformed event (a hand-made invoke): running the whole region would run every shard twice.
    logger.error('runner event not understood: nothing run', { reason: shard, event });
    return { error: shard };
  }
  const claim = await claimPass({
    client: rt.table.client,
    tableName: rt.table.tableName,
    region: rt.region,
    tick,
    shard,
    requestId: context.awsRequestId,
    deadline: Math.min(budget.probes, Date.now() + CLAIM_MS),
  });
  if (claim.outcome === 'duplicate') {
    logger.info('duplicate delivery: this minute of the shard already ran', { claimedBy: claim.by, at: claim.at });
    return { duplicate: true };
  }
  if (claim.outcome === 'unknown') logger.warn('pass not claimed, running anyway', { reason: claim.reason });
  const plan = planRegion(rt.config, rt.region);
  const report = await runPass({
    config: rt.config,
    region: rt.region,
    tick,
    shard,
    paceMs: plan.paceMs,
    concurrency: plan.maxInFlight,
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
    // The RunnerHealth value this pass sent: its share of the region, 0 when any result was not stored.
    heartbeat: report.runnerHealthy ? 1 / shard.count : 0,
  };
  logger.info('runner pass done', summary);
  return summary;
}
