/**
 * Validates a config: collects every problem (path, reason, hint), rejects unknown keys and
 * duplicate ids, applies defaults. The CLI, the runner and the CDK app all go through here.
 */
import { dirname, resolve } from 'node:path';
import { assertionSchema } from '../assertions/schema';
import { parseDuration } from '../duration';
import { kindOf, registry } from '../probes/registry';
import { checkMaintenance, maintenanceWindowSchema } from '../alarms/maintenance';
import { alarmSettingsSchema, checkAlarmSettings, mergeAlarmSettings } from '../alarms/settings';
import { notifySettingsShape } from '../notify/config';
import { checkDependsOn, dependsOnSchema, notifyTargetsSchema } from '../notify/oncall-config';
import { checkStatusPage, statusPageSchema } from '../status/config';
import { inlineCaFiles } from './ca-files';
import {
  checkShape,
  closest,
  describe,
  formatDiagnostic,
  INVALID,
  Issues,
  joinIndex,
  joinKey,
  s,
  type Diagnostic,
  type Infer,
  type SameType,
  type Shape,
} from './schema';
import type { Assertion } from '../types';
import type {
  CheckCommon,
  CheckDefaults,
  NotifySettings,
  NotifyTargets,
  ValidatedCheck,
  ValidatedConfig,
  WatchpostConfig,
} from './types';

export const REGION_RE = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$/;
const SLUG_RE = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const notifySchema = s.object({
  critical: s.optional(notifyTargetsSchema),
  warning: s.optional(notifyTargetsSchema),
  ...notifySettingsShape,
});
true satisfies SameType<Infer<typeof notifyTargetsSchema.shape>, NotifyTargets>;
true satisfies SameType<Infer<typeof notifySchema.shape>, NotifySettings>;
const region = s.string({ pattern: REGION_RE, expected: 'an AWS region such as "eu-central-1"' });
const severity = s.literalUnion(['critical', 'warning'] as const);
const tags = s.record(s.string());

const defaultsShape = {
  frequency: s.optional(s.duration({ min: 1_000 })),
  timeout: s.optional(s.duration({ min: 1 })),
  retries: s.optional(s.number({ integer: true, min: 0, max: 5 })),
  severity: s.optional(severity),
  degradedAfter: s.optional(s.duration()),
  regions: s.optional(s.array(region, { min: 1 })),
  tags: s.optional(tags),
  alarm: s.optional(alarmSettingsSchema),
} satisfies Shape;
// The documented types (JSDoc for defineConfig) and these shapes agree: a compile error otherwise.
true satisfies SameType<Infer<typeof defaultsShape>, CheckDefaults>;

/** Top-level keys; other issues add theirs here (e.g. `maintenance`). */
export const configShape = {
  project: s.string({
    pattern: /^[a-z][a-z0-9-]{0,30}$/,
    expected: 'a project name (lower-case letters, digits, dashes; at most 31)',
    patternHint: 'e.g. "shop"',
  }),
  homeRegion: region,
  regions: s.array(region, { min: 1 }),
  notify: s.optional(notifySchema, {}),
  defaults: s.optional(s.object(defaultsShape), {}),
  retention: s.optional(s.duration({ min: 86_400_000 }), '30d'),
  maintenance: s.optional(s.array(maintenanceWindowSchema)),
  statusPage: s.optional(statusPageSchema),
  checks: s.any('a list of checks'),
} satisfies Shape;
// Checks are validated one by one against their kind (validateCheck), so their type is the registry's.
true satisfies SameType<Omit<Infer<typeof configShape>, 'checks'>, Omit<WatchpostConfig, 'checks'>>;

