/**
 * Open pages in the results table, written only by the notifier (and `watchpost ack`): pk
 * `NOTIFY#PAGE` (upper case: no check id can be `PAGE`, so no flap record shares it), sk the alarm
 * key (`down:shop-cart`), the record as JSON in `page`, `version` for optimistic locking (two
 * alarm events, a sweep and an acknowledgement may race) and `expiresAt` (TTL, a week after the
 * last change: an OK event that never came cannot keep a record for ever).
 *
 * A record lives from a problem's first page to its recovery: reminders, escalation,
 * acknowledgement and dependencies read it. The partition holds only what is open now, so the
 * per-minute sweep reads it with one Query.
 */
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { Severity } from '../config/types';
import { retry } from '../retry';
import { TABLE } from '../store/table';
import { NOTIFY_PREFIX } from './flap-store';
import type { Incident } from './message';

export const PAGE_PK = `${NOTIFY_PREFIX}PAGE`;
const WEEK_MS = 7 * 86_400_000;
/** A lost write race is tried again after a short random wait (as in flap-store.ts). */
const RACE = { attempts: 8, baseMs: 5, capMs: 50, jitter: 'full' } as const;

export interface Acknowledgement {
  by: string;
  /** ISO. */
  at: string;
  /** ISO: reminders and escalation resume after this. @default until recovery */
  until?: string;
}

/** One open problem of one alarm. */
export interface PageRecord {
  /** The alarm key, e.g. `down:shop-api`. */
  key: string;
  checkId?: string;
  severity: Severity;
  /**
   * `paged`: its own page went out (or is going out); `held`: a check it depends on is failing but
   * not DOWN yet, so it waits (until `holdUntil`) to see whether that one's page will count it;
   * `suppressed`: a check it depends on is DOWN and that page counts it.
   */
  state: 'paged' | 'held' | 'suppressed';
  /** The check whose DOWN suppresses it. */
  parent?: string;
  /** ISO: the alarm change that opened it (a duplicate event carries the same). */
  openedAt: string;
  /** ISO: when its own page was delivered; unset while sending (a retry sends again). */
  sentAt?: string;
  /** ISO. */
  holdUntil?: string;
  /** Escalation levels paged so far (0: only the severity's own targets). */
  level: number;
  reminders: number;
  /** ISO: the last reminder. */
  remindedAt?: string;
  ack?: Acknowledgement;
  /** The incident store's id (status page). */
  incidentId?: string;
  /** Short random id in acknowledgement links. */
  ref: string;
  /** The problem's incident as first paged (reminders and escalations are built from it). */
  incident: Incident;
  /** Dependent checks its page counted. */
  dependents?: string[];
  /** A sweep is sending something for it until this ISO time (another sweep leaves it alone). */
  claimUntil?: string;
  version?: number;
}

/** What an update function decides: the record to write (null: delete it; undefined: leave it) and a result. */
export interface PageChange<T> {
  next: PageRecord | null | undefined;
  result: T;
}

export class PageStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    /** The clock TTLs are counted from. @default Date.now */
    private readonly now: () => number = Date.now,
  ) {}

  private key(alarmKey: string): Record<string, AttributeValue> {
    return { [TABLE.partitionKey]: { S: PAGE_PK }, [TABLE.sortKey]: { S: alarmKey } };
  }

  private parse(item: Record<string, AttributeValue> | undefined): PageRecord | undefined {
    if (!item?.page?.S) return undefined;
    try {
      return { ...(JSON.parse(item.page.S) as PageRecord), version: Number(item.version?.N ?? 0) };
    } catch {
      return undefined; // a damaged record is as good as none
    }
  }

  async get(alarmKey: string): Promise<PageRecord | undefined> {
    const res = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: this.key(alarmKey), ConsistentRead: true }),
    );
    return this.parse(res.Item);
  }

  /** Every open page (one small partition). */
  async list(): Promise<PageRecord[]> {
    const out: PageRecord[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const res = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
          ExpressionAttributeValues: { ':pk': { S: PAGE_PK } },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of res.Items ?? []) {
        const r = this.parse(item);
        if (r) out.push(r);
      }
      start = res.LastEvaluatedKey;
    } while (start);
    return out;
  }

  /** Writes `next` if nobody wrote since `version`; false when someone did. */
  private async write(alarmKey: string, next: PageRecord | null, version: number | undefined): Promise<boolean> {
    const condition: {
      ConditionExpression: string;
      ExpressionAttributeNames: Record<string, string>;
      ExpressionAttributeValues?: Record<string, AttributeValue>;
    } =
      version === undefined
        ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': TABLE.partitionKey } }
        : {
            ConditionExpression: '#v = :v',
            ExpressionAttributeNames: { '#v': 'version' },
            ExpressionAttributeValues: { ':v': { N: String(version) } },
          };
    try {
      if (next === null) {
        if (version === undefined) return true;
        await this.client.send(
          new DeleteItemCommand({ TableName: this.tableName, Key: this.key(alarmKey), ...condition }),
        );
      } else {
        const { version: _v, ...body } = next;
        await this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: {
              ...this.key(alarmKey),
              page: { S: JSON.stringify(body) },
              version: { N: String((version ?? 0) + 1) },
              [TABLE.ttlAttribute]: { N: String(Math.floor((this.now() + WEEK_MS) / 1000)) },
            },
            ...condition,
          }),
        );
      }
      return true;
    } catch (e) {
      if ((e as Error).name === 'ConditionalCheckFailedException') return false;
      throw e;
    }
  }

  /** Read, decide, write if nobody wrote in between; a lost race reads and decides again. */
  async update<T>(alarmKey: string, decide: (current: PageRecord | undefined) => PageChange<T>): Promise<T> {
    const out = await retry(
      async () => {
        const current = await this.get(alarmKey);
        const change = decide(current);
        if (change.next === undefined) return { result: change.result, written: true };
        return { result: change.result, written: await this.write(alarmKey, change.next, current?.version) };
      },
      { ...RACE, retryable: () => false, again: (v) => !v.written },
    );
    if (out.ok) return out.value.result;
    if (out.error !== undefined) throw out.error;
    throw new Error(`open page ${alarmKey} kept changing under us (${out.attempts} attempts)`);
  }
}
