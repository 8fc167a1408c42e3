import type { CheckCommon } from '../../config/types';
import type { Duration } from '../../duration';
import type { SecretRef } from '../../types';

/**
 * A heartbeat (push) check for cron jobs and import/export processes: the job calls the
 * watchpost ping endpoint, and the check fails when a ping does not come in time.
 *
 * The job calls (with `Authorization: Bearer <token>`):
 * - `POST /ping/<id>` when it finished well (this is "the ping" that `period` or `schedule` expects),
 * - `POST /ping/<id>/start` when it starts (optional: measures the run's duration, arms `maxRuntime`),
 * - `POST /ping/<id>/fail` when it failed, or `POST /ping/<id>/<exit-code>` (0 is success, 1–255 a
 *   failure with that code), each with `?rid=<uuid>` to pair a start with its end when runs overlap.
 * The first 10 KiB of a ping's body (e.g. the job's output) is kept, redacted, and quoted in pages.
 *
 * Say when pings are due with either `period` (every so long) or `schedule` (cron, in `timezone`).
 *
 * A heartbeat check judges stored pings, not a network target: it runs in exactly one region
 * (set `regions` to the home region when the config has several).
 * @example
 * { id: 'nightly-export', kind: 'heartbeat', period: '1d', grace: '1h', maxRuntime: '2h',
 *   token: { secret: 'heartbeat/nightly-export' }, regions: ['eu-central-1'] }
 * @example
 * { id: 'nightly-import', kind: 'heartbeat', schedule: '0 2 * * *', timezone: 'Europe/Rome',
 *   grace: '30m', token: { secret: 'heartbeat/nightly-import' }, regions: ['eu-central-1'] }
 */
export interface HeartbeatCheck extends CheckCommon {
  kind: 'heartbeat';
  /**
   * How often the job pings when all is well. From 1s to 31d. Give this or `schedule`.
   * @example "1h"
   */
  period?: Duration;
  /**
   * When the job runs, as 5-field cron (minute hour day-of-month month day-of-week, e.g. the
   * job's crontab line), read in `timezone`: a good ping is due after each fire time, and the
   * check fails when none arrived by that time plus `grace`. Give this or `period`.
   * @example "0 2 * * *"
   * @example "30 6 * * MON-FRI"
   */
  schedule?: string;
  /**
   * The IANA time zone `schedule` is read in (daylight saving time included: `0 2 * * *` in
   * `Europe/Rome` is 02:00 local time all year). Only with `schedule`.
   * @default "UTC"
   * @example "Europe/Rome"
   */
  timezone?: string;
  /**
   * Extra time after `period`, or after each `schedule` fire time, before a missing ping fails
   * the check (jobs are late sometimes, and take time to finish). @example "10m"
   */
  grace: Duration;
  /**
   * A run that called `/start` must end (`/ping/<id>` or `/fail`) within this time, or the
   * check fails with `RUNTIME_EXCEEDED` while it is still open. A run that ended late leaves
   * the check `degraded` until the next run ends in time. @default no limit @example "2h"
   */
  maxRuntime?: Duration;
  /**
   * The token the job sends as `Authorization: Bearer <token>`: a secret reference (never
   * inline, it would end up in the repository). Locally `WATCHPOST_SECRET_<NAME>`, in AWS a
   * Secrets Manager secret in the home region. At least 16 characters (e.g. `openssl rand -hex 16`):
   * with a shorter one the endpoint refuses the pings and the check fails with `TOKEN_TOO_SHORT`.
   */
  token: SecretRef;
}

declare module '../../config/types' {
  interface CheckKinds {
    heartbeat: HeartbeatCheck;
  }
}