/** Fields common to every check. */
const commonShape = {
  id: s.string({
    pattern: SLUG_RE,
    expected: 'an id (lower-case letters, digits and dashes, at most 64)',
    patternHint: 'e.g. "shop-cart"',
  }),
  kind: s.string(),
  name: s.optional(s.string({ minLength: 1 })),
  frequency: s.optional(s.duration({ min: 1_000, max: 86_400_000 })),
  timeout: s.optional(s.duration({ min: 1, max: 900_000 })),
  retries: s.optional(s.number({ integer: true, min: 0, max: 5 })),
  regions: s.optional(s.array(region, { min: 1 })),
  severity: s.optional(severity),
  degradedAfter: s.optional(s.duration()),
  tags: s.optional(tags),
  dependsOn: s.optional(dependsOnSchema),
  runbook: s.optional(s.url()),
  alarm: s.optional(alarmSettingsSchema),
  enabled: s.optional(s.boolean()),
  // Checked against the kind's sources in validateCheck.
  assertions: s.optional(s.any<Assertion[]>('a list of assertions')),
} satisfies Shape;
true satisfies SameType<Infer<typeof commonShape>, CheckCommon>;

const SCHEDULE_HINT = 'use a divisor of 1m (10s, 15s, 20s, 30s) or whole minutes (1m, 5m, 1h)';
/** A frequency the one-minute schedule can keep: a divisor of a minute or whole minutes. */
const fitsSchedule = (freq: number) => (freq < 60_000 ? 60_000 % freq === 0 : freq % 60_000 === 0);

export type ValidationResult =
  | { ok: true; config: ValidatedConfig; diagnostics: [] }
  | { ok: false; diagnostics: Diagnostic[] };

