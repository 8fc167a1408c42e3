/**
 * The delivery trail: every page sent or failed, per channel, beside the webhook delivery ledger
 * in the results table: pk `NOTIFY#delivery`, sk `AT#<ISO time>#<channel>#<n>` (upper case: no
 * webhook name, and so no ledger item, begins with `AT#`), kept 30 days (TTL). Per channel a health
 * item, sk `CHANNEL#<channel>`, counts the failures in a row: a channel that keeps failing is named
 * on the pages of the others (`webhook pagerduty failing since 14:02Z`). `watchpost pages` reads it.
 */
import { randomBytes } from 'node:crypto';
import {
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { redact } from '../redact';
import { TABLE } from '../store/table';
import { NOTIFY_PREFIX } from './flap-store';
import { clock } from './format-sms';

export const TRAIL_PK = `${NOTIFY_PREFIX}delivery`;
const KEEP_MS = 30 * 86_400_000;
/** Failures in a row after which a channel is reported on the others. */
export const FAILING_AFTER = 2;

export interface TrailEntry {
  /** ISO time of the try. */
  at: string;
  /** `topic critical` (SMS and email subscribers), `escalation critical 1`, `webhook pagerduty`, `console`, `email`. */
  channel: string;
  /** problem, recovery, reminder, escalation, flapping, test. */
  kind: string;
  /** The alarm's check (or `runner`). */
  subject: string;
  /** The first words: DOWN, OK, STILL DOWN. */
  word: string;
  ok: boolean;
  /** The SMS line of the page. */
  summary: string;
  /** Why it failed (secrets redacted). */
  error?: string;
  /** It failed now and is queued for another try. */
  retrying?: boolean;
  /** SNS message id or webhook delivery id. */
  id?: string;
}

export interface ChannelHealth {
  channel: string;
  /** Failed pages in a row. */
  failures: number;
  /** ISO: the first of them. */
  since?: string;
  lastError?: string;
}

export class DeliveryTrail {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  private key(sk: string): Record<string, AttributeValue> {
    return { [TABLE.partitionKey]: { S: TRAIL_PK }, [TABLE.sortKey]: { S: sk } };
  }

  /** Records one try and updates the channel's health. Throws what DynamoDB throws (callers log it). */
  async record(entry: TrailEntry): Promise<void> {
    const e = redact(entry);
    const expires = { N: String(Math.floor((Date.parse(e.at) + KEEP_MS) / 1000)) };
    const sk = `AT#${e.at}#${e.channel}#${randomBytes(3).toString('hex')}`;
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: { ...this.key(sk), entry: { S: JSON.stringify(e) }, [TABLE.ttlAttribute]: expires },
      }),
    );
    const before = await this.health(e.channel);
    // Last writer wins: the count is advice on other pages, not a ledger.
    const health: ChannelHealth = e.ok
      ? { channel: e.channel, failures: 0 }
      : {
          channel: e.channel,
          failures: (before?.failures ?? 0) + 1,
          since: before?.failures ? (before.since ?? e.at) : e.at,
          ...(e.error ? { lastError: e.error } : {}),
        };
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          ...this.key(`CHANNEL#${e.channel}`),
          health: { S: JSON.stringify(health) },
          [TABLE.ttlAttribute]: expires,
        },
      }),
    );
  }

  private async health(channel: string): Promise<ChannelHealth | undefined> {
    const res = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: this.key(`CHANNEL#${channel}`), ConsistentRead: true }),
    );
    return res.Item?.health?.S ? (JSON.parse(res.Item.health.S) as ChannelHealth) : undefined;
  }

  private async query(from: string, to: string): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const res = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#pk': TABLE.partitionKey, '#sk': TABLE.sortKey },
          ExpressionAttributeValues: { ':pk': { S: TRAIL_PK }, ':from': { S: from }, ':to': { S: to } },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(res.Items ?? []));
      start = res.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** Tries from `since` (ISO) to `until` (ISO, default now), oldest first. */
  async list(opts: { since: string; until?: string }): Promise<TrailEntry[]> {
    const items = await this.query(`AT#${opts.since}`, `AT#${opts.until ?? '~'}`);
    return items.flatMap((i) => (i.entry?.S ? [JSON.parse(i.entry.S) as TrailEntry] : []));
  }

  /** Channels whose last {@link FAILING_AFTER} or more pages failed. */
  async failing(): Promise<ChannelHealth[]> {
    const items = await this.query('CHANNEL#', 'CHANNEL#~');
    return items
      .flatMap((i) => (i.health?.S ? [JSON.parse(i.health.S) as ChannelHealth] : []))
      .filter((h) => h.failures >= FAILING_AFTER);
  }
}

/** `webhook pagerduty failing since 14:02Z (3 pages)`: what other channels' pages say about it. */
export function channelProblem(h: ChannelHealth, at: string): string {
  return `${h.channel} failing${h.since ? ` since ${clock(h.since, at)}` : ''} (${h.failures} pages)`;
}
