/**
 * The result store's DynamoDB calls, each under the store's retry policy (shared/retry.ts) and
 * within a deadline: batch writes and reads that retry unprocessed items and isolate one bad
 * item, and the conditional put that advances a latest state only forwards in time.
 */
import { randomUUID } from 'node:crypto';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  PutItemCommand,
  type DynamoDBClient,
  type KeysAndAttributes,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import type { Log } from '../log';
import { describeError, describeStop, mapLimit, retry, type RetryOptions, type RetryOutcome } from '../retry';
import type { CheckResult } from '../types';
import { keyString, storedState, type Item, type Key, type StoredState } from './items';
import { TABLE } from './table';

/** BatchWriteItem takes at most 25 requests, BatchGetItem at most 100 keys. */
export const WRITE_BATCH = 25;
const READ_BATCH = 100;

export interface PendingWrite {
  request: WriteRequest;
  key: string;
  /** Results that count as stored only if this write succeeds. */
  results: CheckResult[];
}

export interface TableCallsOptions {
  client: DynamoDBClient;
  tableName: string;
  log: Log;
  maxAttempts: number;
  retryBaseMs: number;
  callTimeoutMs: number;
  concurrency: number;
}

/** Attribute of a latest-state item: the token of the put that stored it. */
const WRITER = 'writer';

/** A put refused by its condition: someone stored a state at least as new first. */
export const SUPERSEDED = Symbol('superseded');

export class TableCalls {
  constructor(private readonly o: TableCallsOptions) {}

  /** The store's retry policy for one call. */
  policy<T = number>(deadline: number): RetryOptions<T> {
    const { maxAttempts: attempts, retryBaseMs: baseMs, callTimeoutMs: attemptTimeoutMs } = this.o;
    return { attempts, baseMs, attemptTimeoutMs, deadline };
  }

  /** A read with the store's retries and call timeout; throws the last error (readers report it). */
  async read<T>(send: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const out = await retry(({ signal }) => send(signal), this.policy<T>(Number.POSITIVE_INFINITY));
    if (out.ok) return out.value;
    throw out.error ?? new Error(describeStop(out));
  }

  /** Stored latest states by key string; keys that could not be read after retries, with why. */
  async readStates(
    keys: Key[],
    deadline: number,
  ): Promise<{ states: Map<string, StoredState>; readFailures: Map<string, string> }> {
    const states = new Map<string, StoredState>();
    const readFailures = new Map<string, string>();
    const chunks: Key[][] = [];
    for (let i = 0; i < keys.length; i += READ_BATCH) chunks.push(keys.slice(i, i + READ_BATCH));
    await mapLimit(chunks, this.o.concurrency, (chunk) => this.readChunk(chunk, states, readFailures, deadline));
    return { states, readFailures };
  }

  /** One BatchGetItem (≤ 100 keys) with retries of unprocessed keys and retryable errors. */
  private async readChunk(
    chunk: Key[],
    states: Map<string, StoredState>,
    readFailures: Map<string, string>,
    deadline: number,
  ): Promise<void> {
    let pending = chunk;
    const { tableName } = this.o;
    const request = (keys: Key[]): KeysAndAttributes => ({
      Keys: keys,
      ConsistentRead: true,
      ProjectionExpression: '#pk, #sk, #status, #since, #cf, #last',
      ExpressionAttributeNames: {
        '#pk': TABLE.partitionKey,
        '#sk': TABLE.sortKey,
        '#status': 'status',
        '#since': 'since',
        '#cf': 'consecutiveFailures',
        '#last': 'lastScheduledAt',
      },
    });
    const out = await retry(
      async ({ signal }) => {
        const cmd = new BatchGetItemCommand({ RequestItems: { [tableName]: request(pending) } });
        const res = await this.o.client.send(cmd, { abortSignal: signal });
        for (const item of res.Responses?.[tableName] ?? []) {
          const state = storedState(item);
          if (state) states.set(keyString(item), state);
        }
        pending = res.UnprocessedKeys?.[tableName]?.Keys ?? [];
        return pending.length;
      },
      { ...this.policy(deadline), again: (left) => left > 0, onRetry: (i) => this.logRetry('BatchGetItem', i) },
    );
    if (out.ok) return;
    // One bad key fails the whole call: isolate it so the other checks' states are read.
    if (out.stop === 'not-retryable' && (out.error as Error)?.name === 'ValidationException' && pending.length > 1) {
      await mapLimit(pending, this.o.concurrency, (k) => this.readChunk([k], states, readFailures, deadline));
      return;
    }
    const reason = this.failureReason('BatchGetItem', out);
    for (const k of pending) readFailures.set(keyString(k), reason);
  }

