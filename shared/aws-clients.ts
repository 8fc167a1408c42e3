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
 * // A caller with no loop of its own: every send retried by shared/retry.ts.
 * const sns = awsClient(SNSClient, { region, retry: AWS_CALL_RETRY });
 */
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { retryOrThrow, type RetryOptions } from './retry';

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
  /** Fixed credentials, for a local endpoint that wants some (the embedded store). @default the SDK's chain */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /**
   * Attempts per `send` inside the SDK. Keep 1 where the caller retries with `shared/retry.ts`;
   * a caller without its own loop may ask for 2–3.
   * @default 1
   */
  maxAttempts?: number;
  /**
   * Wraps the client's `send` in `shared/retry.ts` (the SDK then makes 1 attempt per try): for
   * callers that have no loop of their own. A send still takes `{ abortSignal }`. It throws the
   * SDK's error when it is not retryable, else a `RetryError` (the last error as its cause).
   * @default none (every send is one SDK attempt)
   */
  retry?: SendRetry;
  /** @default AWS_TIMEOUTS.connectMs */
  connectTimeoutMs?: number;
  /** @default AWS_TIMEOUTS.requestMs */
  requestTimeoutMs?: number;
}

/** The retries of a client whose callers have no loop of their own (see {@link AwsClientOptions.retry}). */
export interface SendRetry extends Pick<RetryOptions<unknown>, 'attempts' | 'baseMs' | 'capMs' | 'attemptTimeoutMs'> {
  /** ms since epoch that no attempt may run past, read at each send (e.g. a pass's deadline). @default none */
  deadline?: () => number;
}

/** Three attempts, 100 ms then 200 ms apart (with jitter): a call that has no loop of its own. */
export const AWS_CALL_RETRY: SendRetry = { attempts: 3, baseMs: 100 };

/** What every SDK v3 client constructor accepts of ours. */
export interface AwsClientConfig {
  region?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  maxAttempts: number;
  requestHandler: NodeHttpHandler;
}

/** The client configuration: timeouts on the request handler, SDK attempts, region, endpoint. */
export function awsClientConfig(opts: AwsClientOptions = {}): AwsClientConfig {
  const requestTimeout = opts.requestTimeoutMs ?? AWS_TIMEOUTS.requestMs;
  return {
    ...(opts.region ? { region: opts.region } : {}),
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
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
  const { retry, ...rest } = opts;
  const client = new Client(awsClientConfig(retry ? { ...rest, maxAttempts: 1 } : rest));
  return retry ? withRetries(client, retry) : client;
}

type Send = (command: unknown, options?: { abortSignal?: AbortSignal }) => Promise<unknown>;

/**
 * The same client, its `send` retried by shared/retry.ts (each try aborted at its own limit or
 * the deadline). For a client built on another one (`DynamoDBDocumentClient.from(ddb)` sends
 * through its own `send`), wrap that one; its base client should make 1 SDK attempt.
 */
export function withRetries<C>(client: C, policy: SendRetry): C {
  const target = client as unknown as { send: Send };
  const send = target.send.bind(target);
  const { deadline, ...rest } = policy;
  target.send = (command, options = {}) =>
    retryOrThrow(({ signal }) => send(command, { ...options, abortSignal: signal }), {
      ...rest,
      ...(deadline ? { deadline: deadline() } : {}),
      ...(options.abortSignal ? { signal: options.abortSignal } : {}),
    });
  return client;
}