export class ConfigError extends Error {
  constructor(
    readonly diagnostics: Diagnostic[],
    readonly source?: string,
  ) {
    super(
      `${source ? `${source}: ` : ''}invalid config, ${diagnostics.length} ` +
        `problem${diagnostics.length === 1 ? '' : 's'}:\n` +
        diagnostics.map((d) => `  ${formatDiagnostic(d)}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** Validates and returns the config with defaults applied, or throws {@link ConfigError} with every problem. */
export function parseConfig(raw: unknown, source?: string): ValidatedConfig {
  const r = validateConfig(raw, { file: source });
  if (!r.ok) throw new ConfigError(r.diagnostics, source);
  return r.config;
}

/** `file`: the config file; CA files it names are read relative to its folder (shared/config/ca-files.ts). */
export function validateConfig(raw: unknown, opts: { file?: string } = {}): ValidationResult {
  const issues = new Issues();
  const top = s.object(configShape).check(raw, '', issues);
  if (top === INVALID && (typeof raw !== 'object' || raw === null)) return { ok: false, diagnostics: issues.list };
  const cfg = (top === INVALID ? raw : top) as Record<string, unknown>;

  // The home region need not be a probe region: it may host only the table and alarms.
  const regions = Array.isArray(cfg.regions) ? cfg.regions.filter((r): r is string => typeof r === 'string') : [];
  const dupRegions = regions.filter((r, i) => regions.indexOf(r) !== i);
  for (const r of new Set(dupRegions)) issues.add('regions', `lists "${r}" more than once`);

  // Only the defaults that are valid reach the checks: a bad one is reported once, at defaults.<key>.
  const defaults: CheckDefaults = {};
  const rawDefaults = (raw as { defaults?: unknown }).defaults;
  if (rawDefaults && typeof rawDefaults === 'object' && !Array.isArray(rawDefaults))
    checkShape(
      defaultsShape,
      rawDefaults as Record<string, unknown>,
      'defaults',
      new Issues(),
      defaults as Record<string, unknown>,
    );
  const badDefaults = new Set(
    rawDefaults && typeof rawDefaults === 'object'
      ? Object.keys(rawDefaults).filter((k) => !Object.hasOwn(defaults, k))
      : [],
  );
  if (defaults.frequency !== undefined && !fitsSchedule(parseDuration(defaults.frequency)!)) {
    issues.add('defaults.frequency', `"${defaults.frequency}" does not fit the one-minute schedule`, SCHEDULE_HINT);
    badDefaults.add('frequency');
    delete defaults.frequency;
  }
  if (Array.isArray(defaults.regions)) {
    defaults.regions.forEach((r, i) => {
      if (regions.length && !regions.includes(r))
        issues.add(
          joinIndex('defaults.regions', i),
          `"${r}" is not one of the config's regions (${regions.join(', ')})`,
          'add it to regions or remove it here',
        );
    });
  }

  const checks: ValidatedCheck[] = [];
  const rawChecks = (raw as { checks?: unknown }).checks;
  const idOf = (c: unknown) => {
    const id = c && typeof c === 'object' ? (c as { id?: unknown }).id : undefined;
    return typeof id === 'string' ? id : undefined;
  };
  if (!Array.isArray(rawChecks)) {
    // A missing `checks` is already reported by the top-level shape.
    if (rawChecks !== undefined) issues.add('checks', `expected a list of checks, got ${describe(rawChecks)}`);
  } else {
    const seen = new Map<string, number>();
    rawChecks.forEach((c: unknown, i: number) => {
      const id = idOf(c);
      const path = `checks[${i}]${id ? ` ${JSON.stringify(id)}` : ''}`;
      if (id !== undefined) {
        const first = seen.get(id);
        if (first !== undefined)
          issues.add(
            joinKey(path, 'id'),
            `duplicate id "${id}", also used by checks[${first}]`,
            'ids must be unique: they name metrics and alarms',
          );
        else seen.set(id, i);
      }
      const v = validateCheck(c, path, issues, regions, defaults, badDefaults);
      if (!v) return;
      const inlined = opts.file ? inlineCaFiles(v, path, opts.file, issues) : v;
      const base = opts.file ? dirname(resolve(opts.file)) : process.cwd();
      checks.push(kindOf(inlined)?.resolveFiles?.(inlined, base, path, issues) ?? inlined);
    });
  }

  const checkIds = Array.isArray(rawChecks) ? rawChecks.map(idOf).filter((id) => id !== undefined) : [];
  checkMaintenance(cfg.maintenance, checkIds, issues);
  checkDependsOn(rawChecks, issues);
  checkStatusPage(cfg.statusPage, checkIds, issues);

  if (issues.count || top === INVALID) return { ok: false, diagnostics: issues.list };
  // Valid now: the top-level shape accepted every field.
  const valid = cfg as unknown as WatchpostConfig;
  const notify = valid.notify ?? {};
  const config: ValidatedConfig = {
    ...valid,
    retention: valid.retention!,
    notify: {
      ...notify,
      critical: { ...notify.critical, sms: notify.critical?.sms ?? [], email: notify.critical?.email ?? [] },
      warning: { ...notify.warning, sms: notify.warning?.sms ?? [], email: notify.warning?.email ?? [] },
    },
    defaults,
    checks,
  };
  return { ok: true, config, diagnostics: [] };
}

