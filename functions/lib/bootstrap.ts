/**
 * The one cold start of every watchpost Lambda (runner, notifier, heartbeat endpoint): the
 * environment the CDK app sets, checked at once with one clear error; the validated config from
 * the bundle (one path rule, always validated); the structured logger; and secrets from Secrets
 * Manager, cached for {@link SECRET_MAX_AGE_SECONDS} through Powertools' SecretsProvider over a
 * client from shared/aws-clients.ts (timeouts, retries from shared/retry.ts). Every value read
 * joins the redaction set (shared/redact.ts).
 *
 * @example
 * const boot = bootstrap({ service: 'watchpost-runner', env: [RUNNER_ENV.table] });
 * const table = boot.env[RUNNER_ENV.table];
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from '@aws-lambda-powertools/logger';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClient, withRetries, type SendRetry } from '../../shared/aws-clients';
import type { ValidatedConfig } from '../../shared/config/types';
import { parseConfig } from '../../shared/config/validate';
import type { Log } from '../../shared/log';
import { describeError } from '../../shared/retry';
import { BUNDLED_CONFIG_FILE, LAMBDA_ENV, RUNNER_ENV } from '../../shared/runtime-env';
import { SecretError, trackSecrets, type SecretResolver } from '../../shared/secrets';
import { lambdaLogger } from './logger';

/**
 * How long a warm instance keeps a secret value: a rotated secret (webhook key, heartbeat token,
 * probe credential) is picked up within 5 minutes, and Secrets Manager, billed per call, is asked
 * at most once per secret and instance in that time. The same for every function.
 */
export const SECRET_MAX_AGE_SECONDS = 300;

/** Secret reads: a few short tries (each within the client's timeouts). */
export const SECRET_RETRY: SendRetry = { attempts: 3, baseMs: 100, attemptTimeoutMs: 3_000 };

export interface BootstrapOptions<E extends string> {
  /** The logger's `service`, e.g. `watchpost-runner`. */
  service: string;
  /** Environment variables that must be set (the CDK app sets them); all missing ones are named at once. */
  env: readonly E[];
  /** ms since epoch that secret reads may not run past, read at each read (the runner's probe phase). @default none */
  secretsDeadline?: () => number;
}

export interface Bootstrap<E extends string> {
  /** The validated config shipped in the bundle. */
  config: ValidatedConfig;
  /** The function's own region (`AWS_REGION`). */
  region: string;
  /** Where metrics, topics and secrets live: `WATCHPOST_HOME_REGION`, else the config's. */
  homeRegion: string;
  /** The required environment, by name. */
  env: Readonly<Record<E, string>>;
  logger: Logger;
  log: Log;
  /** Secrets Manager in the home region, cached {@link SECRET_MAX_AGE_SECONDS}; values join the redaction set. */
  secrets: SecretResolver;
}

/**
 * The config file: `WATCHPOST_CONFIG_FILE` (default {@link BUNDLED_CONFIG_FILE}) relative to the
 * bundle root `LAMBDA_TASK_ROOT`, where the CDK app puts it (an absolute path wins: tests).
 */
export function configPath(environment: NodeJS.ProcessEnv = process.env): string {
  const root = environment.LAMBDA_TASK_ROOT ?? process.cwd();
  return resolve(root, environment[LAMBDA_ENV.configFile] ?? BUNDLED_CONFIG_FILE);
}

/** The required variables, or one error that names every missing one. */
export function requireEnv<E extends string>(names: readonly E[], service: string): Record<E, string> {
  const missing = names.filter((n) => !process.env[n]);
  if (missing.length) {
    const list = missing.join(', ');
    const what = `environment variable${missing.length > 1 ? 's' : ''} ${list}`;
    throw new Error(`${service}: ${what} not set (the CDK app sets them)`);
  }
  return Object.fromEntries(names.map((n) => [n, process.env[n]!])) as Record<E, string>;
}

/**
 * Secrets Manager through Powertools' provider (cache with a maximum age); reads of one name in
 * flight at once are shared, failures are not cached.
 */
export function secretsManager(region: string, deadline?: () => number): SecretResolver {
  const client = awsClient(SecretsManagerClient, { region, retry: { ...SECRET_RETRY, deadline } });
  const provider = new SecretsProvider({ awsSdkV3Client: client });
  const inFlight = new Map<string, Promise<string>>();
  const read = async (name: string): Promise<string> => {
    let value: unknown;
    try {
      value = await provider.get(name, { maxAge: SECRET_MAX_AGE_SECONDS });
    } catch (e) {
      const why = describeError((e as Error).cause ?? e);
      throw new SecretError(name, `cannot read secret "${name}" from Secrets Manager in ${region}: ${why}`);
    }
    if (typeof value !== 'string' || value === '') throw new SecretError(name, `secret "${name}" has no string value`);
    return value;
  };
  return trackSecrets((name) => {
    let p = inFlight.get(name);
    if (!p) {
      p = read(name).finally(() => inFlight.delete(name));
      inFlight.set(name, p);
    }
    return p;
  });
}

/**
 * A DynamoDB document client whose sends are retried by shared/retry.ts (1 SDK attempt each):
 * for code without a loop of its own (ping reads and writes).
 */
export function retryingDocumentClient(region: string | undefined, policy: SendRetry): DynamoDBDocumentClient {
  const base = awsClient(DynamoDBClient, region ? { region } : {});
  return withRetries(DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } }), policy);
}

/** Cold start: environment, config, logger, secrets. Throws a clear error when any is unusable. */
export function bootstrap<E extends string>(opts: BootstrapOptions<E>): Bootstrap<E> {
  const { logger, log } = lambdaLogger(opts.service);
  const env = requireEnv(['AWS_REGION' as E, ...opts.env], opts.service);
  const file = configPath();
  const config = parseConfig(JSON.parse(readFileSync(file, 'utf8')), file);
  const homeRegion = process.env[RUNNER_ENV.homeRegion] || config.homeRegion;
  return {
    config,
    region: process.env.AWS_REGION!,
    homeRegion,
    env,
    logger,
    log,
    secrets: secretsManager(homeRegion, opts.secretsDeadline),
  };
}
