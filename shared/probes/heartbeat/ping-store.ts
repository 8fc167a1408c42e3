/**
 * Heartbeat pings in the results table (same table as results, own key prefix), written by the
 * ping endpoint (Lambda function URL in AWS, `startPingServer` locally) and read by the
 * heartbeat check's run. Works against DynamoDB and the embedded dynalite store alike.
 *
 * Layout (keys from `shared/store/table.ts`: `pk`, `sk`, TTL `expiresAt`):
 * - state, one per check: pk `PING#<checkId>`, sk `STATE` — epoch-ms numbers
 *   `lastSuccessAt lastFailAt lastStartAt openStartAt lastSignal lastSignalAt lastDurationMs
 *   lastRunEndedAt lastRunSignal pings lastExitCode lastOutput lastOutputAt openRuns`.
 *   `openStartAt` is set by `/start` and removed by the run's end (`/ping/<id>`, `/fail`,
 *   `/<exit-code>`), which records `lastDurationMs`. No TTL: it is the state.
 * - open run with a run id (`?rid=`), one per started run: pk `PING#<checkId>`, sk `RUN#<rid>`
 *   with `startAt`; deleted by the end with the same rid (which so gets its own start, however
 *   runs overlap); `openRuns` counts them; `expiresAt` 31 days on (the longest `maxRuntime`).
 * - event, one per ping: pk `PING#<checkId>`, sk `EVENT#<ISO time>#<nonce>` with `signal at
 *   durationMs? exitCode? rid? bodyBytes body?` (first 10 KiB of the request body as text,
 *   redacted) and `expiresAt` (epoch s, the config's retention) — an audit trail for people.
 *
 * Nothing else in the table starts with `PING#`, so result queries (`RUN#`, `LATEST#`) never see these.
 */
import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { redactText } from '../../redact';
import { TABLE } from '../../store/table';

import {
  PING_PREFIX,
  pingEventKey,
  pingRunKey,
  pingStateKey,
  STORED_BODY_BYTES,
  type OpenRun,
  type PingEvent,
  type PingOptions,
  type PingSignal,
  type PingState,
} from './ping-types';

export * from './ping-types';

const DAY = 86_400_000;
/** How long a started run with a rid is remembered without its end (the longest `maxRuntime`). */
const OPEN_RUN_MS = 31 * DAY;

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
  'lastExitCode',
  'lastOutput',
  'lastOutputAt',
  'lastOutputBytes',
  'openRuns',
] as const;

