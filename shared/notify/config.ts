/**
 * The `notify` settings beyond SMS and email targets: webhooks, flapping, SMS spend, local
 * email. Their schema (read by config validation) and their defaults, in one place.
 */
import { joinIndex, joinKey, s, type Infer, type SameType, type Schema, type Shape } from '../config/schema';
import type {
  FlappingSettings,
  LocalEmailSettings,
  NotifySettings,
  NotifyWebhook,
  Severity,
  ValidatedConfig,
} from '../config/types';
import { ms } from '../duration';
import { isSecretRef, type SecretRef } from '../types';

export const WEBHOOK_FORMATS = ['generic', 'pagerduty', 'opsgenie'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** Where PagerDuty and Opsgenie take events when no `url` is given. */
export const DEFAULT_WEBHOOK_URL: Record<Exclude<WebhookFormat, 'generic'>, string> = {
  pagerduty: 'https://events.pagerduty.com/v2/enqueue',
  opsgenie: 'https://api.opsgenie.com/v2/alerts',
};

export const FLAPPING_DEFAULTS = { changes: 4, window: '30m' } as const;
/** SNS's default monthly SMS spend limit of an account is 1 USD. */
export const SMS_SPEND_DEFAULTS = { limitUSD: 1, alarmPercent: 80 } as const;

const SEVERITIES: readonly Severity[] = ['critical', 'warning'];
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers the notifier sets itself for a format. */
const OWN_HEADERS: Record<WebhookFormat, string[]> = {
  generic: ['content-type'],
  pagerduty: ['content-type'],
  opsgenie: ['content-type', 'authorization'],
};

/** Only a `{ secret }` reference: a key written inline would be shipped in the Lambda bundle. */
function secretOnly(what: string): Schema<SecretRef> {
  return s.secretOnly(
    what,
    'store it in AWS Secrets Manager in the home region (locally: WATCHPOST_SECRET_<NAME>) ' +
      'and write { secret: "name" }',
  );
}

const webhookObject = s.object({
  name: s.string({
    pattern: /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/,
    expected: 'a webhook name (lower-case letters, digits and dashes, at most 48)',
    patternHint: 'e.g. "pagerduty"',
  }),
  format: s.literalUnion(WEBHOOK_FORMATS),
  url: s.optional(s.secretOr(s.url(['https:']))),
  severity: s.optional(s.array(s.literalUnion(SEVERITIES), { min: 1 })),
  routingKey: s.optional(secretOnly('PagerDuty routing key')),
  apiKey: s.optional(secretOnly('Opsgenie API key')),
  headers: s.optional(s.record(s.secretOr())),
});
// The documented types (config/types.ts) and these schemas agree: a compile error otherwise.
true satisfies SameType<Infer<typeof webhookObject.shape>, NotifyWebhook>;

const webhookSchema = s.refine(webhookObject, (w, path, issues) => {
  if (w.format === 'generic' && w.url === undefined)
    issues.add(joinKey(path, 'url'), 'is required for format "generic"', 'the HTTPS endpoint of your incident system');
  if (w.format === 'pagerduty' && w.routingKey === undefined)
    issues.add(
      joinKey(path, 'routingKey'),
      'is required for format "pagerduty"',
      'the integration key of an Events API v2 integration, e.g. routingKey: { secret: "watchpost/pagerduty" }',
    );
  if (w.format === 'opsgenie' && w.apiKey === undefined)
    issues.add(
      joinKey(path, 'apiKey'),
      'is required for format "opsgenie"',
      'the key of an Opsgenie API integration, e.g. apiKey: { secret: "watchpost/opsgenie" }',
    );
  if (w.routingKey !== undefined && w.format !== 'pagerduty')
    issues.add(joinKey(path, 'routingKey'), `is only used by format "pagerduty", not "${w.format}"`);
  if (w.apiKey !== undefined && w.format !== 'opsgenie')
    issues.add(joinKey(path, 'apiKey'), `is only used by format "opsgenie", not "${w.format}"`);
  if (Array.isArray(w.severity) && new Set(w.severity).size !== w.severity.length)
    issues.add(joinKey(path, 'severity'), 'lists a severity more than once');
  for (const name of Object.keys(w.headers ?? {})) {
    const at = joinKey(joinKey(path, 'headers'), name);
    if (!HEADER_NAME.test(name)) issues.add(at, `"${name}" is not a valid header name`);
    else if (OWN_HEADERS[w.format as WebhookFormat]?.includes(name.toLowerCase()))
      issues.add(
        at,
        `is set by watchpost for format "${w.format}"`,
        name.toLowerCase() === 'authorization' ? 'give the key as apiKey instead' : 'remove it',
      );
  }
});

const webhooksSchema = s.refine(s.array(webhookSchema), (list, path, issues) => {
  const seen = new Map<string, number>();
  list.forEach((w, i) => {
    const first = seen.get(w.name);
    if (first !== undefined)
      issues.add(
        joinKey(joinIndex(path, i), 'name'),
        `duplicate webhook name "${w.name}", also used by ${joinIndex(path, first)}`,
      );
    else seen.set(w.name, i);
  });
});

const address = s.string({ pattern: /^[^\s@]+@[^\s@]+$/, expected: 'an email address' });

const localEmailSchema = s.object({
  smtp: s.object({
    host: s.string({ minLength: 1, expected: 'an SMTP host name' }),
    port: s.optional(s.number({ integer: true, min: 1, max: 65_535 })),
    secure: s.optional(s.boolean()),
    user: s.optional(s.string({ minLength: 1 })),
    pass: s.optional(secretOnly('SMTP password')),
    rejectUnauthorized: s.optional(s.boolean()),
  }),
  from: address,
  to: s.array(address, { min: 1 }),
});
true satisfies SameType<Infer<typeof localEmailSchema.shape>, LocalEmailSettings>;

const flappingSchema = s.object({
  changes: s.optional(s.number({ integer: true, min: 2, max: 100 })),
  window: s.optional(s.duration({ min: 60_000, max: 86_400_000 })),
});
true satisfies SameType<Infer<typeof flappingSchema.shape>, FlappingSettings>;

/** The keys of `notify` besides `critical` and `warning` (config validation spreads them in). */
export const notifySettingsShape = {
  webhooks: s.optional(webhooksSchema),
  flapping: s.optional(flappingSchema),
  smsSpendLimitUSD: s.optional(s.number({ min: 0.01, max: 1_000_000 })),
  smsSpendAlarmPercent: s.optional(s.number({ integer: true, min: 1, max: 100 })),
  dashboardUrl: s.optional(s.url()),
  localEmail: s.optional(localEmailSchema),
} satisfies Shape;
true satisfies SameType<Infer<typeof notifySettingsShape>, Omit<NotifySettings, 'critical' | 'warning'>>;

export interface ResolvedFlapping {
  changes: number;
  windowMs: number;
}

export function flappingSettings(config: Pick<ValidatedConfig, 'notify'>): ResolvedFlapping {
  const f = config.notify.flapping ?? {};
  return { changes: f.changes ?? FLAPPING_DEFAULTS.changes, windowMs: ms(f.window ?? FLAPPING_DEFAULTS.window) };
}

/** The SMS spend alarm: threshold in USD and the limit it is a share of. */
export function smsSpendAlarm(config: Pick<ValidatedConfig, 'notify'>): {
  limitUSD: number;
  percent: number;
  thresholdUSD: number;
} {
  const limitUSD = config.notify.smsSpendLimitUSD ?? SMS_SPEND_DEFAULTS.limitUSD;
  const percent = config.notify.smsSpendAlarmPercent ?? SMS_SPEND_DEFAULTS.alarmPercent;
  return { limitUSD, percent, thresholdUSD: Math.round(limitUSD * percent) / 100 };
}

/** The webhooks that get pages of a severity. */
export function webhooksFor(config: Pick<ValidatedConfig, 'notify'>, severity: Severity): NotifyWebhook[] {
  return (config.notify.webhooks ?? []).filter((w) => (w.severity ?? SEVERITIES).includes(severity));
}

/** Every secret the webhooks reference (the notifier may read exactly these). */
export function webhookSecretNames(config: Pick<ValidatedConfig, 'notify'>): string[] {
  const names = new Set<string>();
  for (const w of config.notify.webhooks ?? []) {
    for (const v of [w.url, w.routingKey, w.apiKey, ...Object.values(w.headers ?? {})])
      if (isSecretRef(v)) names.add(v.secret);
  }
  return [...names].sort();
}
