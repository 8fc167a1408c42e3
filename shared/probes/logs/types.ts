import type { CheckCommon } from '../../config/types';
import type { Duration } from '../../duration';

/** Logs Insights over CloudWatch log groups (in AWS). */
export interface LogsCloudWatch {
  /** Region of the log groups. @default the region the check runs in */
  region?: string;
  /** Log group names (1–50); the runner may query exactly these. @example ["/aws/rds/instance/shop/postgresql"] */
  logGroups: string[];
  /**
   * A Logs Insights query run over the window instead of the default one. Its first result row's
   * numeric fields become assertion sources (`{ source: 'field', property: 'p95' }`); a field
   * named `count` is `count`, else `count` is the number of rows.
   * @default "filter @message like /<pattern>/ | stats count(*) as count, latest(@message) as newest"
   * @example "filter status >= 500 | stats count(*) as count, pct(duration, 95) as p95"
   */
  query?: string;
  /** A regular expression the default query counts lines by. @default every line @example "ERROR|FATAL" */
  pattern?: string;
}

/** A log file on the machine the check runs on (locally, or a host running watchpost). */
export interface LogsFile {
  /** Path of the log file. @example "/var/log/postgresql/postgresql-16-main.log" */
  path: string;
  /** A regular expression (JavaScript syntax) a line must match to count. @example "ERROR|FATAL" */
  pattern: string;
  /**
   * The IANA zone of timestamps written without one (`2026-03-01 02:00:00` as MySQL writes by
   * default). Timestamps with `Z`, an offset, `UTC` or `GMT` carry their own.
   * @default "UTC"
   */
  timezone?: string;
}

/**
 * Counts what the logs say over the last `window`: matching lines in a log file, or a Logs
 * Insights query over CloudWatch log groups. Judge the count with assertions, e.g.
 * `{ source: 'count', comparison: 'lessThan', target: 10 }`; a page quotes the newest matching line.
 * @example
 * { id: 'db-errors', kind: 'logs', window: '5m', frequency: '5m',
 *   cloudwatch: { logGroups: ['/aws/rds/instance/shop/postgresql'], pattern: 'ERROR|FATAL' },
 *   assertions: [{ source: 'count', comparison: 'lessThan', target: 10 }] }
 * @example
 * { id: 'pg-log', kind: 'logs', window: '5m',
 *   file: { path: '/var/log/postgresql/postgresql-16-main.log', pattern: 'ERROR|FATAL' },
 *   assertions: [{ source: 'count', comparison: 'equals', target: 0 }] }
 */
export interface LogsCheck extends CheckCommon {
  kind: 'logs';
  /** How far back to count, from the run's start. From 1m to 7d. @example "5m" */
  window: Duration;
  /** Logs Insights over CloudWatch log groups. Give this or `file`. */
  cloudwatch?: LogsCloudWatch;
  /** A local log file. Give this or `cloudwatch`. */
  file?: LogsFile;
}

declare module '../../config/types' {
  interface CheckKinds {
    logs: LogsCheck;
  }
}
