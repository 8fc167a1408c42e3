/**
 * `watchpost notify`:
 * - `--preview ID` prints what each channel (SMS, email, every webhook of the check's severity)
 *   would receive for the check's latest local result. Offline; secrets appear as placeholders.
 * - `--test [--topic critical|warning] [--webhooks]` publishes a test page through the deployed
 *   topic in the home region (AWS credentials needed), and with `--webhooks` also opens and
 *   resolves a test incident in each webhook of that severity.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { topicName } from '../alarms/names';
import { alarmSpecs } from '../alarms/specs';
import { awsClient } from '../aws-clients';
import { DEFAULT_CONFIG_FILE } from '../config/load';
import type { Severity, ValidatedCheck, ValidatedConfig } from '../config/types';
import { webhooksFor } from '../notify/config';
import { alarmLink, incidentFromStatus, testIncident, type Incident } from '../notify/message';
import { gsmLength } from '../notify/gsm';
import { channelMessages, publishPage } from '../notify/sns';
import { buildWebhookRequest, deliverWebhooks, webhookRequests } from '../notify/webhooks';
import { SecretError, type SecretResolver } from '../secrets';
import type { CheckResult, CheckStatus } from '../types';
import { c } from './format';
import { DEFAULT_DATA_DIR, openLocalStore } from './local';
import { parseFlags } from './args';
import { CliError, EXIT, loadValidConfig } from './main';

const USAGE = 'usage: watchpost notify --preview ID [--json] | --test [--topic critical|warning] [--webhooks]';
const SEVERITIES: readonly Severity[] = ['critical', 'warning'];

export async function notifyCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags('notify', {
    args,
    allowPositionals: true,
    options: {
      config: { type: 'string', default: DEFAULT_CONFIG_FILE },
      data: { type: 'string', default: DEFAULT_DATA_DIR },
      preview: { type: 'string' },
      test: { type: 'boolean', default: false },
      topic: { type: 'string' },
      webhooks: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length || (values.preview === undefined) === !values.test) throw new CliError(USAGE);
  if (values.preview !== undefined) {
    if (values.topic !== undefined || values.webhooks)
      throw new CliError(`--topic and --webhooks go with --test — ${USAGE}`);
    return preview(values.preview, values.config!, values.data!, values.json!);
  }
  const severity = (values.topic ?? 'critical') as Severity;
  if (!SEVERITIES.includes(severity)) throw new CliError(`--topic must be critical or warning, got "${values.topic}"`);
  return sendTest(values.config!, severity, values.webhooks!);
}

/**
 * Before a passing streak that began at `since`: the status and start of the problem it ended
 * (history newest first). Undefined when there was none.
 */
export function previousStreak(
  history: readonly CheckResult[],
  since: string,
): { status: CheckStatus; since: string } | undefined {
  const before = history.filter((r) => Date.parse(r.scheduledAt) < Date.parse(since));
  const first = before[0];
  if (!first || first.status === 'pass') return undefined;
  let start = first.scheduledAt;
  for (const r of before) {
    if (r.status !== first.status) break;
    start = r.scheduledAt;
  }
  return { status: first.status, since: start };
}

/** The incident the latest local results make, with the links the deployed notifier would give. */
async function previewIncident(config: ValidatedConfig, check: ValidatedCheck, dataDir: string): Promise<Incident> {
  const local = await openLocalStore(dataDir);
  try {
    const latest = await local.store.latest([check.id]);
    if (!latest.length)
      throw new CliError(
        `no stored runs of "${check.id}" in ${dataDir} — run \`watchpost run --check ${check.id}\` or \`npm start\` first`,
        EXIT.failed,
      );
    const passing = latest.every((l) => l.status === 'pass');
    const previous = passing
      ? previousStreak(await local.store.history(check.id, { limit: 500 }), latest.map((l) => l.since).sort()[0]!)
      : undefined;
    const incident = incidentFromStatus({
      config,
      check,
      latest,
      previous,
      at: passing
        ? latest
            .map((l) => l.since)
            .sort()
            .at(-1)
        : undefined,
      links: {},
    });
    const spec = alarmSpecs(config).find((s) => s.key === `${incident.alarmType}:${check.id}`);
    if (spec) incident.links.alarm = alarmLink(config.homeRegion, spec.name);
    return incident;
  } finally {
    await local.close();
  }
}

async function preview(id: string, configFile: string, dataDir: string, json: boolean): Promise<number> {
  const config = await loadValidConfig(configFile);
  const check = config.checks.find((ch) => ch.id === id);
  if (!check)
    throw new CliError(
      `no check with id "${id}" in ${configFile} — known: ${config.checks.map((ch) => ch.id).join(', ')}`,
    );
  const incident = await previewIncident(config, check, dataDir);
  const m = channelMessages(incident);
  const placeholder = (name: string) => `<secret ${name}>`;
  const hooks = webhooksFor(config, incident.severity).map((h) => buildWebhookRequest(incident, h, placeholder));
  const out = (s = '') => process.stdout.write(`${s}\n`);
  if (json) {
    out(
      JSON.stringify(
        {
          severity: incident.severity,
          topic: topicName(config.project, incident.severity),
          sms: m.sms,
          email: m.email,
          webhooks: hooks,
        },
        null,
        2,
      ),
    );
    return EXIT.ok;
  }
  const targets = config.notify[incident.severity];
  const skipped = (config.notify.webhooks ?? [])
    .filter((w) => !hooks.some((h) => h.name === w.name))
    .map((w) => w.name);
  out(c.bold(`${incident.word} ${check.id}: the pages for its latest local result (${incident.severity})`));
  out(
    c.dim(
      `topic ${topicName(config.project, incident.severity)}: ${targets.sms.length} SMS, ${targets.email.length} email subscription(s)` +
        `; webhooks: ${hooks.map((h) => h.name).join(', ') || 'none'}${skipped.length ? ` (not for ${incident.severity}: ${skipped.join(', ')})` : ''}`,
    ),
  );
  out();
  out(c.bold(`── SMS (${gsmLength(m.sms)} of 160 GSM-7 characters, 1 segment)`));
  out(m.sms);
  out();
  out(c.bold('── Email'));
  out(`Subject: ${m.email.subject}`);
  out();
  out(m.email.text.trimEnd());
  for (const h of hooks) {
    out();
    out(c.bold(`── Webhook "${h.name}" (${h.format}, ${h.action}): POST ${h.url}`));
    for (const [k, v] of Object.entries(h.headers)) out(c.dim(`${k}: ${v}`));
    out(JSON.stringify(h.body, null, 2));
  }
  return EXIT.ok;
}

