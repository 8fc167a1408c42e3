/**
 * The result store on DynamoDB: AWS in the cloud, dynalite (embedded) or DynamoDB Local on a
 * laptop — the same code everywhere. Layout (keys from `table.ts`):
 *
 * - history item, one per run: `pk RUN#<checkId>`, `sk <scheduledAt>#<region>`; flat attributes
 *   `checkId region kind status scheduledAt durationMs errorCode?` for queries and the console,
 *   `expiresAt` (epoch s, TTL) and `result` (the whole CheckResult as JSON, clipped to stay well
 *   under the 400 KB item limit). The key comes from check, region and scheduled time, so
 *   EventBridge's at-least-once delivery rewrites the same item.
 * - latest item, one per check and region: `pk LATEST#<checkId>`, `sk <region>`, with `checkId
 *   region status since consecutiveFailures lastScheduledAt lastResult` (JSON).
 *
 * The result is stored as a JSON string rather than a DynamoDB map: probes put free-form
 * values in `details` and `actual` (empty strings, NaN, huge numbers, nested nulls) that a map
 * encoding rejects or alters, and a string is cheap to measure and clip.
 *
 * Writes never throw: a result that cannot be stored after retries comes back in `failed`
 * with the reason, and the runner logs it whole.
 */
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  QueryCommand,
  ScanCommand,
  type AttributeValue,
  type DynamoDBClient,
  type KeysAndAttributes,
  type QueryCommandInput,
  type ScanCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { silentLog, type Log } from '../log';
import { redact } from '../redact';
import type { CheckResult, CheckStatus } from '../types';
import { MAX_RESULT_BYTES, serializeResult } from './clip';
import { describeError, describeStop, mapLimit, retry, type RetryOptions, type RetryOutcome } from '../retry';
import { historyKey, latestKey, TABLE } from './table';
import type { LatestState, ResultStore, WriteOptions, WriteReport } from './types';

export interface DynamoResultStoreOptions {
  /** A DynamoDB client for the table's region (a document client works too: only low-level commands are sent). */
  client: DynamoDBClient | DynamoDBDocumentClient;
  tableName: string;
  /** How long history is kept: sets `expiresAt` (the table's TTL attribute). */
  retentionMs: number;
  /** @default silent */
  log?: Log;
  /**
   * Attempts per call for throttling, 5xx, timeouts, network errors and unprocessed items
   * (shared/retry.ts). These come on top of the SDK client's own (build the client with
   * `awsClient()` from shared/aws-clients.ts: 1 SDK attempt, timeouts set).
   * @default 5
   */
  maxAttempts?: number;
  /** First retry delay; doubles each retry (with jitter), capped at 2 s. @default 50 */
  retryBaseMs?: number;
  /** One call's time limit; a call past it is aborted and retried. @default 3000 */
  callTimeoutMs?: number;
  /** Batch calls in flight at once. @default 4 */
  concurrency?: number;
  /** Budget of one stored result's JSON; larger results are clipped. @default 65536 */
  maxResultBytes?: number;
}

/** BatchWriteItem takes at most 25 requests, BatchGetItem at most 100 keys. */
const WRITE_BATCH = 25;
const READ_BATCH = 100;
const STATUSES: ReadonlySet<string> = new Set<CheckStatus>(['pass', 'degraded', 'fail']);

type Item = Record<string, AttributeValue>;
type Key = Record<string, AttributeValue>;

interface PendingWrite {
  request: WriteRequest;
  key: string;
  /** Results that count as stored only if this write succeeds. */
  results: CheckResult[];
}

interface StoredState {
  status: CheckStatus;
  since: string;
  consecutiveFailures: number;
  lastScheduledAt: string;
}

const S = (v: string): AttributeValue => ({ S: v });
const N = (v: number): AttributeValue => ({ N: String(v) });
const keyOf = (pk: string, sk: string): Key => ({ [TABLE.partitionKey]: S(pk), [TABLE.sortKey]: S(sk) });
const keyString = (k: Record<string, AttributeValue | undefined>) =>
  `${k[TABLE.partitionKey]?.S}\u0000${k[TABLE.sortKey]?.S}`;
