/**
 * What `run`, `dev`, `history` and `notify` share: the local store under `.watchpost/`.
 *
 * LevelDB lets one process open the store. While `watchpost dev` holds it, dev writes its store's
 * loopback endpoint to `<data>/dev.json`, and the other commands read and write through that
 * endpoint instead (the same DynamoDB API), so `history` and `run` work while dev runs.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { ms } from '../duration';
import type { ValidatedConfig } from '../config/types';
import { DynamoResultStore } from '../store/dynamo-store';
import { LOCAL_CREDENTIALS, startEmbeddedStore, StoreError, type EmbeddedStore } from '../store/embedded';
import { awsClient } from '../aws-clients';

export const LOCAL_REGION = 'local';
export const DEFAULT_DATA_DIR = '.watchpost';
const DAY = 86_400_000;

/** The local store, opened here or borrowed from a running `watchpost dev`. */
export interface LocalStore extends Pick<EmbeddedStore, 'store' | 'client' | 'endpoint' | 'tableName' | 'close'> {
  /** Set when the store is the one a running `watchpost dev` holds (its pid). */
  sharedWithDev?: number;
}

interface DevFile {
  pid: number;
  endpoint: string;
  tableName: string;
}

const devFile = (dataDir: string) => join(dataDir, 'dev.json');

/** Opens the embedded store kept under `<dataDir>/db`, or the running dev's store when dev holds it. */
export async function openLocalStore(dataDir = DEFAULT_DATA_DIR, config?: ValidatedConfig): Promise<LocalStore> {
  const retentionMs = config ? ms(config.retention) : 30 * DAY;
  try {
    return await startEmbeddedStore({
      dir: join(dataDir, 'db'),
      retentionMs,
      checkIds: config?.checks.map((ch) => ch.id),
    });
  } catch (e) {
    if (!(e instanceof StoreError) || e.code !== 'LOCKED') throw e;
    const shared = await devStore(dataDir, retentionMs);
    if (shared) return shared;
    throw new StoreError(
      `the local store ${join(dataDir, 'db')} is in use by another watchpost process — hint: wait for it to end, ` +
        'pass --data DIR to use another store, or for `run` pass --no-store',
      'LOCKED',
    );
  }
}

/** The store of the `watchpost dev` that holds `dataDir`, when it is alive and answers. */
async function devStore(dataDir: string, retentionMs: number): Promise<LocalStore | undefined> {
  let dev: DevFile;
  try {
    dev = JSON.parse(readFileSync(devFile(dataDir), 'utf8')) as DevFile;
    process.kill(dev.pid, 0);
  } catch {
    return undefined;
  }
  // Loopback only: a short timeout says quickly that the endpoint is gone.
  const client = awsClient(DynamoDBClient, {
    endpoint: dev.endpoint,
    region: 'local',
    credentials: LOCAL_CREDENTIALS,
    connectTimeoutMs: 1_000,
  });
  try {
    await client.send(new DescribeTableCommand({ TableName: dev.tableName }));
  } catch {
    client.destroy();
    return undefined;
  }
  return {
    store: new DynamoResultStore({ client, tableName: dev.tableName, retentionMs }),
    client,
    endpoint: dev.endpoint,
    tableName: dev.tableName,
    sharedWithDev: dev.pid,
    close: async () => client.destroy(),
  };
}

/** Lets other commands use the store while dev holds it; returns the function that withdraws it. */
export function shareWithOtherCommands(
  dataDir: string,
  store: Pick<EmbeddedStore, 'endpoint' | 'tableName'>,
): () => void {
  const file = devFile(dataDir);
  const body: DevFile = { pid: process.pid, endpoint: store.endpoint, tableName: store.tableName };
  writeFileSync(file, `${JSON.stringify(body)}\n`);
  return () => rmSync(file, { force: true });
}
