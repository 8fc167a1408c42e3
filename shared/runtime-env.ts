/**
 * Environment variables the CDK app sets on the runner Lambda and the runner reads. One list,
 * so infra and functions cannot drift apart.
 */
export const RUNNER_ENV = {
  /** Home region: metrics and secrets are read/written there. */
  homeRegion: 'WATCHPOST_HOME_REGION',
  /** Results table name (in the home region; one table, no replicas). */
  table: 'WATCHPOST_TABLE',
} as const;

/** Set on every watchpost Lambda by infra/watchpost-function.ts and read by functions/lib/bootstrap.ts. */
export const LAMBDA_ENV = {
  /** File with the validated config, relative to the bundle root. @default {@link BUNDLED_CONFIG_FILE} */
  configFile: 'WATCHPOST_CONFIG_FILE',
} as const;

/** The file name the config is shipped as inside the runner bundle. */
export const BUNDLED_CONFIG_FILE = 'watchpost.config.json';