/** ms for ordering; ISO strings from toISOString() also order as strings, but be lenient. */
const timeOf = (iso: string) => Date.parse(iso);
const notBefore = (a: string, b: string) => {
  const ta = timeOf(a);
  const tb = timeOf(b);
  return Number.isNaN(ta) || Number.isNaN(tb) ? a >= b : ta >= tb;
};

function invalid(r: CheckResult): string | undefined {
  if (!r || typeof r !== 'object') return 'invalid result: not an object';
  if (typeof r.checkId !== 'string' || !r.checkId) return 'invalid result: checkId missing';
  if (typeof r.region !== 'string' || !r.region) return 'invalid result: region missing';
  // Key limits: partition key 2048 bytes, sort key 1024 bytes.
  if (Buffer.byteLength(r.checkId) > 2_000) return 'invalid result: checkId longer than 2000 bytes';
  if (Buffer.byteLength(r.region) > 900) return 'invalid result: region longer than 900 bytes';
  if (typeof r.scheduledAt !== 'string' || Number.isNaN(Date.parse(r.scheduledAt)))
    return `invalid result: scheduledAt ${JSON.stringify(r.scheduledAt)} is not a time`;
  if (!STATUSES.has(r.status)) return `invalid result: status ${JSON.stringify(r.status)}`;
  return undefined;
}

export class DynamoResultStore implements ResultStore {
  readonly tableName: string;
  private readonly client: DynamoDBClient;
  private readonly retentionMs: number;
  private readonly log: Log;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly callTimeoutMs: number;
  private readonly concurrency: number;
  private readonly maxResultBytes: number;

  constructor(opts: DynamoResultStoreOptions) {
    if (!(opts.retentionMs > 0) || !Number.isFinite(opts.retentionMs))
      throw new Error(`retentionMs must be a positive number of ms, got ${opts.retentionMs}`);
    // A document client shares the low-level client's stack; low-level commands pass through it unchanged.
    this.client = opts.client as DynamoDBClient;
    this.tableName = opts.tableName;
    this.retentionMs = opts.retentionMs;
    this.log = opts.log ?? silentLog;
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
    this.retryBaseMs = opts.retryBaseMs ?? 50;
    this.callTimeoutMs = opts.callTimeoutMs ?? 3_000;
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
    this.maxResultBytes = opts.maxResultBytes ?? MAX_RESULT_BYTES;
  }

