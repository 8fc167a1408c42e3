/**
 * The one seam for probe kinds. A kind is a folder under `shared/probes/` that exports a
 * {@link ProbeKind}; `registry.ts` maps kind → implementation, and config validation, the
 * runner, the CLI and the CDK app all read that registry.
 */
import type { LookupFunction } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Issues, Shape } from '../config/schema';
import type { ValidatedCheck, ValidatedConfig } from '../config/types';
import type { CheckError, DegradedReason } from '../types';

/** A metric a kind publishes besides `Failed` and `Duration` (keep them few: each costs money). */
export interface KindMetric {
  /** PascalCase noun, e.g. `TransitTime`. */
  name: string;
  unit: 'Milliseconds' | 'Count' | 'None' | 'Seconds' | 'Percent';
}

/**
 * An alarm a kind adds beyond the common down/degraded alarms. The CDK app turns it into a
 * CloudWatch alarm in the home region over the metric of every region the check runs in.
 */
export interface KindAlarm {
  /** Short suffix for the alarm name, e.g. `transit`. */
  name: string;
  metric: string;
  /** CloudWatch statistic over a period, e.g. `Maximum`, `p90`. */
  statistic: string;
  comparison: 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold';
  threshold: number;
  /** How region series combine: the worst region (`max`/`min`) decides. */
  acrossRegions: 'max' | 'min';
  severity: 'critical' | 'warning';
  /** Sentence for on-call, e.g. `mail takes longer than 60s to arrive`. */
  description: string;
  /** @default "notBreaching" */
  treatMissingData?: 'breaching' | 'notBreaching' | 'ignore' | 'missing';
  /**
   * Seconds per evaluation period (60 or a multiple of 60). Set it at least as long as the
   * check's frequency when `treatMissingData` is `breaching`, or periods without a run breach.
   * @default the check's frequency, at least 60
   * @example 300
   */
  periodSeconds?: number;
  /**
   * Makes this an anomaly-detection alarm: the metric (with `statistic`) is compared with
   * `ANOMALY_DETECTION_BAND(metric, anomalyBand)` and the alarm fires when it leaves the band on
   * either side (`LessThanLowerOrGreaterThanUpperThreshold`). `anomalyBand` is the band's width
   * in standard deviations; `threshold` and `comparison` are then ignored.
   * @example 2
   */
  anomalyBand?: number;
  /**
   * The degraded or error code a result carries when it crosses this alarm's level (e.g.
   * `CERT_EXPIRING`): the page quotes that result's reason (`expires in 14d (warnDays 21)`)
   * instead of the description alone.
   */
  code?: string;
}

/** What a probe reads an assertion source from. Returns `{ error }` when the source cannot be read (e.g. invalid JSON). */
export interface Observations {
  read(source: string, property: string | undefined): { value?: unknown; error?: CheckError };
}

/** What a probe returns: facts only. The runner core evaluates assertions and decides the status. */
export interface ProbeOutcome {
  /** Set when the target misbehaved (refused, timed out, bad certificate…). */
  error?: CheckError;
  /** Phase timings in ms, names stable per kind. */
  timings: Record<string, number>;
  /** The figure compared with `degradedAfter` (ms); usually the total time. */
  latencyMs?: number;
  /** Values of the kind's metrics (names from `metrics`). */
  metrics?: Record<string, number>;
  /** Facts for people, never secrets. */
  details?: Record<string, unknown>;
  /** Assertion sources, when the probe got far enough to observe anything. */
  observations?: Observations;
  /** A status the kind decided itself (e.g. tls: days to expiry below warnDays). */
  status?: 'degraded' | 'fail';
  /**
   * Why the kind says `degraded` (its own warn level).
   * @example { code: 'CERT_EXPIRING', message: 'expires in 14d (warnDays 21)' }
   */
  degraded?: DegradedReason;
}

/** Everything a probe may use besides its check. */
export interface ProbeContext {
  /** Aborts at the attempt's timeout or the runner's deadline, whichever is first. */
  signal: AbortSignal;
  /** ms the attempt may take. */
  timeoutMs: number;
  region: string;
  /** The whole validated config (some kinds look at siblings, e.g. history for `metric`). */
  config?: ValidatedConfig;
  /** Name lookup; tests point it at a DNS server on loopback. @default dns.lookup */
  lookup?: LookupFunction;
  /** Stored history for kinds that judge a figure against its past (metric). */
  history?: (checkId: string, limit: number) => Promise<Array<{ scheduledAt: string; metrics: Record<string, number> }>>;
  /** The results table, for kinds that judge state stored there instead of a network target (heartbeat reads its pings). */
  table?: { client: DynamoDBClient | DynamoDBDocumentClient; tableName: string };
  /**
   * Marks a value the probe learned during the run as secret (a multistep session token marked
   * `secret: true`): it is scrubbed from this run's result in all its forms, like a config secret.
   */
  secret?(value: string): void;
}

/**
 * An IAM permission the runner needs in AWS for one check (e.g. reading its SQS queue). The CDK
 * app adds exactly these to the runner role; `resources: ['*']` only for actions that have no
 * resource-level permissions, with `why` saying so (it becomes the cdk-nag acknowledgement).
 */
export interface RunnerPermission {
  actions: string[];
  /** ARNs; `{account}` is replaced with the deploying account. */
  resources: string[];
  /** Required when resources is `['*']`: why nothing narrower exists. */
  why?: string;
}

export interface ProbeKind<C = any> {
  kind: string;
  /** The kind's own config fields (besides the common ones). */
  fields: Shape;
  /** Assertion sources the kind can answer. */
  assertionSources: readonly string[];
  /** Sources whose target must be a number for lessThan/greaterThan. */
  numericSources?: readonly string[];
  /** Cross-field rules the schema cannot express. */
  validate?(check: C, path: string, issues: Issues): void;
  /** What it probes, for tables and alarm descriptions (no secrets). */
  target(check: ValidatedCheck<C>): string;
  /** @default "10s" */
  defaultTimeout?: string;
  metrics?: readonly KindMetric[];
  /**
   * Whether a run reads the check's secrets. `false` for a kind whose secrets serve something
   * else (heartbeat: the token authenticates pings at the endpoint): the runner then neither
   * resolves them nor is granted them in AWS.
   * @default true
   */
  runReadsSecrets?: boolean;
  /** IAM the runner needs in AWS for this check, beyond the table, metrics and secrets. */
  runnerPermissions?(check: ValidatedCheck<C>): RunnerPermission[];
  /** Extra alarms through the alarm seam. */
  alarms?(check: ValidatedCheck<C>): KindAlarm[];
  /** Runs one attempt. Never throws for a misbehaving target: that is `error` in the outcome. */
  run(check: ValidatedCheck<C>, ctx: ProbeContext): Promise<ProbeOutcome>;
}
