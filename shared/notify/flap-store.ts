/**
 * Flap records in the results table, written only by the notifier: pk `NOTIFY#<checkId>` (or
 * `NOTIFY#runner`), sk the alarm key (`down:shop-cart`), attributes `changes` (JSON list of
 * recent changes), `flapping`, `version` (optimistic locking: two state changes of one alarm
 * may be handled at once) and `expiresAt` (TTL, a day after the window has passed).
 */
import { GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { retry } from '../retry';
import { TABLE } from '../store/table';
import type { ResolvedFlapping } from './config';
import {
  decideFlapping,
  undoChange,
  type FlapChange,
  type FlapDecision,
  type FlapRecord,
  type FlapStore,
} from './flapping';

/** Prefix of the notifier's items (IAM scopes its writes to it with `dynamodb:LeadingKeys`). */
export const NOTIFY_PREFIX = 'NOTIFY#';

export const notifyKey = (scope: string, alarmKey: string) => ({
  [TABLE.partitionKey]: `${NOTIFY_PREFIX}${scope}`,
  [TABLE.sortKey]: alarmKey,
});

const DAY = 86_400_000;
/** A lost write race is tried again after a short random wait (the racer is another copy of this notifier). */
const RACE = { attempts: 8, baseMs: 5, capMs: 50, jitter: 'full' } as const;

interface Stored {
  record: FlapRecord;
  version: number;
}

export class DynamoFlapStore implements FlapStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  private key(scope: string, alarmKey: string): Record<string, AttributeValue> {
    const k = notifyKey(scope, alarmKey);
    return { [TABLE.partitionKey]: { S: k[TABLE.partitionKey]! }, [TABLE.sortKey]: { S: k[TABLE.sortKey]! } };
  }

  private async read(key: Record<string, AttributeValue>): Promise<Stored | undefined> {
    const res = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    if (!res.Item) return undefined;
    let changes: FlapChange[] = [];
    try {
      const parsed = JSON.parse(res.Item.changes?.S ?? '[]') as unknown;
      if (Array.isArray(parsed))
        changes = parsed.filter(
          (c): c is FlapChange => typeof c?.at === 'number' && (c.state === 'ALARM' || c.state === 'OK'),
        );
    } catch {
      /* a damaged record starts afresh */
    }
    return {
      record: { changes, flapping: res.Item.flapping?.BOOL === true },
      version: Number(res.Item.version?.N ?? 0),
    };
  }

  /** Writes `record` if nobody wrote since `version` was read; false when someone did. */
  private async write(
    key: Record<string, AttributeValue>,
    record: FlapRecord,
    version: number | undefined,
    windowMs: number,
  ): Promise<boolean> {
    // Kept a day past the window, counted from now: an old event must not make it expire at once.
    const last = Math.max(Date.now(), record.changes.at(-1)?.at ?? 0);
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            ...key,
            changes: { S: JSON.stringify(record.changes) },
            flapping: { BOOL: record.flapping },
            version: { N: String((version ?? 0) + 1) },
            updatedAt: { S: new Date().toISOString() },
            [TABLE.ttlAttribute]: { N: String(Math.floor((last + windowMs + DAY) / 1000)) },
          },
          ...(version === undefined
            ? {
                ConditionExpression: 'attribute_not_exists(#pk)',
                ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
              }
            : {
                ConditionExpression: '#v = :v',
                ExpressionAttributeNames: { '#v': 'version' },
                ExpressionAttributeValues: { ':v': { N: String(version) } },
              }),
        }),
      );
      return true;
    } catch (e) {
      if ((e as Error).name === 'ConditionalCheckFailedException') return false;
      throw e;
    }
  }

  async apply(scope: string, alarmKey: string, change: FlapChange, settings: ResolvedFlapping): Promise<FlapDecision> {
    const key = this.key(scope, alarmKey);
    // Read, decide, write if nobody wrote in between; a lost race reads again (shared/retry.ts).
    const out = await retry(
      async () => {
        const stored = await this.read(key);
        const decision = decideFlapping(stored?.record, change, settings);
        if (decision.action === 'duplicate') return { decision, written: true };
        return { decision, written: await this.write(key, decision.record, stored?.version, settings.windowMs) };
      },
      { ...RACE, retryable: () => false, again: (v) => !v.written },
    );
    if (out.ok) return out.value.decision;
    if (out.error !== undefined) throw out.error;
    throw new Error(`flap record ${alarmKey} kept changing under us (${out.attempts} attempts)`);
  }

  async release(scope: string, alarmKey: string, change: FlapChange, wasFlapping: boolean): Promise<void> {
    const key = this.key(scope, alarmKey);
    const out = await retry(
      async () => {
        const stored = await this.read(key);
        if (!stored) return true;
        return this.write(key, undoChange(stored.record, change, wasFlapping), stored.version, DAY);
      },
      { ...RACE, retryable: () => false, again: (written) => !written },
    );
    if (!out.ok && out.error !== undefined) throw out.error;
  }
}
