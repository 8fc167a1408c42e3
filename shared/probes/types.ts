/**
 * The one seam for probe kinds. A kind is a folder under `shared/probes/` that exports a
 * {@link ProbeKind}; `registry.ts` maps kind → implementation, and config validation, the
 * runner, the CLI and the CDK app all read that registry.
 */
import type { LookupFunction } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Infer, Issues, Output, SameType, Shape, Simplify } from '../config/schema';
import type { CheckCommon, ValidatedCheck, ValidatedConfig } from '../config/types';
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
  comparison:
    | 'GreaterThanThreshold'
    | 'GreaterThanOrEqualToThreshold'
    | 'LessThanThreshold'
    | 'LessThanOrEqualToThreshold';
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

/**
 * What a probe reads an assertion source from. Returns `{ error }` when the source cannot be read (e.g. invalid JSON).
 */
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
  /**
   * A sentence appended to the message of a failed assertion, so the page says what was seen
   * (logs: `newest: <the newest matching line>`). Redacted like the rest of the result.
   */
  failureContext?: string;
  /** A status the kind decided itself (e.g. tls: days to expiry below warnDays). */
  status?: 'degraded' | 'fail';
  /**
   * Why the kind says `degraded` (its own warn level).
   * @example { code: 'CERT_EXPIRING', message: 'expires in 14d (warnDays 21)' }
   */
  degraded?: DegradedReason;
}

/** Stored state a kind may read instead of (or besides) a network target. */
export interface ProbeState {
  /** The check's stored runs in this region, newest first (metric judges a figure against its past). */
  history(checkId: string, limit: number): Promise<Array<{ scheduledAt: string; metrics: Record<string, number> }>>;
  /** The results table (heartbeat judges the pings stored there). */
  table: { client: DynamoDBClient | DynamoDBDocumentClient; tableName: string };
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
  /**
   * Stored state, backed by the runner's store: only the parts the kind declares in
   * {@link ProbeKind.state}, and only those the runner has (none in a bare `watchpost run`).
   */
  state?: Partial<ProbeState>;
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
  /** ARNs; `{account}` is replaced with the deploying account, `{region}` with the runner's region. */
  resources: string[];
  /** Required when resources is `['*']`: why nothing narrower exists. */
  why?: string;
}

/**
 * A probe kind, for checks of type `C` (validated: common fields and the kind's defaults set).
 * Define one with {@link defineKind}, which derives `C` from the kind's `fields`.
 */
export interface ProbeKind<C = ValidatedCheck> {
  kind: string;
  /** The kind's own config fields (besides the common ones). */
  fields: Shape;
  /** Stored state the runner must supply in {@link ProbeContext.state}. @default none */
  state?: readonly (keyof ProbeState)[];
  /** Assertion sources the kind can answer. */
  assertionSources: readonly string[];
  /** Sources whose target must be a number for lessThan/greaterThan. */
  numericSources?: readonly string[];
  /** Cross-field rules the schema cannot express; runs once the kind's own fields are valid. */
  validate?(check: C, path: string, issues: Issues): void;
  /** What it probes, for tables and alarm descriptions (no secrets). */
  target(check: C): string;
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
  runnerPermissions?(check: C): RunnerPermission[];
  /** Extra alarms through the alarm seam. */
  alarms?(check: C): KindAlarm[];
  /**
   * Files the check names (a journey script), resolved against `baseDir` (the config file's
   * folder): returns the check with absolute paths; a missing file goes to `issues`.
   */
  resolveFiles?(check: C, baseDir: string, path: string, issues: Issues): C;
  /** Runs one attempt. Never throws for a misbehaving target: that is `error` in the outcome. */
  run(check: C, ctx: ProbeContext): Promise<ProbeOutcome>;
}

/** The documented fields of `C` its kind's schema must declare: its own, and common ones it overrides. */
type KindFields<C, S> = Simplify<Pick<C, Exclude<keyof C, keyof CheckCommon> | (keyof S & keyof C)>>;

/**
 * A validated check of documented type `C` whose kind fields are `S`: the fields with a default
 * are always set (probes never restate a default).
 */
export type KindCheck<C extends CheckCommon, S extends Shape> = Simplify<Omit<ValidatedCheck<C>, keyof S> & Output<S>>;

/**
 * Defines a kind: its check type is derived from its `fields`, and the documented input type
 * `C` (what users write, with JSDoc) must match those fields exactly — a compile error otherwise.
 * @example export const tlsKind = defineKind<TlsCheck>()({ kind: 'tls', fields: tlsFields, … })
 */
export function defineKind<C extends CheckCommon>() {
  return <S extends Shape>(
    kind: ProbeKind<KindCheck<C, S>> & { kind: C['kind']; fields: S } & FieldsMatch<C, S>,
  ): ProbeKind<KindCheck<C, S>> & { fields: S } => kind;
}

type FieldsMatch<C, S extends Shape> =
  SameType<Infer<S>, KindFields<C, S>> extends true
    ? unknown
    : { 'the fields do not match the documented check type': { schema: Infer<S>; documented: KindFields<C, S> } };

/** Every registered kind, for code that handles checks of any kind (narrow with `kindOf`). */
export type AnyKind = ProbeKind;
