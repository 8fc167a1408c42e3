/**
 * Daily rollups per check and region, what the 90-day bars, uptime figures and `watchpost report`
 * read, kept 400 days whatever the run retention. One item per check, region and UTC day:
 * pk `ROLLUP#<checkId>`, sk `<YYYY-MM-DD>#<region>`, attributes per UTC hour HH:
 * `rHH` runs, `fHH` failed runs, `dHH` degraded runs, `lHH_<b>` latency sketch buckets
 * (shared/rollups/sketch.ts; passing and degraded runs only), `sHH` the runs already counted.
 *
 * Each stored result costs one UpdateItem (ADD, no read). EventBridge delivers at least once: the
 * condition `NOT contains(sHH, <MM:SS>)` makes a re-delivered run count once; the set of the hour
 * before last is dropped in the same update, so the item stays small (about 2 KB by the end of
 * a day of one-minute runs, i.e. 1–2 write units per result).
 */
import {
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { silentLog, type Log } from '../log';
import { redact } from '../redact';
import { describeError, isRetryable, mapLimit, retry } from '../retry';
import type { ResultStore, WriteOptions, WriteReport } from '../store/types';
import { TABLE } from '../store/table';
import type { CheckResult } from '../types';
import { bucketOf, type Sketch } from './sketch';

export const ROLLUP_PREFIX = 'ROLLUP#';
/** Days a rollup is kept (TTL), whatever the run retention. */
export const ROLLUP_KEEP_DAYS = 400;
const DAY = 86_400_000;

export interface HourRollup {
  runs: number;
  failures: number;
  degraded: number;
  /** Durations of passing and degraded runs. */
  latency: Sketch;
}

export interface DayRollup {
  checkId: string;
  region: string;
  /** YYYY-MM-DD, UTC */
  day: string;
  /** 24 entries, index = UTC hour. */
  hours: HourRollup[];
}

export interface RollupReport {
  written: number;
  /** Runs already counted (a re-delivered event). */
  duplicates: number;
  failed: Array<{ result: CheckResult; reason: string }>;
}

export const rollupKey = (checkId: string, day: string, region: string) => ({
  [TABLE.partitionKey]: `${ROLLUP_PREFIX}${checkId}`,
  [TABLE.sortKey]: `${day}#${region}`,
});

const hh = (h: number) => String(h).padStart(2, '0');

/** The one UpdateItem that counts a result into its day's rollup. */
export function rollupUpdate(r: CheckResult, tableName: string): UpdateItemCommandInput {
  const at = new Date(r.scheduledAt);
  const iso = at.toISOString();
  const day = iso.slice(0, 10);
  const hour = at.getUTCHours();
  const h = hh(hour);
  const k = rollupKey(r.checkId, day, r.region);
  const names: Record<string, string> = { '#r': `r${h}`, '#s': `s${h}`, '#exp': TABLE.ttlAttribute };
  const add = ['#r :one', '#s :tok'];
  if (r.status === 'fail') {
    names['#f'] = `f${h}`;
    add.push('#f :one');
  } else {
    if (r.status === 'degraded') {
      names['#d'] = `d${h}`;
      add.push('#d :one');
    }
    names['#l'] = `l${h}_${bucketOf(r.durationMs)}`;
    add.push('#l :one');
  }
  let expr = `ADD ${add.join(', ')} SET #exp = if_not_exists(#exp, :exp)`;
  if (hour >= 2) {
    names['#old'] = `s${hh(hour - 2)}`;
    expr += ' REMOVE #old';
  }
  const token = iso.slice(14, 23);
  return {
    TableName: tableName,
    Key: { [TABLE.partitionKey]: { S: k[TABLE.partitionKey] }, [TABLE.sortKey]: { S: k[TABLE.sortKey] } },
    UpdateExpression: expr,
    ConditionExpression: 'NOT contains(#s, :t)',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: {
      ':one': { N: '1' },
      ':tok': { SS: [token] },
      ':t': { S: token },
      ':exp': { N: String(Math.floor((Date.parse(day) + (ROLLUP_KEEP_DAYS + 1) * DAY) / 1000)) },
    },
  };
}

function emptyHours(): HourRollup[] {
  return Array.from({ length: 24 }, () => ({ runs: 0, failures: 0, degraded: 0, latency: new Map() }));
}

const COUNTER = /^([rfd])(\d\d)$/;
const BUCKET = /^l(\d\d)_(\d+)$/;

function parseItem(checkId: string, item: Record<string, AttributeValue>): DayRollup {
  const sk = item[TABLE.sortKey]?.S ?? '';
  const i = sk.indexOf('#');
  const hours = emptyHours();
  for (const [name, v] of Object.entries(item)) {
    const n = Number(v.N ?? Number.NaN);
    if (!Number.isFinite(n)) continue;
    const c = COUNTER.exec(name);
    if (c) {
      const hr = hours[Number(c[2])];
      if (!hr) continue;
      if (c[1] === 'r') hr.runs += n;
      else if (c[1] === 'f') hr.failures += n;
      else hr.degraded += n;
      continue;
    }
    const b = BUCKET.exec(name);
    if (b) hours[Number(b[1])]?.latency.set(Number(b[2]), n);
  }
  return { checkId, day: sk.slice(0, i), region: sk.slice(i + 1), hours };
}

export interface RollupStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Updates in flight at once. @default 4 */
  concurrency?: number;
}