  /**
   * Stores the results; by `opts.deadline` every result is stored or back in `failed` (with why).
   * Reading the latest states may use the first half of the time left, writing the rest.
   */
  async writeResults(input: readonly CheckResult[], opts: WriteOptions = {}): Promise<WriteReport> {
    // The sink redacts: nothing secret is stored, whoever the caller is.
    const results = input.map((r) => redact(r));
    const deadline = opts.deadline ?? Number.POSITIVE_INFINITY;
    // Reads get the first half of the time left: slow reads must not leave history unwritten.
    const readDeadline = Number.isFinite(deadline) ? Date.now() + (deadline - Date.now()) / 2 : deadline;
    const failures = new Map<CheckResult, string>();
    const fail = (r: CheckResult, reason: string) => {
      if (!failures.has(r)) failures.set(r, reason);
    };
    const json = new Map<CheckResult, string>();
    for (const r of results) {
      const problem = invalid(r);
      if (problem) {
        fail(r, problem);
        continue;
      }
      try {
        json.set(r, serializeResult(r, this.maxResultBytes));
      } catch (e) {
        fail(r, `result cannot be serialized: ${(e as Error).message}`);
      }
    }
    const valid = [...json.keys()];

    // History: one item per idempotent key (a duplicate in the same call would be rejected by BatchWriteItem).
    const writes = new Map<string, PendingWrite>();
    for (const r of valid) {
      const item = this.historyItem(r, json.get(r)!);
      const key = keyString(item);
      const prev = writes.get(key);
      writes.set(key, { request: { PutRequest: { Item: item } }, key, results: [...(prev?.results ?? []), r] });
    }

    // Latest state per check and region, from the stored state and this call's results in time order.
    const groups = new Map<string, { key: Key; results: CheckResult[] }>();
    for (const r of valid) {
      const lk = latestKey(r.checkId, r.region);
      const key = keyOf(lk[TABLE.partitionKey], lk[TABLE.sortKey]);
      const k = keyString(key);
      const g = groups.get(k) ?? { key, results: [] };
      g.results.push(r);
      groups.set(k, g);
    }
    const { states, readFailures } = await this.readStates(
      [...groups.values()].map((g) => g.key),
      readDeadline,
    );
    for (const [k, g] of groups) {
      const readFailure = readFailures.get(k);
      if (readFailure) {
        // History is still written (idempotent); the result is reported so it can be replayed.
        for (const r of g.results) fail(r, `latest state not read: ${readFailure}`);
        continue;
      }
      let state = states.get(k);
      const applied: CheckResult[] = [];
      let last: CheckResult | undefined;
      for (const r of [...g.results].sort((a, b) => timeOf(a.scheduledAt) - timeOf(b.scheduledAt))) {
        // Re-delivered or older than what is stored: applying it again would count a failure twice.
        if (state && notBefore(state.lastScheduledAt, r.scheduledAt)) continue;
        state = {
          status: r.status,
          since: state && state.status === r.status ? state.since : r.scheduledAt,
          consecutiveFailures: r.status === 'fail' ? (state?.consecutiveFailures ?? 0) + 1 : 0,
          lastScheduledAt: r.scheduledAt,
        };
        applied.push(r);
        last = r;
      }
      if (state && last)
        writes.set(k, {
          request: { PutRequest: { Item: this.latestItem(g.key, last, state, json.get(last)!) } },
          key: k,
          results: applied,
        });
    }

    const batches: PendingWrite[][] = [];
    const all = [...writes.values()];
    for (let i = 0; i < all.length; i += WRITE_BATCH) batches.push(all.slice(i, i + WRITE_BATCH));
    const outcomes = await mapLimit(batches, this.concurrency, (b) => this.writeBatch(b, deadline));
    for (const failed of outcomes)
      for (const { write, reason } of failed) for (const r of write.results) fail(r, reason);

    const failed = results.filter((r) => failures.has(r)).map((result) => ({ result, reason: failures.get(result)! }));
    if (failed.length)
      this.log.warn('results not stored', {
        table: this.tableName,
        failed: failed.length,
        of: results.length,
        reason: failed[0]!.reason,
      });
    return { written: results.length - failed.length, failed };
  }

  async history(checkId: string, opts: { limit?: number; region?: string } = {}): Promise<CheckResult[]> {
    const limit = Math.max(0, Math.floor(opts.limit ?? 20));
    if (limit === 0) return [];
    const region = opts.region;
    const out: CheckResult[] = [];
    const input: QueryCommandInput = {
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: {
        '#pk': TABLE.partitionKey,
        '#result': 'result',
        ...(region ? { '#region': 'region' } : {}),
      },
      ExpressionAttributeValues: {
        ':pk': S(historyKey(checkId, '', '')[TABLE.partitionKey]),
        ...(region ? { ':region': S(region) } : {}),
      },
      ...(region ? { FilterExpression: '#region = :region' } : {}),
      ProjectionExpression: '#result',
      ScanIndexForward: false,
    };
    let start: Key | undefined;
    do {
      // With a region filter a page holds runs of every region: read more per page than we need.
      const want = limit - out.length;
      const Limit = region ? Math.min(1_000, Math.max(50, want * 4)) : want;
      const cmd = new QueryCommand({ ...input, Limit, ExclusiveStartKey: start });
      const res = await this.read((signal) => this.client.send(cmd, { abortSignal: signal }));
      for (const item of res.Items ?? []) {
        const r = this.parseJson<CheckResult>(item.result, 'history item');
        if (r) out.push(r);
        if (out.length >= limit) break;
      }
      start = res.LastEvaluatedKey;
    } while (start && out.length < limit);
    return out;
  }

