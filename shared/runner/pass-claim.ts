/**
 * Pass claims in the results table: EventBridge delivers at least once, so a shard's
 * invocation first claims its (region, minute, shard) with a conditional write. A second
 * delivery of the same minute finds the claim and ends at once: it runs no probe, writes no
 * result and publishes no metric (so the region's RunnerHealth shares add up to 1 at most).
 *
 * Items: pk `PASS#<region>`, sk `<minute ISO>#<shard>/<shards>`, attributes `requestId`,
 * `claimedAt` and `expiresAt` (TTL, a day later). One writer per region, like the latest state.
 * A claim that cannot be written (DynamoDB unreachable) does not stop the pass: better a run
 * twice than a minute unwatched.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describeError } from '../retry';
import { TABLE } from '../store/table';
import type { ShardRef } from './schedule';

/** Prefix of the claim items. */
export const PASS_PREFIX = 'PASS#';

const DAY_MS = 86_400_000;

export const passKey = (region: string, tick: number, shard: ShardRef) => ({
  [TABLE.partitionKey]: `${PASS_PREFIX}${region}`,
  [TABLE.sortKey]: `${new Date(Math.floor(tick / 60_000) * 60_000).toISOString()}#${shard.index}/${shard.count}`,
});

export type Claim =
  | { outcome: 'claimed' }
  | { outcome: 'duplicate'; by?: string; at?: string }
  /** The claim could not be written: the pass runs anyway. */
  | { outcome: 'unknown'; reason: string };

export interface ClaimOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  region: string;
  tick: number;
  shard: ShardRef;
  /** Who claims (the Lambda request id), for the log of a duplicate. */
  requestId: string;
  /** ms since epoch the write must be over by. */
  deadline: number;
}

/** Claims a shard's minute: `claimed` once, `duplicate` for every further delivery of it. */
export async function claimPass(opts: ClaimOptions): Promise<Claim> {
  const now = Date.now();
  const signal = AbortSignal.timeout(Math.max(1, opts.deadline - now));
  try {
    await opts.client.send(
      new PutCommand({
        TableName: opts.tableName,
        Item: {
          ...passKey(opts.region, opts.tick, opts.shard),
          requestId: opts.requestId,
          claimedAt: new Date(now).toISOString(),
          [TABLE.ttlAttribute]: Math.floor((now + DAY_MS) / 1000),
        },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
      { abortSignal: signal },
    );
    return { outcome: 'claimed' };
  } catch (e) {
    if ((e as { name?: string })?.name === 'ConditionalCheckFailedException') {
      const item = (e as { Item?: Record<string, unknown> }).Item;
      return { outcome: 'duplicate', by: stringOf(item?.requestId), at: stringOf(item?.claimedAt) };
    }
    return { outcome: 'unknown', reason: describeError(e) };
  }
}

/** A string attribute as the document client returns it (plain or still marshalled). */
function stringOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  const s = (v as { S?: unknown } | undefined)?.S;
  return typeof s === 'string' ? s : undefined;
}
