/**
 * The one way watchpost builds an AWS SDK client: connection and request timeouts on every
 * call (an endpoint that accepts and never answers ends as a TimeoutError, not a hung Lambda),
 * and SDK retries off by default because callers retry with `shared/retry.ts` (retries must not
 * stack: 3 SDK attempts under 4 of ours is 12 calls and a blown budget).
 *
 * The SDK still honours `AWS_ENDPOINT_URL_<SERVICE>` (tests point clients at loopback with it).
 *
 * @example
 * const ddb = awsClient(DynamoDBClient, { region });
 * await ddb.send(cmd, { abortSignal: attempt.signal });
 */
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Timeouts every client gets unless told otherwise. */
export const AWS_TIMEOUTS = {
  /** TCP (and TLS) connection set-up. */
  connectMs: 3_000,
  /** From sending the request to the end of the response. */
  requestMs: 5_000,
} as const;

export interface AwsClientOptions {
  /** @default the SDK's (AWS_REGION) */
  region?: string;
  /** An explicit endpoint (e.g. a queue URL's origin outside AWS). @default the SDK's */
  endpoint?: string;
  /**
   * Attempts per `send` inside the SDK. Keep 1 where the caller retries with `shared/retry.ts`;
   * a caller without its own loop may ask for 2–3.
   * @default 1
   */
  maxAttempts?: number;
  /** @default AWS_TIMEOUTS.connectMs */
  connectTimeoutMs?: number;
  /** @default AWS_TIMEOUTS.requestMs */
  requestTimeoutMs?: number;
}

/** What every SDK v3 client constructor accepts of ours. */
export interface AwsClientConfig {
  region?: string;
  endpoint?: string;
  maxAttempts: number;
  requestHandler: NodeHttpHandler;
}

/** The client configuration: timeouts on the request handler, SDK attempts, region, endpoint. */
export function awsClientConfig(opts: AwsClientOptions = {}): AwsClientConfig {
  const requestTimeout = opts.requestTimeoutMs ?? AWS_TIMEOUTS.requestMs;
  return {
    ...(opts.region ? { region: opts.region } : {}),
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    maxAttempts: Math.max(1, opts.maxAttempts ?? 1),
    requestHandler: new NodeHttpHandler({
      connectionTimeout: opts.connectTimeoutMs ?? AWS_TIMEOUTS.connectMs,
      requestTimeout,
      // Without it the handler only warns when requestTimeout passes and keeps waiting.
      throwOnRequestTimeout: true,
      // A socket silent for as long as a whole request may take is dead.
      socketTimeout: requestTimeout,
    }),
  };
}

/**
 * A new SDK client with watchpost's timeouts and retry settings.
 * @example const sm = awsClient(SecretsManagerClient, { region: home });
 */
export function awsClient<C>(Client: new (config: AwsClientConfig) => C, opts: AwsClientOptions = {}): C {
  return new Client(awsClientConfig(opts));
}