  async latest(checkIds?: readonly string[]): Promise<LatestState[]> {
    let items: Item[];
    if (checkIds) {
      const ids = [...new Set(checkIds)];
      const perId = await mapLimit(ids, 8, (id) =>
        this.readAll('query', {
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
          ExpressionAttributeValues: { ':pk': S(latestKey(id, '')[TABLE.partitionKey]) },
        }),
      );
      items = perId.flat();
    } else {
      items = await this.readAll('scan', {
        TableName: this.tableName,
        FilterExpression: 'begins_with(#pk, :prefix)',
        ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
        ExpressionAttributeValues: { ':prefix': S(latestKey('', '')[TABLE.partitionKey]) },
      });
    }
    const out: LatestState[] = [];
    for (const item of items) {
      const lastResult = this.parseJson<CheckResult>(item.lastResult, 'latest item');
      if (!lastResult) continue;
      out.push({
        checkId: item.checkId?.S ?? lastResult.checkId,
        region: item.region?.S ?? lastResult.region,
        status: (item.status?.S ?? lastResult.status) as CheckStatus,
        since: item.since?.S ?? lastResult.scheduledAt,
        consecutiveFailures: Number(item.consecutiveFailures?.N ?? 0),
        lastScheduledAt: item.lastScheduledAt?.S ?? lastResult.scheduledAt,
        lastResult,
      });
    }
    return out.sort((a, b) =>
      a.checkId < b.checkId ? -1 : a.checkId > b.checkId ? 1 : a.region < b.region ? -1 : a.region > b.region ? 1 : 0,
    );
  }

  // ---- items ------------------------------------------------------------------------------

  private historyItem(r: CheckResult, json: string): Item {
    const k = historyKey(r.checkId, r.scheduledAt, r.region);
    const item: Item = {
      ...keyOf(k[TABLE.partitionKey], k[TABLE.sortKey]),
      checkId: S(r.checkId),
      region: S(r.region),
      kind: S(String(r.kind)),
      status: S(r.status),
      scheduledAt: S(r.scheduledAt),
      [TABLE.ttlAttribute]: N(Math.floor((Date.parse(r.scheduledAt) + this.retentionMs) / 1000)),
      result: S(json),
    };
    if (Number.isFinite(r.durationMs)) item.durationMs = N(r.durationMs);
    if (r.error?.code) item.errorCode = S(String(r.error.code));
    return item;
  }

  private latestItem(key: Key, r: CheckResult, state: StoredState, json: string): Item {
    return {
      ...key,
      checkId: S(r.checkId),
      region: S(r.region),
      status: S(state.status),
      since: S(state.since),
      consecutiveFailures: N(state.consecutiveFailures),
      lastScheduledAt: S(state.lastScheduledAt),
      lastResult: S(json),
    };
  }

  private parseJson<T>(v: AttributeValue | undefined, what: string): T | undefined {
    if (v?.S === undefined) return undefined;
    try {
      return JSON.parse(v.S) as T;
    } catch (e) {
      this.log.warn(`unreadable ${what} skipped`, { table: this.tableName, error: (e as Error).message });
      return undefined;
    }
  }

  // ---- calls ------------------------------------------------------------------------------

