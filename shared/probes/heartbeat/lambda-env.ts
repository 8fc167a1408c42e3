/** What the heartbeat endpoint Lambda reads, set by `infra/heartbeat-endpoint.ts`: one list so both agree. */
import { RUNNER_ENV } from '../../runtime-env';

export const HEARTBEAT_ENV = {
  /** Results table name (pings are stored there under `PING#<checkId>`). */
  table: RUNNER_ENV.table,
  /**
   * The validated config as JSON, relative to `LAMBDA_TASK_ROOT` (shipped in the bundle like the
   * runner's: an environment variable holds only 4 KB). The endpoint reads its heartbeat checks.
   */
  configFile: RUNNER_ENV.configFile,
  /** Days ping events are kept (`expiresAt`). */
  retentionDays: 'WATCHPOST_PING_RETENTION_DAYS',
} as const;
