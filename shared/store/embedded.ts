/**
 * The local result store: dynalite (a DynamoDB-compatible server in pure JS) in-process, on
 * 127.0.0.1 port 0, LevelDB under `.watchpost/db` (or in memory), with the SAME
 * DynamoResultStore code that runs in AWS talking to it over HTTP. Starts in ~100 ms, needs
 * no Java, no Docker, no AWS credentials.
 *
 * dynalite has no TTL, so history older than the retention is pruned here, cheaply: a key-range
 * Query per check (`pk = RUN#<id> AND sk < <cutoff>`) reads only expired items. It runs on start
 * for the check ids given, and for every other check the first time it is written after start
 * (then at most hourly), bounded per check. A full-table Scan is never used: it would take
 * seconds on a month of local history and steal CPU from probes running in the same process.
 */
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import {
  BatchWriteItemCommand,
  DynamoDBClient,
  QueryCommand,
  type AttributeValue,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { silentLog, type Log } from '../log';
import type { CheckResult } from '../types';
import { ensureTable } from './create-table';
import { DynamoResultStore, type DynamoResultStoreOptions } from './dynamo-store';
import { describeError } from '../retry';
import { awsClient } from '../aws-clients';
import { historyKey, TABLE } from './table';
import type { WriteOptions, WriteReport } from './types';

/** What the SDK signs requests to the embedded store with: it needs some, and checks none. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface EmbeddedStoreOptions {
  /** LevelDB directory (created when missing). @default ".watchpost/db" */
  dir?: string;
  /** Keep nothing on disk (tests, `watchpost run` in CI). @default false */
  inMemory?: boolean;
  /** @default "watchpost-local" */
  tableName?: string;
  /** How long history is kept. @default 30 days (the config's `retention` default) */
  retentionMs?: number;
  /** Checks whose expired history is pruned right at start (others: on their first write). @default [] */
  checkIds?: readonly string[];
  /** @default silent */
  log?: Log;
}

export interface EmbeddedStore {
  /** The same store class as in AWS (a subclass that also prunes expired history). */
  store: DynamoResultStore;
  /** A client for the embedded server, e.g. for a local dashboard. */
  client: DynamoDBClient;
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  tableName: string;
  /** Settles when the start-up prune (of `checkIds`) is over; it runs in the background. */
  pruned: Promise<{ deleted: number }>;
  /** Waits for pruning, then stops the client and the server and closes LevelDB. Idempotent. */
  close(): Promise<void>;
}

/** The local store cannot be used (a path under a file, no permission, locked): a user's problem to fix. */
export class StoreError extends Error {
  constructor(
    message: string,
    /** `LOCKED` when another process holds the LevelDB directory. */
    readonly code: 'LOCKED' | 'UNUSABLE' = 'UNUSABLE',
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Expired items deleted per check per prune; a backlog is worked off over a few passes. */
const MAX_PRUNE_PER_CHECK = 1_000;

/** DynamoResultStore that also deletes a check's expired history (local mode has no TTL). */
class EmbeddedResultStore extends DynamoResultStore {
  private readonly lastPrune = new Map<string, number>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly db: DynamoDBClient;
  private readonly retention: number;
  private readonly logger: Log;
  /** Set by close(): a prune stops between pages (the rest is pruned next time). */
  stopping = false;

  constructor(opts: DynamoResultStoreOptions & { client: DynamoDBClient; log: Log }) {
    super(opts);
    this.db = opts.client;
    this.retention = opts.retentionMs;
    this.logger = opts.log;
  }

  override async writeResults(results: readonly CheckResult[], opts?: WriteOptions): Promise<WriteReport> {
    const report = await super.writeResults(results, opts);
    const now = Date.now();
    const due = [
      ...new Set(results.map((r) => r?.checkId).filter((id): id is string => typeof id === 'string' && !!id)),
    ].filter((id) => (this.lastPrune.get(id) ?? Number.NEGATIVE_INFINITY) + HOUR <= now);
    // In the background: the write's caller (the pass) need not wait; close() does.
    if (due.length) void this.prune(due);
    return report;
  }

  /** Deletes expired history of the given checks (never throws: a leftover is pruned next time). */
  async prune(checkIds: readonly string[]): Promise<{ deleted: number }> {
    const now = Date.now();
    for (const id of checkIds) this.lastPrune.set(id, now);
    const cutoff = new Date(now - this.retention).toISOString();
    const work = (async () => {
      let deleted = 0;
      for (const id of checkIds) {
        if (this.stopping) break;
        try {
          deleted += await pruneCheck(this.db, this.tableName, id, cutoff, () => this.stopping);
        } catch (e) {
          this.logger.warn('pruning expired local history failed', { checkId: id, error: describeError(e) });
        }
      }
      if (deleted) this.logger.debug('pruned expired local history', { deleted, checks: checkIds.length });
      return { deleted };
    })();
    this.inFlight.add(work);
    try {
      return await work;
    } finally {
      this.inFlight.delete(work);
    }
  }

  /** Resolves when no prune is running. */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }
}

/** Deletes history of one check scheduled before `cutoff` (ISO), at most MAX_PRUNE_PER_CHECK items. */
async function pruneCheck(
  client: DynamoDBClient,
  tableName: string,
  checkId: string,
  cutoff: string,
  stop: () => boolean,
): Promise<number> {
  let deleted = 0;
  let start: Record<string, AttributeValue> | undefined;
  do {
    // sk is `<scheduledAt ISO>#<region>`: everything below the cutoff string is older than it.
    const res = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: '#pk = :pk AND #sk < :cutoff',
        ExpressionAttributeNames: { '#pk': TABLE.partitionKey, '#sk': TABLE.sortKey },
        ExpressionAttributeValues: {
          ':pk': { S: historyKey(checkId, '', '')[TABLE.partitionKey]! },
          ':cutoff': { S: cutoff },
        },
        ProjectionExpression: '#pk, #sk',
        Limit: Math.min(250, MAX_PRUNE_PER_CHECK - deleted),
        ExclusiveStartKey: start,
      }),
    );
    const items = res.Items ?? [];
    for (let i = 0; i < items.length; i += 25) {
      const batch: WriteRequest[] = items.slice(i, i + 25).map((item) => ({
        DeleteRequest: {
          Key: { [TABLE.partitionKey]: item[TABLE.partitionKey]!, [TABLE.sortKey]: item[TABLE.sortKey]! },
        },
      }));
      const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: batch } }));
      deleted += batch.length - (out.UnprocessedItems?.[tableName]?.length ?? 0);
    }
    start = res.LastEvaluatedKey;
  } while (start && deleted < MAX_PRUNE_PER_CHECK && !stop());
  return deleted;
}