  private async readAll(op: 'query' | 'scan', input: QueryCommandInput & ScanCommandInput): Promise<Item[]> {
    const items: Item[] = [];
    let start: Key | undefined;
    do {
      const cmd =
        op === 'query'
          ? new QueryCommand({ ...input, ExclusiveStartKey: start })
          : new ScanCommand({ ...input, ExclusiveStartKey: start });
      const res = await this.read((signal) => this.client.send(cmd as QueryCommand, { abortSignal: signal }));
      items.push(...(res.Items ?? []));
      start = res.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** A read with the store's retries and call timeout; throws the last error (readers report it). */
  private async read<T>(send: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const out = await retry(({ signal }) => send(signal), this.policy<T>(Number.POSITIVE_INFINITY));
    if (out.ok) return out.value;
    throw out.error ?? new Error(describeStop(out));
  }

  /** Stored latest states by key string; keys that could not be read after retries, with why. */
  private async readStates(
    keys: Key[],
    deadline: number,
  ): Promise<{ states: Map<string, StoredState>; readFailures: Map<string, string> }> {
    const states = new Map<string, StoredState>();
    const readFailures = new Map<string, string>();
    const chunks: Key[][] = [];
    for (let i = 0; i < keys.length; i += READ_BATCH) chunks.push(keys.slice(i, i + READ_BATCH));
    await mapLimit(chunks, this.concurrency, (chunk) => this.readChunk(chunk, states, readFailures, deadline));
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
        const cmd = new BatchGetItemCommand({ RequestItems: { [this.tableName]: request(pending) } });
        const res = await this.client.send(cmd, { abortSignal: signal });
        for (const item of res.Responses?.[this.tableName] ?? []) {
          if (!item.status?.S || !item.lastScheduledAt?.S) continue;
          states.set(keyString(item), {
            status: item.status.S as CheckStatus,
            since: item.since?.S ?? item.lastScheduledAt.S,
            consecutiveFailures: Number(item.consecutiveFailures?.N ?? 0),
            lastScheduledAt: item.lastScheduledAt.S,
          });
        }
        pending = res.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
        return pending.length;
      },
      { ...this.policy(deadline), again: (left) => left > 0, onRetry: (i) => this.logRetry('BatchGetItem', i) },
    );
    if (out.ok) return;
    // One bad key fails the whole call: isolate it so the other checks' states are read.
    if (out.stop === 'not-retryable' && (out.error as Error)?.name === 'ValidationException' && pending.length > 1) {
      await mapLimit(pending, this.concurrency, (k) => this.readChunk([k], states, readFailures, deadline));
      return;
    }
    const reason = this.failureReason('BatchGetItem', out);
    for (const k of pending) readFailures.set(keyString(k), reason);
  }

  /** Writes up to 25 requests, retrying unprocessed items and retryable errors; returns what still failed. */
  private async writeBatch(
    batch: PendingWrite[],
    deadline: number,
  ): Promise<Array<{ write: PendingWrite; reason: string }>> {
    let pending = batch;
    const out = await retry(
      async ({ signal }) => {
        const cmd = new BatchWriteItemCommand({ RequestItems: { [this.tableName]: pending.map((w) => w.request) } });
        const res = await this.client.send(cmd, { abortSignal: signal });
        const unprocessed = res.UnprocessedItems?.[this.tableName] ?? [];
        const left = new Set(unprocessed.map((u) => keyString(u.PutRequest?.Item ?? u.DeleteRequest?.Key ?? {})));
        pending = pending.filter((w) => left.has(w.key));
        return pending.length;
      },
      { ...this.policy(deadline), again: (left) => left > 0, onRetry: (i) => this.logRetry('BatchWriteItem', i) },
    );
    if (out.ok) return [];
    // One bad item (e.g. a key too long) fails the whole batch: isolate it so the others land.
    if (out.stop === 'not-retryable' && (out.error as Error)?.name === 'ValidationException' && pending.length > 1) {
      const singles = await mapLimit(pending, this.concurrency, (w) => this.writeBatch([w], deadline));
      return singles.flat();
    }
    const reason = this.failureReason('BatchWriteItem', out);
    return pending.map((write) => ({ write, reason }));
  }

  /** The store's retry policy for one call (shared/retry.ts). */
  private policy<T = number>(deadline: number): RetryOptions<T> {
    return { attempts: this.maxAttempts, baseMs: this.retryBaseMs, attemptTimeoutMs: this.callTimeoutMs, deadline };
  }

  private logRetry(op: string, i: { attempt: number; error?: unknown }) {
    const reason = i.error === undefined ? 'unprocessed items (throttled)' : describeError(i.error);
    this.log.debug(`${op} retry`, { table: this.tableName, attempt: i.attempt, reason });
  }

  /** `BatchWriteItem: TimeoutError: no answer within 3000ms (gave up after 5 attempts)`. */
  private failureReason(op: string, out: Exclude<RetryOutcome<number>, { ok: true }>): string {
    const what = out.error === undefined ? `unprocessed by ${op} (throttled)` : `${op}: ${describeError(out.error)}`;
    return out.stop === 'not-retryable' ? what : `${what} (${describeStop(out)})`;
  }
}
