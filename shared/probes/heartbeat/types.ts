import type { CheckCommon } from '../../config/types';
import type { Duration } from '../../duration';
import type { SecretRef } from '../../types';

/**
 * A heartbeat (push) check for cron jobs and import/export processes: the job calls the
 * watchpost ping endpoint, and the check fails when a ping does not come in time.
 *
 * The job calls (with `Authorization: Bearer <token>`):
 * - `POST /ping/<id>` when it finished well (this is "the ping" that `period` expects),
 * - `POST /ping/<id>/start` when it starts (optional: measures the run's duration, arms `maxRuntime`),
 * - `POST /ping/<id>/fail` when it failed.
 *
 * A heartbeat check judges stored pings, not a network target: it runs in exactly one region
 * (set `regions` to the home region when the config has several).
 * @example
 * { id: 'nightly-export', kind: 'heartbeat', period: '1d', grace: '1h', maxRuntime: '2h',
 *   token: { secret: 'heartbeat/nightly-export' }, regions: ['eu-central-1'] }
 */
export interface HeartbeatCheck extends CheckCommon {
  kind: 'heartbeat';
  /** How often the job pings when all is well, e.g. its cron interval. From 1s to 31d. @example "1h" */
  period: Duration;
  /** Extra time after `period` before a missing ping fails the check (jobs are late sometimes). @example "10m" */
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
