/**
 * The contracts every part of watchpost shares: the result of one check run, assertions,
 * and stable error codes. See docs/architecture.md ("The contracts").
 */

/**
 * Outcome of one run. `degraded` means it worked but crossed a warning level: slower than
 * `degradedAfter`, or a kind's own warn level (the result's `degraded` says which).
 */
export type CheckStatus = 'pass' | 'degraded' | 'fail';

/**
 * Stable error codes. Once shipped, a code keeps its meaning: alarms, dashboards and
 * on-call runbooks match on them.
 */
export type ErrorCode =
  | 'DNS'
  | 'CONNECT_REFUSED'
  | 'CONNECT_TIMEOUT'
  | 'TLS'
  | 'TIMEOUT'
  | 'RESET'
  | 'BODY_TOO_LARGE'
  | 'ASSERTION'
  | 'AUTH'
  | 'NOT_DELIVERED'
  | 'REJECTED'
  | 'REDIRECT_LOOP'
  | 'TOO_MANY_REDIRECTS'
  | 'INVALID_JSON'
  | 'PROTOCOL'
  | 'SECRET'
  | 'NETWORK'
  | 'INTERNAL'
  | (string & {});

/**
 * Stable codes of a degraded result's reason. `SLOW` is the common `degradedAfter`; the others
 * are a kind's own warn levels. Pages show them with dashes (`CERT-EXPIRING`).
 */
export type DegradedCode =
  | 'SLOW'
  | 'CERT_EXPIRING'
  | 'QUEUE_DEPTH'
  | 'QUEUE_AGE'
  | 'TRANSIT_SLOW'
  | 'ACCEPT_SLOW'
  | 'RUNTIME_SLOW'
  | 'LCP_SLOW'
  | 'DEGRADED'
  | (string & {});

/** Why a run is degraded: a stable code and a sentence, e.g. `expires in 14d (warnDays 21)`. */
export interface DegradedReason {
  code: DegradedCode;
  message: string;
}

/** A code as pages show it: `CERT_EXPIRING` → `CERT-EXPIRING`. */
export const codeWord = (code: string): string => code.replace(/_/g, '-');

export interface CheckError {
  /** Stable machine-readable code, e.g. `CONNECT_REFUSED`. */
  code: ErrorCode;
  /** A sentence a person understands: what happened and where. */
  message: string;
}

/** Comparisons an assertion can make. */
export type Comparison =
  | 'equals'
  | 'notEquals'
  | 'lessThan'
  | 'greaterThan'
  | 'contains'
  | 'notContains'
  | 'matches'
  | 'exists'
  | 'notExists';

export const COMPARISONS: readonly Comparison[] = [
  'equals',
  'notEquals',
  'lessThan',
  'greaterThan',
  'contains',
  'notContains',
  'matches',
  'exists',
  'notExists',
];

/**
 * An assertion as plain data.
 * @example { source: 'status', comparison: 'equals', target: 200 }
 * @example { source: 'json', property: '$.items.length', comparison: 'greaterThan', target: 0 }
 */
export interface Assertion {
  /** What to look at; each probe kind lists its sources (http: status, latency, header, text, json). */
  source: string;
  /** Which part of the source: a header name, a JSON path such as `$.items[0].price`. */
  property?: string;
  comparison: Comparison;
  /** The value to compare with. Not needed for `exists` / `notExists`. */
  target?: string | number | boolean | null;
}

/** An assertion after evaluation, as stored in a result. */
export interface AssertionResult {
  source: string;
  property?: string;
  comparison: Comparison;
  target?: string | number | boolean | null;
  /** The value found, or `undefined` when the source had nothing at that property. */
  actual?: unknown;
  pass: boolean;
}

/** The result of one run of one check: the contract every probe kind fills. */
export interface CheckResult {
  checkId: string;
  kind: string;
  region: string;
  /** ISO time the run was scheduled for (part of the idempotent key). */
  scheduledAt: string;
  /** ISO time the (last) attempt started. */
  startedAt: string;
  /** Wall time of the whole run, all attempts, in ms. */
  durationMs: number;
  status: CheckStatus;
  /** Attempts made, 1 when no retry was needed. */
  attempts: number;
  error?: CheckError;
  /** Set on every degraded result: why it is degraded (pages, the CLI and the dashboard say it). */
  degraded?: DegradedReason;
  /** Phase timings in ms; names are stable per kind (http: dns, connect, tls, ttfb, transfer, total). */
  timings: Record<string, number>;
  assertions: AssertionResult[];
  /** Figures the kind publishes (besides Failed and Duration), name → number. */
  metrics: Record<string, number>;
  /** Kind-specific facts for people (status code, certificate, hops). Never secrets. */
  details?: Record<string, unknown>;
}

/** A reference to a secret: locally `WATCHPOST_SECRET_<NAME>`, in AWS Secrets Manager. */
export interface SecretRef {
  secret: string;
}

/** A value that may be given inline or as a secret reference. */
export type MaybeSecret = string | SecretRef;

export function isSecretRef(v: unknown): v is SecretRef {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.keys(v).length === 1 &&
    typeof (v as { secret?: unknown }).secret === 'string'
  );
}
