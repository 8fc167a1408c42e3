/**
 * A Logs Insights query over the window: StartQuery, GetQueryResults polled until it completes
 * within the check's deadline, StopQuery when the deadline comes first (a query left running
 * keeps scanning, and costs, after the run has given up).
 */
import {
  CloudWatchLogsClient,
  GetQueryResultsCommand,
  StartQueryCommand,
  StopQueryCommand,
  type ResultField,
} from '@aws-sdk/client-cloudwatch-logs';
import { awsClient } from '../../aws-clients';
import type { CheckError } from '../../types';
import { awsError } from '../queue/sqs';
import type { LogsCloudWatch } from './types';

/** Between two GetQueryResults calls: short at first (small windows finish in about a second). */
const POLL_MS = [250, 500, 1000];
const clients = new Map<string, CloudWatchLogsClient>();

/** One client per region: a warm Lambda reuses connections and credentials. */
function client(region: string): CloudWatchLogsClient {
  let c = clients.get(region);
  if (!c) {
    c = awsClient(CloudWatchLogsClient, { region, maxAttempts: 2 });
    clients.set(region, c);
  }
  return c;
}

/** Forgets the clients (tests change endpoints between suites). */
export function resetLogsClients(): void {
  clients.clear();
}

/** `/` inside a pattern would end the Insights regex literal. */
const escapeSlashes = (pattern: string) => pattern.replace(/(?<!\\)\//g, '\\/');

/** The query a check runs: its own, or a count (and the newest line) of the lines matching `pattern`. */
export function insightsQuery(cw: LogsCloudWatch): string {
  if (cw.query) return cw.query;
  const filter = cw.pattern !== undefined ? `filter @message like /${escapeSlashes(cw.pattern)}/ | ` : '';
  return `${filter}stats count(*) as count, latest(@message) as newest`;
}

export interface InsightsResult {
  /** Rows as field → value (Insights returns every value as a string). */
  rows: Array<Record<string, string>>;
  queryId: string;
  /** Records scanned, bytes scanned (what the query costs). */
  statistics?: { recordsScanned?: number; bytesScanned?: number; recordsMatched?: number };
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

const rowOf = (fields: ResultField[]) =>
  Object.fromEntries(fields.filter((f) => f.field).map((f) => [f.field!, f.value ?? '']));

/** Runs the query over [from, to] (epoch ms). Never throws: a failure is an error with a code. */
export async function runInsights(
  cw: LogsCloudWatch,
  region: string,
  window: { from: number; to: number },
  signal: AbortSignal,
  timeoutMs: number,
): Promise<InsightsResult | { error: CheckError }> {
  const logs = client(region);
  const where = `${cw.logGroups.join(', ')} in ${region}`;
  let queryId: string | undefined;
  try {
    const started = await logs.send(
      new StartQueryCommand({
        logGroupNames: cw.logGroups,
        // Insights takes whole seconds.
        startTime: Math.floor(window.from / 1000),
        endTime: Math.ceil(window.to / 1000),
        queryString: insightsQuery(cw),
      }),
      { abortSignal: signal },
    );
    queryId = started.queryId;
    if (!queryId) return { error: { code: 'PROTOCOL', message: `StartQuery for ${where} returned no queryId` } };
    for (let i = 0; ; i++) {
      const res = await logs.send(new GetQueryResultsCommand({ queryId }), { abortSignal: signal });
      const status = res.status ?? 'Unknown';
      if (status === 'Complete')
        return { queryId, rows: (res.results ?? []).map(rowOf), statistics: res.statistics ?? {} };
      if (status === 'Failed' || status === 'Cancelled' || status === 'Timeout' || status === 'Unknown')
        return { error: { code: 'QUERY_FAILED', message: `the Logs Insights query over ${where} ended ${status}` } };
      await sleep(POLL_MS[Math.min(i, POLL_MS.length - 1)]!, signal);
      if (signal.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
    }
  } catch (e) {
    if (queryId !== undefined && signal.aborted) await stop(logs, queryId);
    const name = (e as { name?: string }).name ?? '';
    if (name === 'ResourceNotFoundException')
      return {
        error: {
          code: 'LOG_GROUP_NOT_FOUND',
          message: `a log group of ${where} does not exist: ${(e as Error).message}`,
        },
      };
    if (name === 'MalformedQueryException')
      return { error: { code: 'QUERY_INVALID', message: `Logs Insights rejected the query: ${(e as Error).message}` } };
    return { error: awsError(e, queryId ? 'GetQueryResults' : 'StartQuery', where, signal, timeoutMs) };
  }
}

/** Best effort, briefly: the run has already given up. */
async function stop(logs: CloudWatchLogsClient, queryId: string): Promise<void> {
  try {
    await logs.send(new StopQueryCommand({ queryId }), { abortSignal: AbortSignal.timeout(2_000) });
  } catch {
    /* the query ends on its own at Insights' limit */
  }
}
