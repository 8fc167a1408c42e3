/**
 * The types of `watchpost.config.ts`. Probe kinds add their check types to {@link CheckKinds}
 * by declaration merging from their own folder, so adding a kind touches no file here.
 */
import type { Duration } from '../duration';
import type { Assertion, MaybeSecret, SecretRef } from '../types';

/** Who gets paged, per severity. */
export interface NotifyTargets {
  /** Phone numbers in E.164 form, e.g. `+4915112345678`. @default [] */
  sms?: string[];
  /** Email addresses. @default [] */
  email?: string[];
  /**
   * Page again while the problem lasts and nobody acknowledged it: `STILL DOWN shop-cart 2/3 regions
   * since 14:02Z (1h)`, to everyone paged so far. From 1m to 1d.
   * @default no reminders
   * @example "30m"
   */
  repeat?: Duration;
  /**
   * Who is paged next when nobody acknowledged the page in time; `after` counts from the first page.
   * @default [] (nobody else)
   * @example [{ after: '15m', sms: ['+4915187654321'] }, { after: '45m', email: ['head-of-ops@example.com'] }]
   */
  escalate?: EscalationLevel[];
}

/**
 * One escalation level: paged (SMS and email through a topic of its own) when the incident is
 * still unacknowledged `after` its first page.
 * @example { after: '15m', sms: ['+4915187654321'], email: ['l2@example.com'] }
 */
export interface EscalationLevel {
  /** Time since the first page, from 1m to 1d; each level later than the one before. @example "15m" */
  after: Duration;
  /** Phone numbers in E.164 form. @default [] */
  sms?: string[];
  /** Email addresses. @default [] */
  email?: string[];
}

export type Severity = 'critical' | 'warning';

/**
 * An incident system that gets pages as JSON over HTTPS. The notifier Lambda posts them itself
 * (SNS would wrap them in its own envelope): one incident per alarm, opened when it fires and
 * resolved when it recovers, under a stable dedup key.
 * @example { name: 'pagerduty', format: 'pagerduty', routingKey: { secret: 'watchpost/pagerduty' } }
 * @example { name: 'opsgenie', format: 'opsgenie', url: 'https://api.eu.opsgenie.com/v2/alerts',
 *   apiKey: { secret: 'watchpost/opsgenie' }, severity: ['critical'] }
 * @example { name: 'itsm', format: 'generic', url: 'https://itsm.example.com/hooks/watchpost',
 *   headers: { authorization: { secret: 'watchpost/itsm-token' } } }
 */
export interface NotifyWebhook {
  /** Slug naming the webhook in logs: lower-case letters, digits, dashes. */
  name: string;
  /** The JSON it gets: watchpost's own (`generic`), PagerDuty Events API v2, or the Opsgenie Alert API. */
  format: 'generic' | 'pagerduty' | 'opsgenie';
  /**
   * HTTPS endpoint; a secret reference when the URL itself carries a token.
   * @default pagerduty "https://events.pagerduty.com/v2/enqueue", opsgenie "https://api.opsgenie.com/v2/alerts";
   * generic: required
   */
  url?: MaybeSecret;
  /** Pages of these severities go here. @default ["critical", "warning"] */
  severity?: Severity[];
  /** PagerDuty: the Events API v2 integration (routing) key, as a secret reference. Required for `pagerduty`. */
  routingKey?: SecretRef;
  /** Opsgenie: the API integration's key, as a secret reference. Required for `opsgenie`. */
  apiKey?: SecretRef;
  /**
   * Extra request headers; tokens as secret references.
   * @default {}
   * @example { authorization: { secret: 'watchpost/itsm-token' } }
   */
  headers?: Record<string, MaybeSecret>;
}

/**
 * An alarm that changes state `changes` times within `window` is flapping: it gets one message
 * saying so, then no more until it has been stable for a while.
 * @example { changes: 4, window: '30m' }
 */
export interface FlappingSettings {
  /** State changes (ALARM or OK) within `window` that make an alarm flapping; from 2. @default 4 */
  changes?: number;
  /** How far back changes count, from 1m to 1d. @default "30m" */
  window?: Duration;
}

/**
 * Local mode only (`npm start`): send the page's email over SMTP when a check changes state.
 * @example { smtp: { host: 'localhost', port: 1025 }, from: 'watchpost@localhost', to: ['me@example.com'] }
 */