/** The kept head of a body, as redacted text. */
function keptBody(body: Uint8Array | string | undefined): { bytes: number; text?: string } {
  if (body === undefined) return { bytes: 0 };
  const buf = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
  if (!buf.length) return { bytes: 0 };
  return { bytes: buf.length, text: redactText(buf.subarray(0, STORED_BODY_BYTES).toString('utf8')) };
}

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
    opts: PingOptions = {},
  ): Promise<{ state: PingState; durationMs?: number }> {
    const at = opts.at ?? Date.now();
    const send = <T>(cmd: unknown) => this.doc.send(cmd as never, { abortSignal: opts.abortSignal }) as Promise<T>;
    const kept = keptBody(opts.body);
    const rid = opts.rid;

    // A run id pairs this end with its own start, whatever ran in between.
    let ridStart: number | undefined;
    let ridNew = false;
    if (rid !== undefined && signal === 'start') {
      try {
        await send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              ...pingRunKey(checkId, rid),
              checkId,
              rid,
              startAt: at,
              [TABLE.ttlAttribute]: Math.floor((at + OPEN_RUN_MS) / 1000),
            },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
          }),
        );
        ridNew = true;
      } catch (e) {
        // The same start sent twice (a retry): counted once.
        if ((e as { name?: string }).name !== 'ConditionalCheckFailedException') throw e;
      }
    } else if (rid !== undefined) {
      const old = await send<{ Attributes?: Record<string, unknown> }>(
        new DeleteCommand({ TableName: this.tableName, Key: pingRunKey(checkId, rid), ReturnValues: 'ALL_OLD' }),
      );
      if (typeof old.Attributes?.startAt === 'number') ridStart = old.Attributes.startAt;
    }

    const names: Record<string, string> = {
      '#sig': 'lastSignal',
      '#sigAt': 'lastSignalAt',
      '#pings': 'pings',
      '#id': 'checkId',
      '#short': 'shortTokenLength',
    };
    const values: Record<string, unknown> = { ':sig': signal, ':at': at, ':one': 1, ':id': checkId };
    const set = ['#sig = :sig', '#sigAt = :at', '#id = :id'];
    const add = ['#pings :one'];
    // An accepted ping proves the token is long enough now: clear a refusal mark.
    const remove = ['#short'];
    if (signal === 'start') {
      names['#start'] = 'lastStartAt';
      set.push('#start = :at');
      if (rid === undefined) {
        names['#open'] = 'openStartAt';
        set.push('#open = :at');
      }
    } else {
      names['#end'] = signal === 'success' ? 'lastSuccessAt' : 'lastFailAt';
      set.push('#end = :at');
      // An end with a rid closes its own run; one without (or with an unknown rid) the plain one.
      if (ridStart === undefined) {
        names['#open'] = 'openStartAt';
        remove.push('#open');
      }
      names['#code'] = 'lastExitCode';
      if (opts.exitCode !== undefined && signal === 'fail') {
        set.push('#code = :code');
        values[':code'] = opts.exitCode;
      } else remove.push('#code');
      names['#out'] = 'lastOutput';
      names['#outAt'] = 'lastOutputAt';
      names['#outBytes'] = 'lastOutputBytes';
      if (kept.text !== undefined) {
        set.push('#out = :out', '#outAt = :at', '#outBytes = :outBytes');
        values[':out'] = kept.text;
        values[':outBytes'] = kept.bytes;
      } else remove.push('#out', '#outAt', '#outBytes');
    }
    if (ridNew || ridStart !== undefined) {
      names['#runs'] = 'openRuns';
      add.push(`#runs ${ridNew ? ':one' : ':minus'}`);
      if (!ridNew) values[':minus'] = -1;
    }
    const res = await send<{ Attributes?: Record<string, unknown> }>(
      new UpdateCommand({
        TableName: this.tableName,
        Key: pingStateKey(checkId),
        UpdateExpression: `SET ${set.join(', ')} ADD ${add.join(', ')} REMOVE ${remove.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    const state = toState(checkId, res.Attributes)!;

    // The run's duration: from its own start (rid), else from the start this ping closes.
    // ALL_NEW no longer has openStartAt, so read that start via lastStartAt (set by the same start).
    let durationMs: number | undefined;
    if (ridStart !== undefined) durationMs = Math.max(0, at - ridStart);
    else if (signal !== 'start' && state.lastStartAt !== undefined && this.closedRun(state, at))
      durationMs = Math.max(0, at - state.lastStartAt);
    if (durationMs !== undefined) {
      try {
        await send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: pingStateKey(checkId),
            UpdateExpression: 'SET #dur = :dur, #ended = :at, #how = :how',
            // A newer run's end wins over this one when two ends race.
            ConditionExpression: 'attribute_not_exists(#ended) OR #ended <= :at',
            ExpressionAttributeNames: { '#dur': 'lastDurationMs', '#ended': 'lastRunEndedAt', '#how': 'lastRunSignal' },
            ExpressionAttributeValues: { ':dur': durationMs, ':at': at, ':how': signal },
          }),
        );
        state.lastDurationMs = durationMs;
        state.lastRunEndedAt = at;
        state.lastRunSignal = signal as 'success' | 'fail';
      } catch (e) {
        if ((e as { name?: string }).name !== 'ConditionalCheckFailedException') throw e;
      }
    }

    const event: Record<string, unknown> = {
      ...pingEventKey(checkId, at, randomBytes(4).toString('hex')),
      checkId,
      signal,
      at,
      bodyBytes: kept.bytes,
      [TABLE.ttlAttribute]: Math.floor((at + this.retentionMs) / 1000),
    };
    if (durationMs !== undefined) event.durationMs = durationMs;
    if (opts.exitCode !== undefined) event.exitCode = opts.exitCode;
    if (rid !== undefined) event.rid = rid;
    if (kept.text !== undefined) event.body = kept.text;
    await send(new PutCommand({ TableName: this.tableName, Item: event }));
    return durationMs === undefined ? { state } : { state, durationMs };
  }

  /** Runs started with a rid that have not ended, oldest first (at most `limit`). */
  async openRuns(checkId: string, limit = 100, abortSignal?: AbortSignal): Promise<OpenRun[]> {
    const items = await this.items(checkId, 'RUN#', { limit, abortSignal, consistent: true });
    return items
      .filter((i) => typeof i.startAt === 'number' && typeof i.rid === 'string')
      .map((i) => ({ rid: i.rid as string, startAt: i.startAt as number }))
      .sort((x, y) => x.startAt - y.startAt);
  }

  /** The items of a check whose sort key starts with `prefix` (`RUN#`, `EVENT#`). */
  private async items(
    checkId: string,
    prefix: string,
    o: { limit: number; abortSignal?: AbortSignal; newestFirst?: boolean; consistent?: boolean },
  ): Promise<Record<string, unknown>[]> {
    const res = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': TABLE.partitionKey, '#sk': TABLE.sortKey },
        ExpressionAttributeValues: { ':pk': `${PING_PREFIX}${checkId}`, ':prefix': prefix },
        ScanIndexForward: !o.newestFirst,
        ...(o.consistent ? { ConsistentRead: true } : {}),
        Limit: o.limit,
      }),
      { abortSignal: o.abortSignal },
    );
    return res.Items ?? [];
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
    const items = await this.items(checkId, 'EVENT#', { limit, abortSignal, newestFirst: true });
    return items.map((i) => {
      const e: PingEvent = {
        checkId,
        signal: i.signal as PingSignal,
        at: i.at as number,
        bodyBytes: (i.bodyBytes as number) ?? 0,
      };
      if (typeof i.durationMs === 'number') e.durationMs = i.durationMs;
      if (typeof i.body === 'string') e.body = i.body;
      if (typeof i.exitCode === 'number') e.exitCode = i.exitCode;
      if (typeof i.rid === 'string') e.rid = i.rid;
      return e;
    });
  }
}
