/**
 * On-call in the home stack, beside the notifier (infra/notifier.ts):
 * - one SNS topic per escalation level and severity (`<project>-watchpost-critical-escalation-1`),
 *   subscribed by that level's phones and inboxes (bounded: at most 5 levels per severity);
 * - the per-minute sweep: an EventBridge rule invoking the notifier with `{ "watchpost-sweep": true }`
 *   (reminders, escalations, held dependent pages), only when the config has any of these;
 * - acknowledgement links: an HMAC key generated in Secrets Manager, and a small function with a
 *   function URL (functions/ack) that serves the links every page carries.
 *
 * Least privilege: the ack function may Get/Put/Query the open page records (`NOTIFY#PAGE`) and
 * the status page's incidents (`INCIDENT…`) only, and read the key; the notifier may publish to
 * the escalation topics and read the key.
 *
 * @example
 * new OnCall(homeStack, 'OnCall', { config, table, notifier, topicKey });
 */
import { Duration, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { Severity, ValidatedConfig } from '../shared/config/types';
import { NOTIFIER_ENV } from '../shared/notify/lambda-env';
import { onCallSettings, needsTimer } from '../shared/notify/oncall-config';
import { PAGE_PK } from '../shared/notify/page-store';
import { lambdaEntry } from './lambdas';
import type { Notifier } from './notifier';
import { WatchpostFunction } from './watchpost-function';

export const ACK_ENTRY = lambdaEntry('ack');
export const ackFunctionName = (project: string) => `${project}-watchpost-ack`;
export const ackKeySecretName = (project: string) => `${project}/watchpost/ack-key`;
export const escalationTopicName = (project: string, severity: Severity, level: number) =>
  `${project}-watchpost-${severity}-escalation-${level}`;
/** Key prefix of the incident store's items (shared/incidents/store.ts: `INCIDENT`, `INCIDENT#OPEN`). */
const INCIDENT_PREFIX = 'INCIDENT';

export interface OnCallProps {
  config: ValidatedConfig;
  table: dynamodb.ITable | dynamodb.ITableV2;
  notifier: Notifier;
  /** The key the alarm topics are encrypted with (the escalation topics use it too). */
  topicKey?: kms.IKey;
  /** @default logs.RetentionDays.ONE_MONTH */
  logRetention?: logs.RetentionDays;
  /** `false` creates the sweep rule disabled (context `alarmActions=off`). @default true */
  enabled?: boolean;
}

export class OnCall extends Construct {
  /** Escalation topics per severity, level 1 first. */
  readonly escalationTopics: Record<Severity, sns.Topic[]> = { critical: [], warning: [] };
  readonly ackKey: secretsmanager.Secret;
  readonly ackFunction: WatchpostFunction;
  readonly ackUrl: lambda.FunctionUrl;
  /** The per-minute sweep (absent when nothing needs it). */
  readonly sweep?: events.Rule;

  constructor(scope: Construct, id: string, props: OnCallProps) {
    super(scope, id);
    const { config, table, notifier } = props;
    const project = config.project;

    for (const severity of ['critical', 'warning'] as const) {
      for (const level of onCallSettings(config, severity).escalate) {
        const topic = new sns.Topic(this, `Escalation-${severity}-${level.level}`, {
          topicName: escalationTopicName(project, severity, level.level),
          ...(props.topicKey ? { masterKey: props.topicKey } : {}),
          enforceSSL: true,
        });
        for (const phone of level.sms) topic.addSubscription(new subs.SmsSubscription(phone));
        for (const email of level.email) topic.addSubscription(new subs.EmailSubscription(email));
        this.escalationTopics[severity].push(topic);
      }
    }
    const all = [...this.escalationTopics.critical, ...this.escalationTopics.warning];
    if (all.length)
      notifier.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'PublishEscalations',
          actions: ['sns:Publish'],
          resources: all.map((t) => t.topicArn),
        }),
      );
    notifier.fn.addEnvironment(
      NOTIFIER_ENV.escalationTopics,
      JSON.stringify({
        critical: this.escalationTopics.critical.map((t) => t.topicArn),
        warning: this.escalationTopics.warning.map((t) => t.topicArn),
      }),
    );

    this.ackKey = new secretsmanager.Secret(this, 'AckKey', {
      secretName: ackKeySecretName(project),
      description: `HMAC key of the ${project} watchpost acknowledgement links (rotating it voids links already sent)`,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    Validations.of(this.ackKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The key only signs acknowledgement links that expire within 24 hours; rotate it by hand (a new value ' +
        'voids links already sent).',
    });

    const role = new iam.Role(this, 'AckRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `watchpost acknowledgement links of ${project}`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'OpenPages',
        // DeleteItem: the incident store moves its open marker (INCIDENT#OPEN) on writes.
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:DeleteItem'],
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [PAGE_PK, `${INCIDENT_PREFIX}*`] } },
      }),
    );
    this.ackKey.grantRead(role);
    this.ackFunction = new WatchpostFunction(this, 'AckFunction', {
      config,
      entry: ACK_ENTRY,
      functionName: ackFunctionName(project),
      description: `watchpost ${project}: acknowledgement links of pages`,
      logRetention: props.logRetention,
      memorySize: 256,
      timeoutSeconds: 10,
      role,
      environment: {
        [NOTIFIER_ENV.table]: table.tableName,
        [NOTIFIER_ENV.homeRegion]: config.homeRegion,
        [NOTIFIER_ENV.ackKeySecret]: ackKeySecretName(project),
      },
      // A link is opened by a person: a few at a time. This caps what a flood of forged links costs.
      reservedConcurrentExecutions: 5,
    });
    // No IAM auth: a phone opens the link. Each request is checked by its HMAC signature and expiry.
    this.ackUrl = this.ackFunction.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });

    // The notifier signs links with the same key and puts this URL in every page.
    this.ackKey.grantRead(notifier.role);
    notifier.fn.addEnvironment(NOTIFIER_ENV.ackUrl, this.ackUrl.url);
    notifier.fn.addEnvironment(NOTIFIER_ENV.ackKeySecret, ackKeySecretName(project));
    notifier.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'StatusPageIncidents',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:DeleteItem'],
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${INCIDENT_PREFIX}*`] } },
      }),
    );

    const dependencies = config.checks.some((c) => c.dependsOn?.length);
    if (needsTimer(config) || dependencies) {
      // A sweep, not one-time schedules: one Query of the open pages a minute keeps every timer in
      // the table (nothing to create, delete or lose), and a missed minute is caught up by the next.
      this.sweep = new events.Rule(this, 'Sweep', {
        ruleName: `${project}-watchpost-oncall-sweep`,
        description: `Reminders, escalations and held pages of the ${project} watchpost notifier`,
        schedule: events.Schedule.rate(Duration.minutes(1)),
        enabled: props.enabled ?? true,
        targets: [
          new targets.LambdaFunction(notifier.fn, {
            event: events.RuleTargetInput.fromObject({ 'watchpost-sweep': true }),
            retryAttempts: 0, // the next minute's sweep is the retry
            maxEventAge: Duration.minutes(1),
          }),
        ],
      });
    }
  }
}