function validateCheck(
  c: unknown,
  path: string,
  issues: Issues,
  regions: string[],
  defaults: CheckDefaults,
  badDefaults: ReadonlySet<string>,
): ValidatedCheck | undefined {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) {
    issues.add(path, `expected a check object with at least id and kind, got ${describe(c)}`);
    return undefined;
  }
  const raw = c as Record<string, unknown>;
  if (typeof raw.kind !== 'string') {
    issues.add(
      joinKey(path, 'kind'),
      raw.kind === undefined ? 'is required' : 'expected a string',
      `one of: ${[...registry.keys()].join(', ')}`,
    );
    return undefined;
  }
  const kind = registry.get(raw.kind);
  if (!kind) {
    const near = closest(raw.kind, [...registry.keys()]);
    issues.add(
      joinKey(path, 'kind'),
      `unknown kind "${raw.kind}"`,
      near ? `did you mean "${near}"?` : `known kinds: ${[...registry.keys()].join(', ')}`,
    );
    return undefined;
  }
  const before = issues.count;
  const shape: Shape = { ...commonShape, ...kind.fields };
  // Fields valid on their own: cross-field rules run on them in the same pass, so every problem shows at once.
  const fields: Record<string, unknown> & Partial<CheckCommon> = {};
  const checked = checkShape(shape, raw, path, issues, fields);

  let assertions: unknown[] = [];
  if (raw.assertions !== undefined) {
    const a = s
      .array(assertionSchema(kind.assertionSources, kind.numericSources, kind.kind), {
        expected: 'a list of assertions',
      })
      .check(raw.assertions, joinKey(path, 'assertions'), issues);
    if (a !== INVALID) assertions = a;
  }
  if (Array.isArray(raw.regions) && regions.length) {
    raw.regions.forEach((r, i) => {
      if (typeof r === 'string' && REGION_RE.test(r) && !regions.includes(r))
        issues.add(
          joinIndex(joinKey(path, 'regions'), i),
          `"${r}" is not one of the config's regions (${regions.join(', ')})`,
          'add it to the top-level regions or remove it here',
        );
    });
  }
  const valid = checked !== INVALID && issues.count === before;
  // A value is known when the check's own one is valid, or it has none and the default it inherits is valid.
  const known = (key: string) => Object.hasOwn(fields, key) || (raw[key] === undefined && !badDefaults.has(key));

  // Typed as complete: it is returned only when every field was valid (then id and kind are there).
  const check = {
    ...fields,
    name: fields.name ?? fields.id,
    frequency: fields.frequency ?? defaults.frequency ?? '1m',
    timeout: fields.timeout ?? defaults.timeout ?? kind.defaultTimeout ?? '10s',
    retries: fields.retries ?? defaults.retries ?? 0,
    regions: fields.regions ?? defaults.regions ?? regions,
    severity: fields.severity ?? defaults.severity ?? 'critical',
    tags: { ...(defaults.tags ?? {}), ...(fields.tags ?? {}) },
    enabled: fields.enabled ?? true,
    assertions: assertions as Assertion[],
  } as Record<string, unknown> & ValidatedCheck<CheckCommon>;
  if (check.degradedAfter === undefined && defaults.degradedAfter !== undefined)
    check.degradedAfter = defaults.degradedAfter;
  const alarm = mergeAlarmSettings(fields.alarm, defaults.alarm, check.regions.length);
  if (alarm) check.alarm = alarm;
  if (known('frequency') && known('regions') && known('alarm')) checkAlarmSettings(check, path, issues, fields.alarm);

  const freq = parseDuration(check.frequency)!;
  if (known('frequency') && !fitsSchedule(freq))
    issues.add(joinKey(path, 'frequency'), `"${check.frequency}" does not fit the one-minute schedule`, SCHEDULE_HINT);
  const timeout = parseDuration(check.timeout)!;
  if (known('frequency') && known('timeout') && timeout > Math.max(freq, 60_000))
    issues.add(
      joinKey(path, 'timeout'),
      `"${check.timeout}" is longer than the check's frequency "${check.frequency}"`,
      'a run must end before the next one is due',
    );
  if (
    known('timeout') &&
    known('degradedAfter') &&
    check.degradedAfter !== undefined &&
    parseDuration(check.degradedAfter)! >= timeout
  )
    issues.add(
      joinKey(path, 'degradedAfter'),
      `"${check.degradedAfter}" is not below the timeout "${check.timeout}"`,
      'a result can only be degraded before it times out',
    );
  // A kind's rules read its own fields, regions and timeout: they run when those are valid (a rule on a
  // field that is itself wrong would only mislead), whatever else is wrong with the check.
  const kindReady =
    Object.keys(kind.fields).every((k) => raw[k] === undefined || Object.hasOwn(fields, k)) &&
    ['regions', 'timeout'].every(known);
  try {
    if (kindReady) kind.validate?.(check as ValidatedCheck, path, issues);
  } catch (e) {
    // A rule may still assume more than that; when something is invalid, its problem is already reported.
    if (valid) throw e;
  }
  return issues.count > before ? undefined : (check as ValidatedCheck);
}
