/**
 * What the heartbeat endpoint Lambda reads, set by `infra/heartbeat-endpoint.ts`: one list so both agree.
 * The config (its heartbeat checks) is shipped in the bundle like every Lambda's (`LAMBDA_ENV.configFile`).
 */
import { RUNNER_ENV } from '../../runtime-env';

export const HEARTBEAT_ENV = {
  /** Results table name (pings are stored there under `PING#<checkId>`). */
  table: RUNNER_ENV.table,
  /** Days ping events are kept (`expiresAt`). */
  retentionDays: 'WATCHPOST_PING_RETENTION_DAYS',
} as const;
