/**
 * The heartbeat ping endpoint behind a Lambda function URL (auth NONE: the per-check token
 * authenticates). A thin adapter: parse the function URL event, call `handlePing`, return.
 *
 * Bundle root: `index.mjs` and `watchpost.config.json` (the validated config; it holds secret
 * references, never values). Environment: see `HEARTBEAT_ENV`.
 */
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { AWS_CALL_RETRY } from '../../shared/aws-clients';
import {
  handlePing,
  heartbeatTokens,
  MAX_PING_BODY_BYTES,
  type PingDeps,
} from '../../shared/probes/heartbeat/endpoint';
import { HEARTBEAT_ENV } from '../../shared/probes/heartbeat/lambda-env';
import { PingLimits } from '../../shared/probes/heartbeat/limits';
import { PingStore } from '../../shared/probes/heartbeat/ping-store';
import { bootstrap, retryingDocumentClient } from '../lib/bootstrap';

/** Cold start (functions/lib/bootstrap.ts): the validated config's heartbeat checks, tokens, ping store. */
function init(): PingDeps {
  const boot = bootstrap({ service: 'watchpost-heartbeat', env: [HEARTBEAT_ENV.table] });
  const days = Number(process.env[HEARTBEAT_ENV.retentionDays] ?? '30');
  return {
    checks: heartbeatTokens(boot.config),
    // A token's secret value is the token itself (plain text), cached like every secret (bootstrap).
    secrets: boot.secrets,
    store: new PingStore({
      client: retryingDocumentClient(boot.region, AWS_CALL_RETRY),
      tableName: boot.env[HEARTBEAT_ENV.table],
      retentionMs: (Number.isFinite(days) && days > 0 ? days : 30) * 86_400_000,
    }),
    // Per instance; reserved concurrency caps the instances, so it caps the rates too.
    limits: new PingLimits(),
    log: boot.log,
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