export interface LocalEmailSettings {
  smtp: {
    host: string;
    /** @default 587, or 465 when `secure` */
    port?: number;
    /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. @default false */
    secure?: boolean;
    /** SMTP AUTH user. @default no authentication */
    user?: string;
    /** SMTP AUTH password, as a secret reference (read from `WATCHPOST_SECRET_<NAME>`). */
    pass?: SecretRef;
    /** Check the server's certificate. @default true */
    rejectUnauthorized?: boolean;
  };
  /** Sender address. @example "watchpost@example.com" */
  from: string;
  /** Recipients. @example ["oncall@example.com"] */
  to: string[];
}

/**
 * Who is paged and how: SNS targets per severity, ITSM webhooks, flapping, SMS spend, local email.
 * @example { critical: { sms: ['+4915112345678'], email: ['oncall@example.com'] },
 *   webhooks: [{ name: 'pagerduty', format: 'pagerduty', routingKey: { secret: 'watchpost/pagerduty' } }] }
 */
export interface NotifySettings {
  /** SMS and email subscriptions of the `critical` topic. @default { sms: [], email: [] } */
  critical?: NotifyTargets;
  /** SMS and email subscriptions of the `warning` topic. @default { sms: [], email: [] } */
  warning?: NotifyTargets;
  /** Incident systems (PagerDuty, Opsgenie, any HTTPS endpoint). @default [] */
  webhooks?: NotifyWebhook[];
  /** When an alarm counts as flapping. @default { changes: 4, window: "30m" } */
  flapping?: FlappingSettings;
  /** The account's SNS monthly SMS spend limit in USD (SNS text messaging preferences). @default 1 */
  smsSpendLimitUSD?: number;
  /** Percent of `smsSpendLimitUSD` at which the SMS spend alarm fires. @default 80 */
  smsSpendAlarmPercent?: number;
  /** Link to put in pages instead of the CloudWatch dashboard, e.g. a status page. @default the CloudWatch dashboard */
  dashboardUrl?: string;
  /** `npm start` sends the page's email over SMTP. @default none: only printed */
  localEmail?: LocalEmailSettings;
}

/**
 * When a check's alarms fire. A period is the check's frequency (at least one minute). The down
 * alarm counts the regions whose runs failed in a period and fires when at least `quorum`
 * regions failed in `datapoints` of the last `periods` periods; the degraded alarm counts the
 * regions whose p90 duration is above `degradedAfter` the same way.
 * @example { quorum: 2, datapoints: 2, periods: 3 }
 */
export interface AlarmSettings {
  /**
   * Regions that must fail at the same time; at most the check's region count.
   * @default 2, or 1 when the check runs in one region
   */
  quorum?: number;
  /** Breaching periods needed, out of `periods`. @default 2 (1 when `periods` is 1) */
  datapoints?: number;
  /**
   * Periods the alarm looks back over; periods × period may not exceed one day.
   * @default 3 (fewer when 3 would exceed one day)
   */
  periods?: number;
}

/**
 * A planned window in which the check alarms it covers page nobody (a CloudWatch alarm mute
 * rule). Give `schedule` for a recurring window or `start` for a one-off one.
 * @example { name: 'db-upgrade', start: '2026-03-01T02:00', duration: '2h', checks: ['shop-cart'] }
 * @example { name: 'sunday-deploys', schedule: '0 2 * * SUN', duration: '30m', timezone: 'Europe/Berlin' }
 */
export interface MaintenanceWindow {
  /** Slug naming the window (lower-case letters, digits, dashes); part of the mute rule's name. */
  name: string;
  /** Recurring start: cron with five fields, minute hour day-of-month month day-of-week, e.g. `0 2 * * SUN`. */
  schedule?: string;
  /** One-off start: ISO date-time `2026-03-01T02:00` (in `timezone`), or with `Z`/an offset. */
  start?: string;
  /** How long alarms stay muted each time, from 1m to 15d. @example "2h" */
  duration: Duration;
  /** IANA time zone of `schedule`/`start`. @default "UTC" @example "Europe/Berlin" */
  timezone?: string;
  /** Ids of the checks whose alarms are muted. @default every check */
  checks?: string[];
}

/**
 * One line of the public status page: a name customers understand and the checks behind it.
 * @example { name: 'Checkout', checks: ['shop-cart', 'shop-pay'], description: 'Cart and payment' }
 */
