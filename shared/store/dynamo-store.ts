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
 *   region status since consecutiveFailures lastScheduledAt lastResult` (JSON). It is put only
 *   if the stored one is older (a condition), so of two deliveries of the same minute exactly
 *   one is `fresh` (WriteReport): only fresh results are published as metrics.
 *
 * The result is stored as a JSON string rather than a DynamoDB map: probes put free-form
 * values in `details` and `actual` (empty strings, NaN, huge numbers, nested nulls) that a map
 * encoding rejects or alters, and a string is cheap to measure and clip.
 *
 * Writes never throw: a result that cannot be stored after retries comes back in `failed`
 * with the reason, and the runner logs it whole.
 */
import {
  QueryCommand,
  ScanCommand,
  type AttributeValue,
  type DynamoDBClient,
  type QueryCommandInput,
  type ScanCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { silentLog, type Log } from '../log';
import { redact } from '../redact';
import { mapLimit } from '../retry';
import type { CheckResult, CheckStatus } from '../types';
import { MAX_RESULT_BYTES, serializeResult } from './clip';
import { advance, historyItem, invalidResult, keyOf, keyString, latestItem, S, type Item, type Key } from './items';
import { historyKey, latestKey, TABLE } from './table';
import { SUPERSEDED, TableCalls, WRITE_BATCH, type PendingWrite } from './table-calls';
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
  /** Batch calls in flight at once (latest-state puts: four times as many). @default 4 */
  concurrency?: number;
  /** Budget of one stored result's JSON; larger results are clipped. @default 65536 */
  maxResultBytes?: number;
}

export class DynamoResultStore implements ResultStore {
  readonly tableName: string;
  private readonly client: DynamoDBClient;
  private readonly retentionMs: number;
  private readonly log: Log;
  private readonly concurrency: number;
  private readonly maxResultBytes: number;
  private readonly calls: TableCalls;

  constructor(opts: DynamoResultStoreOptions) {
    if (!(opts.retentionMs > 0) || !Number.isFinite(opts.retentionMs))
      throw new Error(`retentionMs must be a positive number of ms, got ${opts.retentionMs}`);
    // A document client shares the low-level client's stack; low-level commands pass through it unchanged.
    this.client = opts.client as DynamoDBClient;
    this.tableName = opts.tableName;
    this.retentionMs = opts.retentionMs;
    this.log = opts.log ?? silentLog;
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
    this.maxResultBytes = opts.maxResultBytes ?? MAX_RESULT_BYTES;
    this.calls = new TableCalls({
      client: this.client,
      tableName: this.tableName,
      log: this.log,
      maxAttempts: Math.max(1, opts.maxAttempts ?? 5),
      retryBaseMs: opts.retryBaseMs ?? 50,
      callTimeoutMs: opts.callTimeoutMs ?? 3_000,
      concurrency: this.concurrency,
    });
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
      const problem = invalidResult(r);
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
      const item = historyItem(r, json.get(r)!, this.retentionMs);
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
    const { states, readFailures } = await this.calls.readStates(
      [...groups.values()].map((g) => g.key),
      readDeadline,
    );
    const latest: Array<{ item: Item; applied: CheckResult[] }> = [];
    for (const [k, g] of groups) {
      const readFailure = readFailures.get(k);
      if (readFailure) {
        // History is still written (idempotent); the result is reported so it can be replayed.
        for (const r of g.results) fail(r, `latest state not read: ${readFailure}`);
        continue;
      }
      const { state, applied } = advance(states.get(k), g.results);
      const last = applied[applied.length - 1];
      if (state && last) latest.push({ item: latestItem(g.key, last, state, json.get(last)!), applied });
    }

    const batches: PendingWrite[][] = [];
    const all = [...writes.values()];
    for (let i = 0; i < all.length; i += WRITE_BATCH) batches.push(all.slice(i, i + WRITE_BATCH));
    const fresh = new Set<CheckResult>();
    const [outcomes] = await Promise.all([
      mapLimit(batches, this.concurrency, (b) => this.calls.writeBatch(b, deadline)),
      mapLimit(latest, this.concurrency * 4, async ({ item, applied }) => {
        const out = await this.calls.putLatest(item, deadline);
        if (out === undefined) for (const r of applied) fresh.add(r);
        else if (out !== SUPERSEDED) for (const r of applied) fail(r, out);
      }),
    ]);
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
    return {
      written: results.length - failed.length,
      failed,
      fresh: results.filter((r) => fresh.has(r) && !failures.has(r)),
    };
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
      const res = await this.calls.read((signal) => this.client.send(cmd, { abortSignal: signal }));
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

  // ---- reading ----------------------------------------------------------------------------

  private parseJson<T>(v: AttributeValue | undefined, what: string): T | undefined {
    if (v?.S === undefined) return undefined;
    try {
      return JSON.parse(v.S) as T;
    } catch (e) {
      this.log.warn(`unreadable ${what} skipped`, { table: this.tableName, error: (e as Error).message });
      return undefined;
    }
  }

  private async readAll(op: 'query' | 'scan', input: QueryCommandInput & ScanCommandInput): Promise<Item[]> {
    const items: Item[] = [];
    let start: Key | undefined;
    do {
      const cmd =
        op === 'query'
          ? new QueryCommand({ ...input, ExclusiveStartKey: start })
          : new ScanCommand({ ...input, ExclusiveStartKey: start });
      const res = await this.calls.read((signal) => this.client.send(cmd as QueryCommand, { abortSignal: signal }));
      items.push(...(res.Items ?? []));
      start = res.LastEvaluatedKey;
    } while (start);
    return items;
  }
}
