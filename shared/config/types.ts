/**
 * The types of `watchpost.config.ts`. Probe kinds add their check types to {@link CheckKinds}
 * by declaration merging from their own folder, so adding a kind touches no file here.
 */
import type { Duration } from '../duration';
import type { Assertion } from '../types';

/** Who gets paged, per severity. */
export interface NotifyTargets {
  /** Phone numbers in E.164 form, e.g. `+4915112345678`. @default [] */
  sms?: string[];
  /** Email addresses. @default [] */
  email?: string[];
}

export type Severity = 'critical' | 'warning';

/** Fields every check has, whatever its kind. */
export interface CheckCommon {
  /** Unique slug: lower-case letters, digits and dashes, e.g. `shop-cart`. Used in metric dimensions and alarm names. */
  id: string;
  /** The probe kind, e.g. `http`. */
  kind: string;
  /** A name for people, e.g. `Shop: add to cart`. @default the id */
  name?: string;
  /** How often it runs. @default "1m" @example "5m" */
  frequency?: Duration;
  /** How long one attempt may take before it fails with `TIMEOUT`. @default "10s" */
  timeout?: Duration;
  /** Retries after a failed attempt (with backoff) before the run counts as failed. @default 0 */
  retries?: number;
  /** The regions it runs in: a subset of the config's `regions`. @default all of them */
  regions?: string[];
  /** Which topic its alarms page. @default "critical" */
  severity?: Severity;
  /** A run slower than this is `degraded` instead of `pass`. @example "2s" */
  degradedAfter?: Duration;
  /** Free labels, e.g. `{ team: 'checkout' }`. @default {} */
  tags?: Record<string, string>;
  /** A link for on-call: what to do when it fails. Goes into alarm descriptions and pages. */
  runbook?: string;
  /** `false` keeps the check in the config without running it or alarming. @default true */
  enabled?: boolean;
  /** Assertions on what the probe observed; the sources depend on the kind. @default [] */
  assertions?: Assertion[];
}

/**
 * Map of kind name → check type. Each probe kind adds itself:
 * ```ts
 * declare module '../../config/types' { interface CheckKinds { http: HttpCheck } }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface CheckKinds {}

/** A check as written in the config: one of the registered kinds. */
export type CheckConfig = CheckKinds[keyof CheckKinds] extends never ? CheckCommon : CheckKinds[keyof CheckKinds];

/** Values that apply to every check that does not set its own. */
export interface CheckDefaults {
  /** @default "1m" */
  frequency?: Duration;
  /** @default "10s" */
  timeout?: Duration;
  /** @default 0 */
  retries?: number;
  /** @default "critical" */
  severity?: Severity;
  degradedAfter?: Duration;
  /** @default all of the config's regions */
  regions?: string[];
  tags?: Record<string, string>;
}

/** The whole config: the default export of `watchpost.config.ts`. */
export interface WatchpostConfig {
  /** Name prefix for every AWS resource and metric dimension, e.g. `shop`. Lower-case letters, digits, dashes. */
  project: string;
  /** Where the table, topics, alarms and dashboard live, and where every region publishes metrics. @example "eu-central-1" */
  homeRegion: string;
  /** Where probes run. @example ["eu-central-1", "us-east-1", "ap-southeast-1"] */
  regions: string[];
  /** Who is paged for `critical` and for `warning` alarms. */
  notify?: { critical?: NotifyTargets; warning?: NotifyTargets };
  /** Defaults for every check. */
  defaults?: CheckDefaults;
  /** How long run history is kept. @default "30d" */
  retention?: Duration;
  checks: CheckConfig[];
}

/** A check after validation: every common field is set. */
export type ValidatedCheck<C = CheckConfig> = C &
  Required<Pick<CheckCommon, 'name' | 'frequency' | 'timeout' | 'retries' | 'regions' | 'severity' | 'tags' | 'enabled' | 'assertions'>>;

/** A config after validation: defaults applied, checks complete. */
export interface ValidatedConfig extends Omit<WatchpostConfig, 'checks' | 'retention'> {
  retention: Duration;
  notify: { critical: Required<NotifyTargets>; warning: Required<NotifyTargets> };
  checks: ValidatedCheck[];
}
