/** What a watchpost.config.ts imports. */
export { defineConfig } from './config/define';
export type {
  AlarmSettings,
  CheckCommon,
  CheckConfig,
  CheckDefaults,
  FlappingSettings,
  LocalEmailSettings,
  MaintenanceWindow,
  NotifySettings,
  NotifyTargets,
  NotifyWebhook,
  Severity,
  WatchpostConfig,
} from './config/types';
export * from './assertions/builders';
export type { Assertion, CheckResult, SecretRef } from './types';
export type { Duration } from './duration';
// The kinds' check types join CheckConfig by declaration merging from their own folders; this
// pulls them in for a project that imports only this module (no runtime code is loaded).
export type * as probeKinds from './probes/registry';
