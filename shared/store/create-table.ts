/**
 * Creates the results table the way the CDK app declares it (keys and TTL from `table.ts`):
 * string `pk`/`sk`, on-demand billing, TTL on `expiresAt`. Used locally (embedded store,
 * DynamoDB Local in tests); in AWS the CDK app owns the table.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { sleep } from '../retry';
import { TABLE } from './table';

export interface EnsureTableReport {
  created: boolean;
  /** `unsupported` on servers without TTL (dynalite): expired history must then be pruned by hand. */
  ttl: 'enabled' | 'unsupported';
}

const errName = (e: unknown) => (e as { name?: string })?.name ?? '';

/** Creates the table when missing, waits until it is ACTIVE, and turns TTL on where the server supports it. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<EnsureTableReport> {
  let created = false;
  let status: string | undefined;
  try {
    status = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.TableStatus;
  } catch (e) {
    if (errName(e) !== 'ResourceNotFoundException') throw e;
    try {
      const res = await client.send(
        new CreateTableCommand({
          TableName: tableName,
          AttributeDefinitions: [
            { AttributeName: TABLE.partitionKey, AttributeType: 'S' },
            { AttributeName: TABLE.sortKey, AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
            { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
          ],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      created = true;
      status = res.TableDescription?.TableStatus;
    } catch (err) {
      // Someone else (another process) created it in between.
      if (errName(err) !== 'ResourceInUseException') throw err;
    }
  }
  // Local servers take from 0 to ~500 ms to make a table ACTIVE; poll briefly (SDK waiters start at 20 s).
  for (let delay = 10, polls = 0; status !== 'ACTIVE'; delay = Math.min(delay * 2, 500), polls++) {
    if (polls > 240) throw new Error(`table ${tableName} is ${status}, not ACTIVE, after ${polls} polls`);
    if (status !== undefined) await sleep(delay);
    status = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.TableStatus;
  }

  let ttl: EnsureTableReport['ttl'] = 'unsupported';
  try {
    const current = (await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }))).TimeToLiveDescription;
    if (current?.TimeToLiveStatus === 'ENABLED' || current?.TimeToLiveStatus === 'ENABLING') {
      ttl = current.AttributeName === TABLE.ttlAttribute ? 'enabled' : 'unsupported';
    } else {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
        }),
      );
      ttl = 'enabled';
    }
  } catch (e) {
    // dynalite answers UnknownOperationException: it has no TTL. Anything else is a real problem.
    if (!/UnknownOperation/i.test(errName(e)) && !/UnknownOperation/i.test((e as Error)?.message ?? '')) throw e;
  }
  return { created, ttl };
}
