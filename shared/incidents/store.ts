/**
 * Incidents in the results table: what the status page, its feed and `watchpost report` show.
 * The notifier opens and resolves DOWN/DEGRADED incidents; `watchpost incident` adds human updates.
 *
 * Items (all under the `INCIDENT` prefix, so IAM can scope writes with `dynamodb:LeadingKeys`):
 * - record: pk `INCIDENT`, sk `<startedAt>#<id>`; attribute `incident` (JSON), `version`
 *   (optimistic locking), `startedAt`, `endedAt`; TTL 400 days after it ended.
 * - open marker: pk `INCIDENT#OPEN`, sk `<id>`, while open (`openFor` and the page read this
 *   tiny partition); attributes `ref` (the record's sk), `checkId`, `severity`.
 * - id pointer: pk `INCIDENT#ID`, sk `<id>` → `ref`, so `get(id)` is two GetItems, never a scan.
 *
 * There are no transactions in the embedded store, so writes are ordered to heal themselves:
 * the pointer first (its conditional put is what makes `open` idempotent), then the record,
 * then the marker; a retried `open` or any later write repairs what a crash left out.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
  type PutItemCommandInput,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { isRetryable, retry, RetryError } from '../retry';
import { TABLE } from '../store/table';

export type IncidentSeverity = 'down' | 'degraded' | 'maintenance' | 'notice';
export type IncidentStatus = 'investigating' | 'identified' | 'monitoring' | 'resolved';
export const INCIDENT_SEVERITIES: readonly IncidentSeverity[] = ['down', 'degraded', 'maintenance', 'notice'];
export const INCIDENT_STATUSES: readonly IncidentStatus[] = ['investigating', 'identified', 'monitoring', 'resolved'];

export interface IncidentUpdate {
  /** ISO time of the update. */
  at: string;
  status: IncidentStatus;
  /** Public-safe text shown on the page and in the feed. */
  message: string;
  /** Who wrote it (never shown publicly). */
  by?: string;
}

export interface Incident {
  /** Stable: notifier-opened ones derive it from (checkId, severity, startedAt). */
  id: string;
  /** The check whose alarm opened it (never shown publicly). */
  checkId?: string;
  /** Public component names it affects ([] until a status page maps it). */
  components: string[];
  severity: IncidentSeverity;
  /** Public-safe, e.g. "Checkout is unavailable". */
  title: string;
  startedAt: string;
  endedAt?: string;
  source: 'notifier' | 'manual';
  /** Oldest first. */
  updates: IncidentUpdate[];
  acknowledged?: { by: string; at: string; until?: string };
}

export type OpenIncident = Omit<Incident, 'id' | 'updates' | 'endedAt'> & { id?: string; message?: string };

/** An id that names no incident (a user's typo, or one that expired). */
export class IncidentNotFoundError extends Error {
  constructor(readonly id: string) {
    super(`no incident with id "${id}"`);
    this.name = 'IncidentNotFoundError';
  }
}

export const INCIDENT_PREFIX = 'INCIDENT';
const OPEN_PK = `${INCIDENT_PREFIX}#OPEN`;
const ID_PK = `${INCIDENT_PREFIX}#ID`;
/** Resolved incidents are kept as long as the daily rollups (the report and the 90-day bars read both). */
export const INCIDENT_KEEP_MS = 400 * 86_400_000;
/** A lost write race is tried again after a short random wait; AWS hiccups get the usual backoff. */
const RACE = { attempts: 8, baseMs: 5, capMs: 100, jitter: 'full' } as const;

/** The id a notifier-opened incident gets: the same inputs always give the same id. */
export function incidentId(checkId: string, severity: IncidentSeverity, startedAt: string): string {
  return `inc-${createHash('sha256').update(`${checkId}\n${severity}\n${startedAt}`).digest('hex').slice(0, 12)}`;
}

const key = (pk: string, sk: string): Record<string, AttributeValue> => ({
  [TABLE.partitionKey]: { S: pk },
  [TABLE.sortKey]: { S: sk },
});

function parse(item: Record<string, AttributeValue> | undefined): { incident: Incident; version: number } | undefined {
  const text = item?.incident?.S;
  if (!text) return undefined;
  return { incident: JSON.parse(text) as Incident, version: Number(item.version?.N ?? 0) };
}

