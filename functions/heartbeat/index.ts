/**
 * The heartbeat ping endpoint behind a Lambda function URL (auth NONE: the per-check token
 * authenticates). A thin adapter: parse the function URL event, call `handlePing`, return.
 *
 * Bundle root: `index.mjs` and `watchpost.config.json` (the validated config; it holds secret
 * references, never values). Environment: see `HEARTBEAT_ENV`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { awsClient } from '../../shared/aws-clients';
import type { ValidatedConfig } from '../../shared/config/types';
import { jsonLog } from '../../shared/log';
import {
  cachedSecrets,
  handlePing,
  heartbeatTokens,
  MAX_PING_BODY_BYTES,
  type PingDeps,
} from '../../shared/probes/heartbeat/endpoint';
import { PingLimits } from '../../shared/probes/heartbeat/limits';
import { HEARTBEAT_ENV } from '../../shared/probes/heartbeat/lambda-env';
import { PingStore } from '../../shared/probes/heartbeat/ping-store';
import { BUNDLED_CONFIG_FILE } from '../../shared/runtime-env';
import { SecretError, trackSecrets, type SecretResolver } from '../../shared/secrets';

/** The token secret's value is the token itself (plain text). */
export function secretsManagerResolver(client: SecretsManagerClient): SecretResolver {
  return async (name) => {
    const res = await client.send(new GetSecretValueCommand({ SecretId: name }));
    if (typeof res.SecretString !== 'string' || res.SecretString === '') throw new SecretError(name, `secret "${name}" has no string value`);
    return res.SecretString;
  };
}

function init(): PingDeps {
  const tableName = process.env[HEARTBEAT_ENV.table];
  if (!tableName) throw new Error(`${HEARTBEAT_ENV.table} is not set`);
  const file = join(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), process.env[HEARTBEAT_ENV.configFile] ?? BUNDLED_CONFIG_FILE);
  const config = JSON.parse(readFileSync(file, 'utf8')) as ValidatedConfig;
  const days = Number(process.env[HEARTBEAT_ENV.retentionDays] ?? '30');
  return {
    checks: heartbeatTokens(config),
    // Secrets Manager is billed per call: a warm instance keeps tokens 5 minutes (the delay for a rotation).
    secrets: cachedSecrets(trackSecrets(secretsManagerResolver(awsClient(SecretsManagerClient, { maxAttempts: 2 }))), 300_000),
    store: new PingStore({
      client: awsClient(DynamoDBClient, { maxAttempts: 3 }),
      tableName,
      retentionMs: (Number.isFinite(days) && days > 0 ? days : 30) * 86_400_000,
    }),
    // Per instance; reserved concurrency caps the instances, so it caps the rates too.
    limits: new PingLimits(),
    log: jsonLog({ service: 'watchpost-heartbeat' }),
  };
}

/** The body, decoded only when it is within the cap (a reject must stay cheap, whatever was sent). */
function eventBody(event: LambdaFunctionURLEvent): string | Uint8Array | undefined {
  if (event.body === undefined || event.body === null) return undefined;
  // base64 holds 3 bytes in 4 characters: past this length it is over the cap for sure.
  const longest = event.isBase64Encoded ? Math.ceil(MAX_PING_BODY_BYTES / 3) * 4 : MAX_PING_BODY_BYTES;
  if (event.body.length > longest) return new Uint8Array(MAX_PING_BODY_BYTES + 1);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : event.body;
}

/** The function URL adapter over any deps (tests pass local ones). */
export function createHandler(getDeps: () => PingDeps) {
  return async (event: LambdaFunctionURLEvent): Promise<LambdaFunctionURLResult> => {
    const res = await handlePing(
      {
        method: event.requestContext.http.method,
        path: event.rawPath,
        headers: event.headers ?? {},
        body: eventBody(event),
        source: event.requestContext.http.sourceIp,
      },
      getDeps(),
    );
    return { statusCode: res.statusCode, headers: res.headers, body: res.body };
  };
}

let deps: PingDeps | undefined;
export const handler = createHandler(() => (deps ??= init()));
