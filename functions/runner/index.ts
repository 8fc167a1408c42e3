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
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { awsClient } from '../../shared/aws-clients';
import { parseConfig } from '../../shared/config/validate';
import type { ValidatedConfig } from '../../shared/config/types';
import { ms } from '../../shared/duration';
import { CloudWatchMetricSink } from '../../shared/metrics/cloudwatch';
import { describeError, describeStop, retry } from '../../shared/retry';
import { passBudget } from '../../shared/runner/budget';
import { runPass } from '../../shared/runner/run-pass';
import { BUNDLED_CONFIG_FILE, RUNNER_ENV } from '../../shared/runtime-env';
import { SecretError, trackSecrets, type SecretResolver } from '../../shared/secrets';
import { DynamoResultStore } from '../../shared/store/dynamo-store';
import { lambdaLogger } from '../lib/logger';

const { logger, log } = lambdaLogger('watchpost-runner');

/** Secret reads: a few short attempts, all within the probes' phase of the pass. */
const SECRET_RETRY = { attempts: 3, baseMs: 100, attemptTimeoutMs: 3_000 } as const;

/** The probes' deadline of the pass in progress (secret reads may not outlive it). */
let probesDeadline = Number.POSITIVE_INFINITY;

interface Runtime {
  config: ValidatedConfig;
  table: { client: DynamoDBClient; tableName: string };
  region: string;
  store: DynamoResultStore;
  metrics: CloudWatchMetricSink;
  secrets: SecretResolver;
}

let runtime: Runtime | undefined;

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set (the CDK app sets it)`);
  return v;
}

/** Secrets Manager in the home region; each secret read once per cold start, within the pass's budget. */
function secretsManager(region: string): SecretResolver {
  const client = awsClient(SecretsManagerClient, { region });
  const cache = new Map<string, Promise<string>>();
  const read = async (name: string): Promise<string> => {
    const cmd = new GetSecretValueCommand({ SecretId: name });
    const send = ({ signal }: { signal: AbortSignal }) => client.send(cmd, { abortSignal: signal });
    const out = await retry(send, { ...SECRET_RETRY, deadline: probesDeadline });
    if (!out.ok) {
      const why = out.error === undefined ? describeStop(out) : `${describeError(out.error)} (${describeStop(out)})`;
      throw new SecretError(name, `cannot read secret "${name}" from Secrets Manager in ${region}: ${why}`);
    }
    if (out.value.SecretString === undefined) throw new SecretError(name, `secret "${name}" has no string value`);
    return out.value.SecretString;
  };
  return (name) => {
    let p = cache.get(name);
    if (!p) {
      // A failure must not stick for the container's life: the next pass reads again.
      p = read(name).catch((e: unknown) => {
        cache.delete(name);
        throw e;
      });
      cache.set(name, p);
    }
    return p;
  };
}

/** Cold start: config, clients. Kept for the container's life. */
export function init(): Runtime {
  if (runtime) return runtime;
  // Relative to the bundle root (LAMBDA_TASK_ROOT), where the CDK app puts it.
  const file = resolve(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), process.env[RUNNER_ENV.configFile] ?? BUNDLED_CONFIG_FILE);
  const config = parseConfig(JSON.parse(readFileSync(file, 'utf8')), file);
  const region = env('AWS_REGION');
  const home = process.env[RUNNER_ENV.homeRegion] ?? config.homeRegion;
  const tableName = env(RUNNER_ENV.table);
  runtime = {
    config,
    region,
    // Kinds that read stored state (heartbeat pings) have no retry loop of their own: one SDK retry.
    table: { client: awsClient(DynamoDBClient, { region, maxAttempts: 2 }), tableName },
    // The store retries itself (shared/retry.ts): 1 SDK attempt, so retries do not stack.
    store: new DynamoResultStore({
      client: awsClient(DynamoDBClient, { region }),
      tableName,
      retentionMs: ms(config.retention),
      log,
    }),
    metrics: new CloudWatchMetricSink({ client: awsClient(CloudWatchClient, { region: home }), project: config.project, log }),
    secrets: trackSecrets(secretsManager(home)),
  };
  return runtime;
}

export async function handler(event: { time?: string } | undefined, context: Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'>) {
  const rt = init();
  const parsed = event?.time ? Date.parse(event.time) : NaN;
  const tick = Number.isFinite(parsed) ? parsed : Date.now();
  const budget = passBudget(Date.now(), context.getRemainingTimeInMillis());
  probesDeadline = budget.probes;
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
    log,
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