/**
 * LevelDB lets one process open a directory. dynalite would only find out on the first request
 * and then crash the process with "Database is closed"; open it briefly first (~2 ms) to say why.
 */
async function checkNotLocked(dir: string): Promise<void> {
  const { Level } = createRequire(createRequire(import.meta.url).resolve('dynalite'))('level') as {
    Level: new (path: string) => { open(): Promise<void>; close(): Promise<void> };
  };
  const db = new Level(dir);
  try {
    await db.open();
  } catch (e) {
    const err = e as { message?: string; cause?: { code?: string; message?: string } };
    if (err.cause?.code === 'LEVEL_LOCKED')
      throw new StoreError(
        `the local store ${dir} is in use by another watchpost process (stop it, or run with an in-memory store)`,
        'LOCKED',
      );
    throw new StoreError(`cannot open the local store ${dir}: ${err.cause?.message ?? err.message}`);
  }
  await db.close();
}

export async function startEmbeddedStore(opts: EmbeddedStoreOptions = {}): Promise<EmbeddedStore> {
  const dir = opts.dir ?? '.watchpost/db';
  const tableName = opts.tableName ?? 'watchpost-local';
  const retentionMs = opts.retentionMs ?? 30 * DAY;
  const log = opts.log ?? silentLog;
  if (!opts.inMemory) {
    await mkdir(dir, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
      const why =
        e.code === 'ENOTDIR' || e.code === 'EEXIST'
          ? 'a part of that path is a file, not a directory'
          : e.code === 'EACCES' || e.code === 'EROFS'
            ? 'no permission to write there'
            : e.message;
      throw new StoreError(`cannot create the local store ${dir}: ${why}`);
    });
    await checkNotLocked(dir);
  }

  // createTableMs 0: the table is ACTIVE at once (dynalite's default simulates 500 ms).
  const server = dynalite({
    path: opts.inMemory ? undefined : dir,
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // One SDK attempt per call: DynamoResultStore retries with shared/retry.ts (aws-clients.ts).
  const client = awsClient(DynamoDBClient, { endpoint, region: 'local', credentials: LOCAL_CREDENTIALS });
  const closeServer = () =>
    new Promise<void>((resolve) => {
      // The SDK keeps connections alive; close them or server.close() waits for their timeout.
      server.closeAllConnections();
      server.close(() => resolve());
    });

  try {
    await ensureTable(client, tableName);
  } catch (e) {
    client.destroy();
    await closeServer();
    throw new StoreError(`cannot start the local store${opts.inMemory ? '' : ` in ${dir}`}: ${describeError(e)}`);
  }

  const store = new EmbeddedResultStore({ client, tableName, retentionMs, log });
  const pruned = store.prune(opts.checkIds ?? []);

  let closed: Promise<void> | undefined;
  return {
    store,
    client,
    endpoint,
    tableName,
    pruned,
    close() {
      closed ??= (async () => {
        store.stopping = true;
        await store.idle();
        client.destroy();
        await closeServer();
      })();
      return closed;
    },
  };
}