/** Optimistic locking: write only if absent (no version yet) or still at the version read. */
function versionGuard(
  version: number | undefined,
): Pick<PutItemCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> {
  if (version === undefined)
    return {
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
    };
  return {
    ConditionExpression: '#v = :v',
    ExpressionAttributeNames: { '#v': 'version' },
    ExpressionAttributeValues: { ':v': { N: String(version) } },
  };
}

function isoOrThrow(what: string, s: string | undefined): void {
  if (s !== undefined && Number.isNaN(Date.parse(s))) throw new TypeError(`${what}: not an ISO time: "${s}"`);
}

export class IncidentStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  private async send<T>(fn: () => Promise<T>): Promise<T> {
    const out = await retry(fn, { attempts: 4, baseMs: 50 });
    if (out.ok) return out.value;
    if (out.error !== undefined && !isRetryable(out.error)) throw out.error;
    throw new RetryError(out);
  }

  private async getItem(pk: string, sk: string) {
    const res = await this.send(() =>
      this.client.send(new GetItemCommand({ TableName: this.tableName, Key: key(pk, sk), ConsistentRead: true })),
    );
    return res.Item;
  }

  /** Every item a Query returns, page after page. */
  private async queryAll(input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>) {
    const items: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const res = await this.send(() =>
        this.client.send(new QueryCommand({ ...input, TableName: this.tableName, ExclusiveStartKey: start })),
      );
      items.push(...(res.Items ?? []));
      start = res.LastEvaluatedKey;
    } while (start);
    return items;
  }

  private async ref(id: string): Promise<string | undefined> {
    return (await this.getItem(ID_PK, id))?.ref?.S;
  }

  /** Writes the record; `version` undefined: only if absent. False when someone else wrote first. */
  private async putRecord(incident: Incident, version: number | undefined): Promise<boolean> {
    const ended = incident.endedAt ? Date.parse(incident.endedAt) : undefined;
    try {
      await this.send(() =>
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: {
              ...key(INCIDENT_PREFIX, `${incident.startedAt}#${incident.id}`),
              incident: { S: JSON.stringify(incident) },
              version: { N: String((version ?? 0) + 1) },
              startedAt: { S: incident.startedAt },
              ...(incident.endedAt ? { endedAt: { S: incident.endedAt } } : {}),
              ...(ended !== undefined
                ? { [TABLE.ttlAttribute]: { N: String(Math.floor((ended + INCIDENT_KEEP_MS) / 1000)) } }
                : {}),
            },
            ...versionGuard(version),
          }),
        ),
      );
      return true;
    } catch (e) {
      if ((e as Error).name === 'ConditionalCheckFailedException') return false;
      throw e;
    }
  }

  /** Keeps the open marker in step with the record: present while open, gone once ended. */
  private async syncMarker(incident: Incident): Promise<void> {
    const k = key(OPEN_PK, incident.id);
    if (incident.endedAt) {
      await this.send(() => this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: k })));
      return;
    }
    await this.send(() =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            ...k,
            ref: { S: `${incident.startedAt}#${incident.id}` },
            severity: { S: incident.severity },
            ...(incident.checkId ? { checkId: { S: incident.checkId } } : {}),
          },
        }),
      ),
    );
  }

  /** Idempotent: opening the same (checkId, severity, startedAt) twice returns the first. */
  async open(i: OpenIncident): Promise<Incident> {
    isoOrThrow('startedAt', i.startedAt);
    const { message, id: given, ...rest } = i;
    const id =
      given ?? (i.checkId ? incidentId(i.checkId, i.severity, i.startedAt) : `inc-${randomBytes(6).toString('hex')}`);
    const ref = `${i.startedAt}#${id}`;
    const fresh: Incident = {
      ...rest,
      id,
      components: [...i.components],
      updates: message ? [{ at: i.startedAt, status: 'investigating', message }] : [],
    };
    try {
      await this.send(() =>
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: { ...key(ID_PK, id), ref: { S: ref } },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
          }),
        ),
      );
    } catch (e) {
      if ((e as Error).name !== 'ConditionalCheckFailedException') throw e;
      const existing = await this.get(id);
      if (existing) return existing;
      // The pointer exists but the record does not: an earlier open stopped half-way. Finish it.
    }
    if (!(await this.putRecord(fresh, undefined))) {
      const existing = await this.get(id);
      if (existing) return existing;
    }
    await this.syncMarker(fresh);
    return fresh;
  }

  async get(id: string): Promise<Incident | undefined> {
    const ref = await this.ref(id);
    if (!ref) return undefined;
    return parse(await this.getItem(INCIDENT_PREFIX, ref))?.incident;
  }

  /** Read, change, write if nobody wrote in between; a lost race reads again. */
  private async mutate(id: string, change: (i: Incident) => Incident | undefined): Promise<Incident> {
    const ref = await this.ref(id);
    if (!ref) throw new IncidentNotFoundError(id);
    const out = await retry(
      async () => {
        const stored = parse(await this.getItem(INCIDENT_PREFIX, ref));
        if (!stored) throw new IncidentNotFoundError(id);
        const next = change(structuredClone(stored.incident));
        if (!next) return { incident: stored.incident, written: true };
        return { incident: next, written: await this.putRecord(next, stored.version) };
      },
      { ...RACE, retryable: () => false, again: (v) => !v.written },
    );
    if (!out.ok) {
      if (out.error !== undefined) throw out.error;
      throw new Error(`incident ${id} kept changing under us (${out.attempts} attempts)`);
    }
    await this.syncMarker(out.value.incident);
    return out.value.incident;
  }

  /** Appends an update; one with status `resolved` also ends the incident (at `u.at`). */
  async addUpdate(id: string, u: IncidentUpdate): Promise<Incident> {
    isoOrThrow('update.at', u.at);
    return this.mutate(id, (i) => {
      i.updates.push({ ...u });
      i.updates.sort((a, b) => a.at.localeCompare(b.at));
      if (u.status === 'resolved' && !i.endedAt) i.endedAt = u.at;
      return i;
    });
  }

  /** Ends the incident; resolving one already ended changes nothing. */
  async resolve(id: string, at: string, message?: string, by?: string): Promise<Incident> {
    isoOrThrow('resolve at', at);
    return this.mutate(id, (i) => {
      if (i.endedAt) return undefined;
      i.endedAt = at;
      i.updates.push({
        at,
        status: 'resolved',
        message: message ?? 'This incident has been resolved.',
        ...(by ? { by } : {}),
      });
      return i;
    });
  }

  /** Records who is on it and adds an 'investigating' update (public text names nobody). */
  async acknowledge(id: string, by: string, at: string, until?: string): Promise<Incident> {
    isoOrThrow('acknowledge at', at);
    isoOrThrow('acknowledge until', until);
    return this.mutate(id, (i) => {
      i.acknowledged = { by, at, ...(until ? { until } : {}) };
      i.updates.push({ at, status: 'investigating', message: 'We are investigating this issue.', by });
      return i;
    });
  }

  /** Every open incident, newest first (reads only the small open partition). */
  async listOpen(): Promise<Incident[]> {
    const items = await this.queryAll({
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': TABLE.partitionKey },
      ExpressionAttributeValues: { ':pk': { S: OPEN_PK } },
      ConsistentRead: true,
    });
    const refs = items.map((item) => item.ref?.S).filter((r): r is string => !!r);
    const out: Incident[] = [];
    for (const ref of refs) {
      const p = parse(await this.getItem(INCIDENT_PREFIX, ref));
      if (p && !p.incident.endedAt) out.push(p.incident);
    }
    return out.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  }

  /** The newest open incident of a check (of one severity, when given). */
  async openFor(checkId: string, severity?: IncidentSeverity): Promise<Incident | undefined> {
    return (await this.listOpen()).find((i) => i.checkId === checkId && (!severity || i.severity === severity));
  }

  /** Incidents overlapping [since, until], newest first. */
  async list(opts: { since: string; until?: string }): Promise<Incident[]> {
    isoOrThrow('since', opts.since);
    isoOrThrow('until', opts.until);
    const values: Record<string, AttributeValue> = { ':pk': { S: INCIDENT_PREFIX }, ':since': { S: opts.since } };
    let cond = '#pk = :pk';
    if (opts.until) {
      cond += ' AND #sk <= :until';
      values[':until'] = { S: `${opts.until}#~` };
    }
    const items = await this.queryAll({
      KeyConditionExpression: cond,
      FilterExpression: 'attribute_not_exists(#end) OR #end >= :since',
      ExpressionAttributeNames: {
        '#pk': TABLE.partitionKey,
        '#end': 'endedAt',
        ...(opts.until ? { '#sk': TABLE.sortKey } : {}),
      },
      ExpressionAttributeValues: values,
      ScanIndexForward: false,
    });
    const out: Incident[] = [];
    for (const item of items) {
      const p = parse(item);
      if (p && (!opts.until || p.incident.startedAt <= opts.until)) out.push(p.incident);
    }
    return out;
  }
}