  /** Writes up to 25 requests, retrying unprocessed items and retryable errors; returns what still failed. */
  async writeBatch(batch: PendingWrite[], deadline: number): Promise<Array<{ write: PendingWrite; reason: string }>> {
    let pending = batch;
    const { tableName } = this.o;
    const out = await retry(
      async ({ signal }) => {
        const cmd = new BatchWriteItemCommand({ RequestItems: { [tableName]: pending.map((w) => w.request) } });
        const res = await this.o.client.send(cmd, { abortSignal: signal });
        const unprocessed = res.UnprocessedItems?.[tableName] ?? [];
        const left = new Set(unprocessed.map((u) => keyString(u.PutRequest?.Item ?? u.DeleteRequest?.Key ?? {})));
        pending = pending.filter((w) => left.has(w.key));
        return pending.length;
      },
      { ...this.policy(deadline), again: (left) => left > 0, onRetry: (i) => this.logRetry('BatchWriteItem', i) },
    );
    if (out.ok) return [];
    // One bad item (e.g. a key too long) fails the whole batch: isolate it so the others land.
    if (out.stop === 'not-retryable' && (out.error as Error)?.name === 'ValidationException' && pending.length > 1) {
      const singles = await mapLimit(pending, this.o.concurrency, (w) => this.writeBatch([w], deadline));
      return singles.flat();
    }
    const reason = this.failureReason('BatchWriteItem', out);
    return pending.map((write) => ({ write, reason }));
  }

  /**
   * Puts a latest-state item only if the stored one is older (or absent): of two invocations
   * storing the same minute at once, exactly one wins, so exactly one publishes its metrics.
   * The item carries a token of this put: a retry whose first attempt landed unseen (its answer
   * timed out) finds its own token and still counts as stored.
   * Resolves to undefined (stored), {@link SUPERSEDED}, or the reason it failed.
   */
  async putLatest(item: Item, deadline: number): Promise<undefined | typeof SUPERSEDED | string> {
    const token = randomUUID();
    const cmd = new PutItemCommand({
      TableName: this.o.tableName,
      Item: { ...item, [WRITER]: { S: token } },
      ConditionExpression: 'attribute_not_exists(#pk) OR #last < :last',
      ExpressionAttributeNames: { '#pk': TABLE.partitionKey, '#last': 'lastScheduledAt' },
      ExpressionAttributeValues: { ':last': item.lastScheduledAt! },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    const out = await retry(({ signal }) => this.o.client.send(cmd, { abortSignal: signal }), {
      ...this.policy<unknown>(deadline),
      onRetry: (i) => this.logRetry('PutItem', i),
    });
    if (out.ok) return undefined;
    const e = out.error as (Error & { Item?: Item }) | undefined;
    if (e?.name === 'ConditionalCheckFailedException') return e.Item?.[WRITER]?.S === token ? undefined : SUPERSEDED;
    return this.failureReason('PutItem', out);
  }

  private logRetry(op: string, i: { attempt: number; error?: unknown }) {
    const reason = i.error === undefined ? 'unprocessed items (throttled)' : describeError(i.error);
    this.o.log.debug(`${op} retry`, { table: this.o.tableName, attempt: i.attempt, reason });
  }

  /** `BatchWriteItem: TimeoutError: no answer within 3000ms (gave up after 5 attempts)`. */
  private failureReason(op: string, out: Exclude<RetryOutcome<unknown>, { ok: true }>): string {
    const what = out.error === undefined ? `unprocessed by ${op} (throttled)` : `${op}: ${describeError(out.error)}`;
    return out.stop === 'not-retryable' ? what : `${what} (${describeStop(out)})`;
  }
}
