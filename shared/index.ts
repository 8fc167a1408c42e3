/** What a watchpost.config.ts imports. */
export { defineConfig } from './config/define';
export type { WatchpostConfig, CheckConfig, CheckCommon, CheckDefaults, NotifyTargets, Severity } from './config/types';
export * from './assertions/builders';
export type { Assertion, CheckResult, SecretRef } from './types';
export type { Duration } from './duration';
