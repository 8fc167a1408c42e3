/**
 * Heartbeat pings in the results table (same table as results, own key prefix), written by the
 * ping endpoint (Lambda function URL in AWS, `startPingServer` locally) and read by the
 * heartbeat check's run. Works against DynamoDB and the embedded dynalite store alike.
 *
 * Layout (keys from `shared/store/table.ts`: `pk`, `sk`, TTL `expiresAt`):
 * - state, one per check: pk `PING#<checkId>`, sk `STATE` — epoch-ms numbers
 *   `lastSuccessAt lastFailAt lastStartAt openStartAt lastSignal lastSignalAt lastDurationMs
 *   lastRunEndedAt lastRunSignal pings`. `openStartAt` is set by `/start` and removed by the
 *   run's end (`/ping/<id>` or `/fail`), which records `lastDurationMs`. No TTL: it is the state.
 * - event, one per ping: pk `PING#<checkId>`, sk `EVENT#<ISO time>#<nonce>` with `signal at
 *   durationMs? bodyBytes body?` (first 1 KiB of the request body as text) and `expiresAt`
 *   (epoch s, the config's retention) — an audit trail for people ("when did it ping?").
 *
 * Nothing else in the table starts with `PING#`, so result queries (`RUN#`, `LATEST#`) never see these.
 */
import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { redactText } from '../../redact';
import { TABLE } from '../../store/table';

/** What a ping says: the job finished well (`/ping/<id>`), started, or failed. */
export type PingSignal = 'success' | 'start' | 'fail';

/** The stored state of one heartbeat check. Times are epoch ms. */
export interface PingState {
  checkId: string;
  lastSignal?: PingSignal;
  lastSignalAt?: number;
  /** Last `/ping/<id>`: what `period` counts from. */
  lastSuccessAt?: number;
  lastFailAt?: number;
  lastStartAt?: number;
  /** Start of a run that has not ended yet. */
  openStartAt?: number;
  /** Duration of the last run that had a start and ended. */
  lastDurationMs?: number;
  lastRunEndedAt?: number;
  /** How the last measured run ended. */
  lastRunSignal?: 'success' | 'fail';
  /** Signals received, all kinds. */
  pings?: number;
  /** When the check first looked for pings: a new check waits `period + grace` from here before it fails. */
  watchedSince?: number;
  /**
   * Length of the stored token when the endpoint last refused a ping because the token is shorter
   * than the minimum (the runner never reads tokens: the endpoint tells it through here).
   */
  shortTokenLength?: number;
}

/** One stored ping, newest first from {@link PingStore.events}. */
export interface PingEvent {
  checkId: string;
  signal: PingSignal;
  /** epoch ms */
  at: number;
  durationMs?: number;
  bodyBytes: number;
  /** First 1 KiB of the body as text. */
  body?: string;
}

export const PING_PREFIX = 'PING#';
export const pingStateKey = (checkId: string) => ({
  [TABLE.partitionKey]: `${PING_PREFIX}${checkId}`,
  [TABLE.sortKey]: 'STATE',
});
export const pingEventKey = (checkId: string, at: number, nonce: string) => ({
  [TABLE.partitionKey]: `${PING_PREFIX}${checkId}`,
  [TABLE.sortKey]: `EVENT#${new Date(at).toISOString()}#${nonce}`,
});

/** Bytes of a ping body kept in its event item. */
export const STORED_BODY_BYTES = 1024;
const DAY = 86_400_000;

export interface PingStoreOptions {
  /** A client for the table's region; a plain DynamoDBClient is wrapped in a document client. */
  client: DynamoDBClient | DynamoDBDocumentClient;
  tableName: string;
  /** How long ping events are kept (`expiresAt`). @default 30 days */
  retentionMs?: number;
}