/** Turns what the AWS SDK throws into one clear line (no stack trace). */
export function awsProblem(e: unknown, doing: string): CliError {
  const err = e as Error & { $metadata?: { httpStatusCode?: number } };
  const name = err?.name ?? 'Error';
  if (name === 'CredentialsProviderError' || /Could not load credentials|credential/i.test(err?.message ?? ''))
    return new CliError(
      `no AWS credentials found to ${doing}: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or run \`aws sso login\` — the credentials of the account watchpost is deployed in`,
      EXIT.failed,
    );
  if (
    /AuthorizationError|AccessDenied|UnrecognizedClient|InvalidClientTokenId|ExpiredToken|SignatureDoesNotMatch/.test(
      name,
    )
  )
    return new CliError(`AWS refused to ${doing}: ${name}: ${err.message}`, EXIT.failed);
  return new CliError(`cannot ${doing}: ${name}: ${err?.message ?? String(e)}`, EXIT.failed);
}

async function findTopic(client: SNSClient, name: string): Promise<string | undefined> {
  let token: string | undefined;
  do {
    const res = await client.send(new ListTopicsCommand({ NextToken: token }));
    const hit = (res.Topics ?? []).find((t) => t.TopicArn?.endsWith(`:${name}`));
    if (hit?.TopicArn) return hit.TopicArn;
    token = res.NextToken;
  } while (token);
  return undefined;
}

async function sendTest(configFile: string, severity: Severity, withWebhooks: boolean): Promise<number> {
  const config = await loadValidConfig(configFile);
  const region = config.homeRegion;
  const name = topicName(config.project, severity);
  const out = (s = '') => process.stdout.write(`${s}\n`);
  const client = awsClient(SNSClient, { region, maxAttempts: 2 });
  try {
    let arn: string | undefined;
    try {
      arn = await findTopic(client, name);
    } catch (e) {
      throw awsProblem(e, `find topic ${name} in ${region}`);
    }
    if (!arn)
      throw new CliError(
        `topic ${name} not found in ${region} — deploy watchpost first (npx cdk deploy --all)`,
        EXIT.failed,
      );
    const incident = testIncident(config, severity, new Date().toISOString());
    let messageId: string | undefined;
    try {
      messageId = await publishPage(client, arn, incident);
    } catch (e) {
      throw awsProblem(e, `publish to ${arn}`);
    }
    const m = channelMessages(incident);
    const targets = config.notify[severity];
    out(`${c.green('✓')} test page published to ${arn}${messageId ? ` (message ${messageId})` : ''}`);
    out(`  SMS:   ${m.sms}`);
    out(`  email: ${m.email.subject}`);
    const expected = [...targets.sms, ...targets.email].join(', ') || `nobody in notify.${severity}`;
    const note =
      '(email subscriptions must be confirmed; new accounts send SMS only to verified numbers while in the SMS sandbox)';
    out(c.dim(`  expected at: ${expected} ${note}`));

    if (!withWebhooks) return EXIT.ok;
    const hooks = webhooksFor(config, severity);
    if (!hooks.length) {
      out(c.dim(`  no webhooks take ${severity} pages`));
      return EXIT.ok;
    }
    const sm = awsClient(SecretsManagerClient, { region, maxAttempts: 2 });
    const secrets: SecretResolver = async (secret) => {
      try {
        const r = await sm.send(new GetSecretValueCommand({ SecretId: secret }));
        if (!r.SecretString) throw new Error('it has no string value');
        return r.SecretString;
      } catch (e) {
        throw new SecretError(secret, `secret "${secret}" in ${region}: ${(e as Error).name}`);
      }
    };
    let failed = 0;
    try {
      // Open and at once resolve: a test must not leave an incident open.
      for (const action of ['trigger', 'resolve'] as const) {
        const values = new Set<string>();
        const { requests, failures } = await webhookRequests(incident, hooks, secrets, values, action);
        for (const o of [...failures, ...(await deliverWebhooks(requests, { secrets: values }))]) {
          if (!o.ok) failed++;
          out(
            `  ${o.ok ? c.green('✓') : c.red('✗')} webhook ${o.name} ${action}${o.status ? ` HTTP ${o.status}` : ''}${o.error ? `: ${o.error}` : ''}`,
          );
        }
      }
    } finally {
      sm.destroy();
    }
    return failed ? EXIT.failed : EXIT.ok;
  } finally {
    client.destroy();
  }
}
