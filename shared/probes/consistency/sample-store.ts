/**
 * The reference values a `consistency` check with `lag` compares against, in the results table
 * (own key prefix, like shared/notify/flap-store.ts): pk `CONSISTENCY#<checkId>#<region>`, sk the
 * ISO time of the run, attribute `value`, TTL `expiresAt` (twice the lag and a day: nothing older
 * is ever read). One small item per run; each region keeps its own.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../../store/table';

export const CONSISTENCY_PREFIX = 'CONSISTENCY#';
const DAY = 86_400_000;

export const samplePartition = (checkId: string, region: string) => `${CONSISTENCY_PREFIX}${checkId}#${region}`;

export interface Sample {
  /** epoch ms */
  at: number;
  value: number;
}

export class SampleStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient | DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.doc =
      client instanceof DynamoDBDocumentClient ? client : DynamoDBDocumentClient.from(client as DynamoDBClient);
  }

  /** Keeps the reference value of this run. */
  async put(checkId: string, region: string, sample: Sample, lagMs: number, signal?: AbortSignal): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          [TABLE.partitionKey]: samplePartition(checkId, region),
          [TABLE.sortKey]: new Date(sample.at).toISOString(),
          value: sample.value,
          [TABLE.ttlAttribute]: Math.floor((sample.at + 2 * lagMs + DAY) / 1000),
        },
      }),
      { abortSignal: signal },
    );
  }

  /** The newest value kept at or before `at`, or undefined. */
  async atOrBefore(checkId: string, region: string, at: number, signal?: AbortSignal): Promise<Sample | undefined> {
    const res = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND #sk <= :at',
        ExpressionAttributeNames: { '#pk': TABLE.partitionKey, '#sk': TABLE.sortKey },
        ExpressionAttributeValues: { ':pk': samplePartition(checkId, region), ':at': new Date(at).toISOString() },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
      { abortSignal: signal },
    );
    const item = res.Items?.[0];
    if (!item || typeof item.value !== 'number') return undefined;
    return { at: Date.parse(item[TABLE.sortKey] as string), value: item.value };
  }
}
