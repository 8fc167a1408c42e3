/**
 * The runner Lambda: a thin handler for the per-minute schedule. It reads the validated config
 * shipped in the bundle, runs the checks due in this minute in its own region, writes results
 * to the table replica in its region and metrics to CloudWatch in the home region.
 *
 * Event: `{ "time": "<aws.scheduler.scheduled-time>" }` (EventBridge Scheduler input) or an
 * EventBridge scheduled event (which also carries `time`). Missing/invalid time → now.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { parseConfig } from '../../shared/config/validate';
import type { ValidatedConfig } from '../../shared/config/types';
import { ms } from '../../shared/duration';
import { CloudWatchMetricSink } from '../../shared/metrics/cloudwatch';
import { runPass } from '../../shared/runner/run-pass';
import { BUNDLED_CONFIG_FILE, RUNNER_ENV } from '../../shared/runtime-env';
import { SecretError, trackSecrets, type SecretResolver } from '../../shared/secrets';
import { DynamoResultStore } from '../../shared/store/dynamo-store';
import { lambdaLogger } from '../lib/logger';

const { logger, log } = lambdaLogger('watchpost-runner');

/** Time kept after the probes for writing results and publishing metrics. */
const WRITE_MARGIN_MS = 8_000;

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

/** Secrets Manager in the home region; each secret read once per cold start. */
function secretsManager(region: string): SecretResolver {
  const client = new SecretsManagerClient({ region });
  const cache = new Map<string, Promise<string>>();
  return (name) => {
    let p = cache.get(name);
    if (!p) {
      p = client.send(new GetSecretValueCommand({ SecretId: name })).then(
        (r) => {
          if (r.SecretString === undefined) throw new SecretError(name, `secret "${name}" has no string value`);
          return r.SecretString;
        },
        (e: Error) => {
          cache.delete(name); // a transient failure must not stick for the container's life
          throw new SecretError(name, `cannot read secret "${name}" from Secrets Manager in ${region}: ${e.name}: ${e.message}`);
        },
      );
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
  const table = { client: new DynamoDBClient({ region }), tableName: env(RUNNER_ENV.table) };
  runtime = {
    config,
    region,
    table,
    store: new DynamoResultStore({ ...table, retentionMs: ms(config.retention), log }),
    metrics: new CloudWatchMetricSink({ client: new CloudWatchClient({ region: home }), project: config.project, log }),
    secrets: trackSecrets(secretsManager(home)),
  };
  return runtime;
}

export async function handler(event: { time?: string } | undefined, context: Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'>) {
  const rt = init();
  const parsed = event?.time ? Date.parse(event.time) : NaN;
  const tick = Number.isFinite(parsed) ? parsed : Date.now();
  const deadline = Date.now() + context.getRemainingTimeInMillis() - WRITE_MARGIN_MS;
  logger.appendKeys({ region: rt.region, tick: new Date(tick).toISOString() });
  const report = await runPass({ config: rt.config, region: rt.region, tick, deadline, secrets: rt.secrets, store: rt.store, metrics: rt.metrics, table: rt.table, log });
  const summary = {
    checks: report.results.length,
    failed: report.results.filter((r) => r.status === 'fail').length,
    degraded: report.results.filter((r) => r.status === 'degraded').length,
    written: report.written,
    writeFailures: report.writeFailures,
    published: report.published,
    publishFailures: report.publishFailures,
  };
  logger.info('runner pass done', summary);
  return summary;
}