const STATE_FIELDS = [
  'shortTokenLength',
  'lastSignal',
  'lastSignalAt',
  'lastSuccessAt',
  'lastFailAt',
  'lastStartAt',
  'openStartAt',
  'lastDurationMs',
  'lastRunEndedAt',
  'lastRunSignal',
  'pings',
  'watchedSince',
] as const;

function toState(checkId: string, item: Record<string, unknown> | undefined): PingState | undefined {
  if (!item) return undefined;
  const state: PingState = { checkId };
  for (const f of STATE_FIELDS)
    if (item[f] !== undefined && item[f] !== null) (state as unknown as Record<string, unknown>)[f] = item[f];
  return state;
}

export class PingStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly retentionMs: number;

  constructor(opts: PingStoreOptions) {
    this.doc =
      opts.client instanceof DynamoDBDocumentClient
        ? opts.client
        : DynamoDBDocumentClient.from(opts.client as DynamoDBClient, {
            marshallOptions: { removeUndefinedValues: true },
          });
    this.tableName = opts.tableName;
    this.retentionMs = opts.retentionMs ?? 30 * DAY;
  }

  /**
   * Records one ping: updates the state atomically, then stores the event (with the run's
   * duration when this ping ends a run that had a start). Throws when the table cannot be written.
   */
  async record(
    checkId: string,
    signal: PingSignal,
    opts: { at?: number; body?: Uint8Array | string; abortSignal?: AbortSignal } = {},
  ): Promise<{ state: PingState; durationMs?: number }> {
    const at = opts.at ?? Date.now();
    const names: Record<string, string> = {
      '#sig': 'lastSignal',
      '#sigAt': 'lastSignalAt',
      '#pings': 'pings',
      '#id': 'checkId',
      '#open': 'openStartAt',
      '#short': 'shortTokenLength',
    };
    const values: Record<string, unknown> = { ':sig': signal, ':at': at, ':one': 1, ':id': checkId };
    const set = ['#sig = :sig', '#sigAt = :at', '#id = :id'];
    let remove = '';
    if (signal === 'start') {
      names['#start'] = 'lastStartAt';
      set.push('#start = :at', '#open = :at');
    } else {
      names['#end'] = signal === 'success' ? 'lastSuccessAt' : 'lastFailAt';
      set.push('#end = :at');
      remove = ' REMOVE #open';
    }
    const res = await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: pingStateKey(checkId),
        // An accepted ping proves the token is long enough now: clear a refusal mark.
        UpdateExpression: `SET ${set.join(', ')} ADD #pings :one REMOVE ${remove ? '#open, ' : ''}#short`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
      { abortSignal: opts.abortSignal },
    );
    const state = toState(checkId, res.Attributes)!;

    // The run's duration: from the start this ping closes. ALL_NEW no longer has openStartAt,
    // so read the start from the previous state via lastStartAt (set by the same start).
    let durationMs: number | undefined;
    if (signal !== 'start' && state.lastStartAt !== undefined && this.closedRun(state, at)) {
      durationMs = Math.max(0, at - state.lastStartAt);
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: pingStateKey(checkId),
            UpdateExpression: 'SET #dur = :dur, #ended = :at, #how = :how',
            // A newer run's end wins over this one when two ends race.
            ConditionExpression: 'attribute_not_exists(#ended) OR #ended <= :at',
            ExpressionAttributeNames: { '#dur': 'lastDurationMs', '#ended': 'lastRunEndedAt', '#how': 'lastRunSignal' },
            ExpressionAttributeValues: { ':dur': durationMs, ':at': at, ':how': signal },
          }),
          { abortSignal: opts.abortSignal },
        );
        state.lastDurationMs = durationMs;
        state.lastRunEndedAt = at;
        state.lastRunSignal = signal;
      } catch (e) {
        if ((e as { name?: string }).name !== 'ConditionalCheckFailedException') throw e;
      }
    }

    const bodyBuf =
      opts.body === undefined
        ? undefined
        : typeof opts.body === 'string'
          ? Buffer.from(opts.body)
          : Buffer.from(opts.body);
    const event: Record<string, unknown> = {
      ...pingEventKey(checkId, at, randomBytes(4).toString('hex')),
      checkId,
      signal,
      at,
      bodyBytes: bodyBuf?.length ?? 0,
      [TABLE.ttlAttribute]: Math.floor((at + this.retentionMs) / 1000),
    };
    if (durationMs !== undefined) event.durationMs = durationMs;
    if (bodyBuf?.length) event.body = redactText(bodyBuf.subarray(0, STORED_BODY_BYTES).toString('utf8'));
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: event }), { abortSignal: opts.abortSignal });
    return durationMs === undefined ? { state } : { state, durationMs };
  }

  /**
   * Whether the end at `at` closes the run begun at `lastStartAt`: that start came after the
   * previous end of a run (else there was no open run, e.g. a plain `/ping` without `/start`).
   */
  private closedRun(state: PingState, at: number): boolean {
    const start = state.lastStartAt!;
    if (start > at) return false;
    const ended = state.lastRunEndedAt;
    return ended === undefined || start > ended;
  }

  /**
   * Marks (length) or clears (undefined) a refused short token, so the check can say why no
   * ping arrives. One small write per refused ping; the endpoint's limits bound how many.
   */
  async markShortToken(checkId: string, length: number | undefined): Promise<void> {
    const set = length === undefined ? 'REMOVE #s' : 'SET #s = :len, #id = :id';
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: pingStateKey(checkId),
        UpdateExpression: set,
        ExpressionAttributeNames:
          length === undefined ? { '#s': 'shortTokenLength' } : { '#s': 'shortTokenLength', '#id': 'checkId' },
        ...(length === undefined ? {} : { ExpressionAttributeValues: { ':len': length, ':id': checkId } }),
      }),
    );
  }

  /** The state of a check, or `undefined` when it never pinged. Strongly consistent read. */
  async state(checkId: string, abortSignal?: AbortSignal): Promise<PingState | undefined> {
    const res = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: pingStateKey(checkId), ConsistentRead: true }),
      { abortSignal },
    );
    return toState(checkId, res.Item);
  }

  /**
   * The state, recording when the check started watching if it never did (one write per new
   * check, none afterwards). Strongly consistent.
   */
  async stateWatched(checkId: string, now: number, abortSignal?: AbortSignal): Promise<PingState> {
    const state = await this.state(checkId, abortSignal);
    if (state?.watchedSince !== undefined) return state;
    const res = await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: pingStateKey(checkId),
        UpdateExpression: 'SET #w = if_not_exists(#w, :now), #id = :id',
        ExpressionAttributeNames: { '#w': 'watchedSince', '#id': 'checkId' },
        ExpressionAttributeValues: { ':now': now, ':id': checkId },
        ReturnValues: 'ALL_NEW',
      }),
      { abortSignal },
    );
    return toState(checkId, res.Attributes)!;
  }

  /** The newest ping events of a check, newest first. */
  async events(checkId: string, limit = 20, abortSignal?: AbortSignal): Promise<PingEvent[]> {
    const res = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :ev)',
        ExpressionAttributeNames: { '#pk': TABLE.partitionKey, '#sk': TABLE.sortKey },
        ExpressionAttributeValues: { ':pk': `${PING_PREFIX}${checkId}`, ':ev': 'EVENT#' },
        ScanIndexForward: false,
        Limit: limit,
      }),
      { abortSignal },
    );
    return (res.Items ?? []).map((i) => {
      const e: PingEvent = {
        checkId,
        signal: i.signal as PingSignal,
        at: i.at as number,
        bodyBytes: (i.bodyBytes as number) ?? 0,
      };
      if (typeof i.durationMs === 'number') e.durationMs = i.durationMs;
      if (typeof i.body === 'string') e.body = i.body;
      return e;
    });
  }
}