export class RollupStore {
  private readonly client: DynamoDBClient;
  readonly tableName: string;
  private readonly concurrency: number;

  constructor(opts: RollupStoreOptions) {
    this.client = opts.client;
    this.tableName = opts.tableName;
    this.concurrency = opts.concurrency ?? 4;
  }

  /** Counts each result once into its rollup; by `deadline` every one is counted or in `failed`. */
  async record(results: readonly CheckResult[], opts: WriteOptions = {}): Promise<RollupReport> {
    const report: RollupReport = { written: 0, duplicates: 0, failed: [] };
    await mapLimit(results, this.concurrency, async (r) => {
      const input = rollupUpdate(r, this.tableName);
      const out = await retry(({ signal }) => this.client.send(new UpdateItemCommand(input), { abortSignal: signal }), {
        attempts: 4,
        baseMs: 50,
        attemptTimeoutMs: 3_000,
        ...(opts.deadline !== undefined ? { deadline: opts.deadline } : {}),
        retryable: isRetryable,
      });
      if (out.ok) report.written++;
      else if ((out.error as Error | undefined)?.name === 'ConditionalCheckFailedException') report.duplicates++;
      else report.failed.push({ result: r, reason: out.error !== undefined ? describeError(out.error) : out.stop });
    });
    return report;
  }

  /** Rollups of a check for the UTC days `fromDay`..`toDay` (inclusive), every region unless one is given. */
  async read(checkId: string, fromDay: string, toDay: string, region?: string): Promise<DayRollup[]> {
    const out: DayRollup[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const res = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#pk': TABLE.partitionKey, '#sk': TABLE.sortKey },
          ExpressionAttributeValues: {
            ':pk': { S: `${ROLLUP_PREFIX}${checkId}` },
            ':from': { S: `${fromDay}#` },
            ':to': { S: `${toDay}#~` },
          },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of res.Items ?? []) {
        const d = parseItem(checkId, item);
        if (!region || d.region === region) out.push(d);
      }
      start = res.LastEvaluatedKey;
    } while (start);
    return out;
  }
}

/**
 * The store the runner and the CLI write through: results first (the history is the record),
 * then their rollups, within the same deadline. A rollup that cannot be counted is logged with
 * its result (whose history item is stored): the day's figures would miss one run.
 */
export function withRollups<S extends ResultStore>(inner: S, rollups: RollupStore, log: Log = silentLog): S {
  const writeResults = async (results: readonly CheckResult[], opts?: WriteOptions): Promise<WriteReport> => {
    const report = await inner.writeResults(results, opts);
    // The store reports its (redacted) copies: match them by the history key.
    const id = (r: CheckResult) => `${r.checkId}\n${r.region}\n${r.scheduledAt}`;
    const failed = new Set(report.failed.map((f) => id(f.result)));
    const stored = results.filter((r) => !failed.has(id(r)));
    if (!stored.length) return report;
    const r = await rollups.record(stored, opts).catch((e: unknown) => ({
      written: 0,
      duplicates: 0,
      failed: stored.map((result) => ({ result, reason: describeError(e) })),
    }));
    for (const f of r.failed) log.error('rollup not updated', { reason: f.reason, result: redact(f.result) });
    return report;
  };
  return new Proxy(inner, {
    get: (target, prop, receiver) => (prop === 'writeResults' ? writeResults : Reflect.get(target, prop, receiver)),
  });
}

/** {@link withRollups} on a store and the client and table it writes to (the local store, the Lambda's). */
export function storeWithRollups<S extends ResultStore>(
  t: { store: S; client: DynamoDBClient; tableName: string },
  log?: Log,
): S {
  return withRollups(t.store, new RollupStore({ client: t.client, tableName: t.tableName }), log);
}

/** A whole day's rollup as one item (imports and test seeding; the runner only ever ADDs). */
export function dayItem(d: DayRollup): Record<string, AttributeValue> {
  const k = rollupKey(d.checkId, d.day, d.region);
  const item: Record<string, AttributeValue> = {
    [TABLE.partitionKey]: { S: k[TABLE.partitionKey] },
    [TABLE.sortKey]: { S: k[TABLE.sortKey] },
    [TABLE.ttlAttribute]: { N: String(Math.floor((Date.parse(d.day) + (ROLLUP_KEEP_DAYS + 1) * DAY) / 1000)) },
  };
  d.hours.forEach((h, hour) => {
    const x = hh(hour);
    if (h.runs) item[`r${x}`] = { N: String(h.runs) };
    if (h.failures) item[`f${x}`] = { N: String(h.failures) };
    if (h.degraded) item[`d${x}`] = { N: String(h.degraded) };
    for (const [b, n] of h.latency) item[`l${x}_${b}`] = { N: String(n) };
  });
  return item;
}
