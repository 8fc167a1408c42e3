/**
 * `watchpost report [--since 30d | --month 2026-11] [--check ID]... [--format table|csv|json] [--json] [--aws]`:
 * uptime per check and per region, maintenance excluded, from the local store or the deployed table.
 */
import { DEFAULT_CONFIG_FILE } from '../config/load';
import { closest } from '../config/schema';
import { parseDuration } from '../duration';
import { buildReport, type CheckReport, type LatencyFigures, type UptimeReport } from '../status/report';
import { CliError, commandNow, EXIT, parseFlags } from './args';
import { c, print, table } from './format';
import { DEFAULT_DATA_DIR } from './local';
import { loadValidConfig } from './main';
import { openTableSource } from './table-source';

const DAY = 86_400_000;
const FORMATS = ['table', 'csv', 'json'] as const;
type Format = (typeof FORMATS)[number];

/** The period asked for: `--month YYYY-MM` (UTC, up to now) or `--since <duration>` back from now. */
export function reportPeriod(values: { since?: string; month?: string }, now: number): { from: number; to: number } {
  if (values.since !== undefined && values.month !== undefined) throw new CliError('give --since or --month, not both');
  if (values.month !== undefined) {
    const m = /^(\d{4})-(\d{2})$/.exec(values.month);
    const month = m ? Number(m[2]) : 0;
    if (!m || month < 1 || month > 12)
      throw new CliError(`--month: expected a month such as "2026-11", got "${values.month}"`);
    const from = Date.UTC(Number(m[1]), month - 1, 1);
    if (from > now) throw new CliError(`--month ${values.month} has not begun yet`);
    return { from, to: Math.min(now, Date.UTC(Number(m[1]), month, 1)) };
  }
  const since = values.since ?? '30d';
  const span = parseDuration(since);
  if (span === undefined || span < 60_000 || span > 400 * DAY)
    throw new CliError(`--since: expected a duration from 1m to 400d such as "30d" or "12h", got "${since}"`);
  return { from: now - span, to: now };
}

const pct = (v: number | null) => (v === null ? '–' : `${v.toFixed(3)}%`);
const msText = (v: number | null) => (v === null ? '–' : `${v}ms`);
const minutes = (m: number) => (m >= 120 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${m}m`);

function tableText(r: UptimeReport): string {
  const rows: string[][] = [];
  for (const ch of r.checks) {
    rows.push([
      ch.checkId,
      '',
      pct(ch.uptimePercent),
      minutes(ch.downMinutes),
      minutes(ch.degradedMinutes),
      minutes(ch.maintenanceMinutes),
      minutes(ch.noDataMinutes),
      ch.incidents.count ? `${ch.incidents.count} (longest ${minutes(ch.incidents.longestMinutes)})` : '0',
      msText(ch.latencyMs.p50),
      msText(ch.latencyMs.p95),
      msText(ch.latencyMs.p99),
    ]);
    for (const reg of ch.regions)
      rows.push([
        '',
        reg.region,
        c.dim(`${pct(reg.successPercent)} of ${reg.runs} runs`),
        c.dim(`${reg.failures} failed`),
        c.dim(`${reg.degraded} slow`),
        '',
        '',
        '',
        c.dim(msText(reg.latencyMs.p50)),
        c.dim(msText(reg.latencyMs.p95)),
        c.dim(msText(reg.latencyMs.p99)),
      ]);
  }
  const head = ['CHECK', 'REGION', 'UPTIME', 'DOWN', 'DEGRADED', 'MAINT.', 'NO DATA', 'INCIDENTS', 'P50', 'P95', 'P99'];
  return (
    `${c.dim(`${r.period.from} → ${r.period.to} (UTC)`)}\n${table(head, rows)}\n` +
    `${c.dim('Uptime: minutes with data, maintenance excluded, that were not inside a DOWN incident.')}\n` +
    `${c.dim('Per region: the share of runs that did not fail. Details: docs/status-page.md')}\n`
  );
}

const CSV_HEAD = [
  'checkId',
  'region',
  'uptimePercent',
  'successPercent',
  'minutes',
  'downMinutes',
  'degradedMinutes',
  'maintenanceMinutes',
  'noDataMinutes',
  'incidents',
  'longestIncidentMinutes',
  'runs',
  'failures',
  'degradedRuns',
  'p50Ms',
  'p95Ms',
  'p99Ms',
];

const cell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
const lat = (l: LatencyFigures) => [l.p50, l.p95, l.p99];

function csvText(r: UptimeReport): string {
  const lines = [CSV_HEAD.join(',')];
  const checkRow = (ch: CheckReport) => {
    const runs = ch.regions.reduce((a, x) => a + x.runs, 0);
    const failures = ch.regions.reduce((a, x) => a + x.failures, 0);
    const slow = ch.regions.reduce((a, x) => a + x.degraded, 0);
    const t = ch.incidents;
    return [ch.checkId, '', ch.uptimePercent, '', ch.minutes, ch.downMinutes, ch.degradedMinutes]
      .concat([ch.maintenanceMinutes, ch.noDataMinutes, t.count, t.longestMinutes, runs, failures, slow])
      .concat(lat(ch.latencyMs));
  };
  for (const ch of r.checks) {
    lines.push(checkRow(ch).map(cell).join(','));
    for (const reg of ch.regions)
      lines.push(
        [ch.checkId, reg.region, '', reg.successPercent, '', '', '', '', '', '', '', reg.runs, reg.failures]
          .concat([reg.degraded, ...lat(reg.latencyMs)])
          .map(cell)
          .join(','),
      );
  }
  return `${lines.join('\n')}\n`;
}

export async function reportCommand(args: string[]): Promise<number> {
  const { values } = parseFlags('report', {
    args,
    options: {
      since: { type: 'string' },
      month: { type: 'string' },
      check: { type: 'string', multiple: true },
      format: { type: 'string', default: 'table' },
      json: { type: 'boolean', default: false },
      aws: { type: 'boolean', default: false },
      data: { type: 'string', default: DEFAULT_DATA_DIR },
      config: { type: 'string', default: DEFAULT_CONFIG_FILE },
    },
  });
  const format = (values.json ? 'json' : values.format) as Format;
  if (!FORMATS.includes(format)) {
    const near = closest(String(values.format), FORMATS);
    throw new CliError(
      `--format: unknown format "${values.format}" — hint: ` +
        `${near ? `did you mean "${near}"? ` : ''}one of ${FORMATS.join(', ')}`,
    );
  }
  const period = reportPeriod(values, commandNow().getTime());
  const config = await loadValidConfig(values.config!);
  const ids = config.checks.map((ch) => ch.id);
  for (const id of values.check ?? [])
    if (!ids.includes(id)) {
      const near = closest(id, ids);
      throw new CliError(
        `--check: no check "${id}" in ${values.config} — hint: ` +
          (near ? `did you mean "${near}"?` : `checks: ${ids.join(', ')}`),
      );
    }
  const checks = values.check?.length
    ? config.checks.filter((ch) => values.check!.includes(ch.id))
    : config.checks.filter((ch) => ch.enabled);
  const source = await openTableSource({
    aws: values.aws!,
    dataDir: values.data!,
    config,
    doing: 'read the results table',
  });
  try {
    const report = await buildReport({ config, checks, client: source.client, tableName: source.tableName, ...period });
    if (format === 'json') print({ json: report });
    else if (format === 'csv') print(csvText(report));
    else print(tableText(report));
    return EXIT.ok;
  } finally {
    await source.close();
  }
}
