/**
 * The webhook retry queue in AWS: SQS in the home region. A retry is a SendMessage with a
 * DelaySeconds (at most 900) to the retry queue, whose event source mapping feeds it back to the
 * notifier; a given-up page is a SendMessage to the dead-letter queue (which is also the retry
 * queue's redrive target for poison messages), and an alarm on it pages.
 *
 * The delivery ledger lives in the results table beside the flap records: pk `NOTIFY#delivery`,
 * sk `<webhook>#<delivery id>`, kept two days (TTL).
 */
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { TABLE } from '../store/table';
import { NOTIFY_PREFIX } from './flap-store';
import {
  handleRetry,
  pageFields,
  parseRetryMessage,
  type DeliveryLedger,
  type GivenUpMessage,
  type RetryDeps,
  type RetryMessage,
  type RetryQueue,
} from './retry';

/** SQS's limit on DelaySeconds. */
const MAX_DELAY_SECONDS = 900;

export class SqsRetryQueue implements RetryQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly deadLetterQueueUrl: string,
  ) {}

  async retry(message: RetryMessage, delaySeconds: number): Promise<void> {
    const delay = Math.max(0, Math.min(MAX_DELAY_SECONDS, Math.round(delaySeconds)));
    const body = JSON.stringify(message);
    await this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: body, DelaySeconds: delay }));
  }

  async giveUp(message: GivenUpMessage): Promise<void> {
    const body = JSON.stringify(message);
    await this.client.send(new SendMessageCommand({ QueueUrl: this.deadLetterQueueUrl, MessageBody: body }));
  }
}

const LEDGER_PK = `${NOTIFY_PREFIX}delivery`;
const KEEP_MS = 2 * 86_400_000;

export class DynamoDeliveryLedger implements DeliveryLedger {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  private key(webhook: string, id: string) {
    return { [TABLE.partitionKey]: { S: LEDGER_PK }, [TABLE.sortKey]: { S: `${webhook}#${id}` } };
  }

  async delivered(webhook: string, id: string): Promise<boolean> {
    const key = this.key(webhook, id);
    const get = new GetItemCommand({ TableName: this.tableName, Key: key, ConsistentRead: true });
    const res = await this.client.send(get);
    return res.Item !== undefined;
  }

  async markDelivered(webhook: string, id: string): Promise<void> {
    const now = Date.now();
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: {
          ...this.key(webhook, id),
          deliveredAt: { S: new Date(now).toISOString() },
          [TABLE.ttlAttribute]: { N: String(Math.floor((now + KEEP_MS) / 1000)) },
        },
      }),
    );
  }
}

/** The part of an SQS event the notifier reads. */
export interface SqsEvent {
  Records: Array<{
    messageId: string;
    body: string;
    eventSource?: string;
    attributes?: { ApproximateReceiveCount?: string };
  }>;
}

export const isSqsEvent = (event: unknown): event is SqsEvent =>
  Array.isArray((event as SqsEvent)?.Records) && (event as SqsEvent).Records.every((r) => r?.eventSource === 'aws:sqs');

/**
 * A batch of queued pages (ReportBatchItemFailures): a record fails only when its next try or
 * its give-up could not be queued, or when it is not a retry message at all; SQS then redelivers
 * it, and after a few receives its redrive policy moves it to the dead-letter queue.
 */
export interface BatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

export async function handleRetryBatch(event: SqsEvent, deps: RetryDeps): Promise<BatchResponse> {
  const failures: Array<{ itemIdentifier: string }> = [];
  await Promise.all(
    event.Records.map(async (r) => {
      const m = parseRetryMessage(r.body);
      if (!m) {
        const receives = r.attributes?.ApproximateReceiveCount;
        const fields = { messageId: r.messageId, receives };
        deps.log.error('not a webhook retry message: left to the dead-letter queue', fields);
        failures.push({ itemIdentifier: r.messageId });
        return;
      }
      try {
        await handleRetry(m, deps);
      } catch (e) {
        const error = `${(e as Error).name}: ${(e as Error).message}`;
        const fields = { ...pageFields(m), messageId: r.messageId, error };
        deps.log.error('webhook retry not queued: SQS will redeliver it', fields);
        failures.push({ itemIdentifier: r.messageId });
      }
    }),
  );
  return { batchItemFailures: failures };
}