export interface StatusPageComponent {
  /** The public name; unique on the page. @example "Checkout" */
  name: string;
  /** Ids of the checks whose results make up this component's state and uptime (at least one). */
  checks: string[];
  /** One public sentence shown under the name. @default none */
  description?: string;
}

/**
 * A heading the page lists components under; a component is in at most one group.
 * @example { name: 'Shop', components: ['Checkout', 'Search'] }
 */
export interface StatusPageGroup {
  /** Public heading. */
  name: string;
  /** Names of components of this page. */
  components: string[];
}

/**
 * The public status page: which checks customers see, under which names. Only the listed checks
 * appear; never a check id, target, host, region or error text.
 * @example
 * { title: 'Shop status',
 *   components: [{ name: 'Checkout', checks: ['shop-cart'] }, { name: 'Website', checks: ['shop-home'] }] }
 */
export interface StatusPageSettings {
  /** Page title. @example "Shop status" */
  title: string;
  /** A sentence under the title. @default none */
  description?: string;
  /** The components, in page order (at least one). */
  components: StatusPageComponent[];
  /** Headings over components; components in no group are listed after the groups. @default [] */
  groups?: StatusPageGroup[];
  /**
   * A custom domain for the hosted page (CloudFront needs an ACM certificate in us-east-1).
   * @default the CloudFront domain
   * @example { name: 'status.example.com', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' }
   */
  domain?: { name: string; certificateArn: string };
  /** How many days of daily bars the page shows, in whole days from 7d to 365d. @default "90d" */
  history?: Duration;
}

/** Fields every check has, whatever its kind. */
export interface CheckCommon {
  /**
   * Unique slug: lower-case letters, digits and dashes, e.g. `shop-cart`. Used in metric dimensions and alarm names.
   */
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
  /**
   * Ids of checks this one needs (a backend, a database). While one of them is DOWN this check
   * does not page on its own: the parent's page counts it (`(+3 dependent checks down)`).
   * @default []
   * @example ['shop-api']
   */
  dependsOn?: string[];
  /** A link for on-call: what to do when it fails. Goes into alarm descriptions and pages. */
  runbook?: string;
  /**
   * When its alarms fire; fields not set here come from `defaults.alarm`.
   * @default { quorum: 2, datapoints: 2, periods: 3 }
   */
  alarm?: AlarmSettings;
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
  /**
   * Alarm settings for every check; a quorum from here is capped at each check's region count.
   * @default { quorum: 2, datapoints: 2, periods: 3 }
   */
  alarm?: AlarmSettings;
}

/** The whole config: the default export of `watchpost.config.ts`. */
export interface WatchpostConfig {
  /** Name prefix for every AWS resource and metric dimension, e.g. `shop`. Lower-case letters, digits, dashes. */
  project: string;
  /**
   * Where the table, topics, alarms and dashboard live, and where every region publishes metrics.
   * @example "eu-central-1"
   */
  homeRegion: string;
  /** Where probes run. @example ["eu-central-1", "us-east-1", "ap-southeast-1"] */
  regions: string[];
  /** Who is paged for `critical` and for `warning` alarms. */
  notify?: NotifySettings;
  /** Defaults for every check. */
  defaults?: CheckDefaults;
  /** How long run history is kept. @default "30d" */
  retention?: Duration;
  /** Planned work: windows in which the alarms of the checks they cover page nobody. @default [] */
  maintenance?: MaintenanceWindow[];
  /** The public status page (`watchpost status build`, hosted by the CDK app). @default none */
  statusPage?: StatusPageSettings;
  checks: CheckConfig[];
}

/** A check after validation: every common field is set. */
export type ValidatedCheck<C = CheckConfig> = C &
  Required<
    Pick<
      CheckCommon,
      'name' | 'frequency' | 'timeout' | 'retries' | 'regions' | 'severity' | 'tags' | 'enabled' | 'assertions'
    >
  >;

/** A severity's targets after validation: the lists are always there. */
export type ValidatedTargets = Required<Pick<NotifyTargets, 'sms' | 'email'>> & Omit<NotifyTargets, 'sms' | 'email'>;

/** A config after validation: defaults applied, checks complete. */
export interface ValidatedConfig extends Omit<WatchpostConfig, 'checks' | 'retention'> {
  retention: Duration;
  notify: Omit<NotifySettings, 'critical' | 'warning'> & {
    critical: ValidatedTargets;
    warning: ValidatedTargets;
  };
  checks: ValidatedCheck[];
}
