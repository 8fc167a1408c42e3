/**
 * One run of a `logs` check: count what the logs say over the last `window` — a local file read
 * from its end, or a Logs Insights query in AWS — and offer `count`, the query's numeric fields
 * and the newest matching line to the assertions.
 */
import type { ValidatedLogsCheck } from './index';
import { ms } from '../../duration';
import { errCode } from '../net/errors';
import { phaseTimer } from '../net';
import type { CheckError } from '../../types';
import type { Observations, ProbeContext, ProbeOutcome } from '../types';
import { runInsights } from './cloudwatch';
import { countFileLines } from './file';

/** Characters of the newest matching line quoted in a page. */
export const QUOTED_LINE_CHARS = 300;

const quote = (line: string) => {
  const one = line.replace(/\s+/g, ' ').trim();
  return one.length > QUOTED_LINE_CHARS ? `${one.slice(0, QUOTED_LINE_CHARS)}…` : one;
};

const numeric = (v: string | undefined) =>
  v !== undefined && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined;

class LogsObservations implements Observations {
  constructor(
    private readonly count: number,
    private readonly fields: Record<string, number>,
    private readonly newest: string | undefined,
  ) {}
  read(source: string, property: string | undefined): { value?: unknown } {
    if (source === 'count') return { value: this.count };
    if (source === 'field') return { value: property === undefined ? undefined : this.fields[property] };
    if (source === 'newestLine') return { value: this.newest };
    return {};
  }
}

function fileError(e: unknown, path: string, timeoutMs: number, signal: AbortSignal): CheckError {
  if (signal.aborted) return { code: 'TIMEOUT', message: `reading ${path} took longer than ${timeoutMs}ms` };
  const code = errCode(e);
  if (code === 'ENOENT') return { code: 'FILE_NOT_FOUND', message: `${path} does not exist` };
  if (code === 'EACCES' || code === 'EPERM')
    return { code: 'FILE_UNREADABLE', message: `${path} may not be read (${code})` };
  if (code === 'EISDIR') return { code: 'FILE_UNREADABLE', message: `${path} is a directory, not a log file` };
  return { code: 'FILE_UNREADABLE', message: `cannot read ${path}: ${(e as Error)?.message ?? String(e)}` };
}

export async function runLogs(check: ValidatedLogsCheck, ctx: ProbeContext): Promise<ProbeOutcome> {
  const elapsed = phaseTimer().total;
  const to = Date.now();
  const from = to - ms(check.window);
  const details: Record<string, unknown> = {
    window: check.window,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
  };
  let count: number;
  let newest: string | undefined;
  const fields: Record<string, number> = {};

  if (check.file) {
    const { path, pattern, timezone } = check.file;
    try {
      const r = await countFileLines(path, new RegExp(pattern), { from, to }, { timezone, signal: ctx.signal });
      count = r.count;
      newest = r.newest;
      Object.assign(details, { path, bytesRead: r.bytesRead, fileBytes: r.size });
      if (r.truncated) details.truncated = `stopped after ${r.bytesRead} bytes before the window's start`;
    } catch (e) {
      return { error: fileError(e, path, ctx.timeoutMs, ctx.signal), timings: { total: elapsed() }, details };
    }
  } else {
    const cw = check.cloudwatch!;
    const region = cw.region ?? ctx.region;
    const r = await runInsights(cw, region, { from, to }, ctx.signal, ctx.timeoutMs);
    Object.assign(details, { logGroups: cw.logGroups, region });
    if ('error' in r) return { error: r.error, timings: { total: elapsed() }, details };
    const first = r.rows[0] ?? {};
    for (const [k, v] of Object.entries(first)) {
      const n = numeric(v);
      if (n !== undefined && !k.startsWith('@')) fields[k] = n;
    }
    count = fields.count ?? r.rows.length;
    newest = first.newest || first['@message'] || undefined;
    Object.assign(details, { queryId: r.queryId, rows: r.rows.length, statistics: r.statistics, fields });
  }

  details.count = count;
  if (newest !== undefined) details.newestLine = quote(newest);
  return {
    timings: { total: elapsed() },
    details,
    metrics: { Matches: count },
    observations: new LogsObservations(count, fields, newest),
    // A failed count assertion's page quotes the newest matching line.
    ...(newest !== undefined ? { failureContext: `newest: ${quote(newest)}` } : {}),
  };
}
