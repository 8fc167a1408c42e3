/**
 * The notifier in the home region: an EventBridge rule on the state changes of watchpost's
 * alarms (names begin with `<project> `) invokes a Lambda (functions/notifier) that reads the
 * check's latest results and publishes a formatted page per protocol to the severity's topic,
 * and posts the ITSM webhooks. A webhook page that fails waits in an SQS retry queue (delays
 * up to 15 minutes, the notifier takes it back through an event source mapping) and after half
 * an hour lands in a dead-letter queue. Alarms page the topics directly (raw CloudWatch
 * notifications, deliberately outside the rule): the notifier failing, webhook pages given up,
 * and the account's SNS SMS spend nearing its monthly limit (at the limit SNS stops sending SMS).
 *
 * Least privilege: Query on the table for `LATEST#*` items only, Get/Put for its own
 * `NOTIFY#*` items only, sns:Publish on the two topics (and their KMS key), GetSecretValue on
 * exactly the webhook secrets, ListAlarmMuteRules only when maintenance windows exist, send to
 * and consume the retry queue, send to the dead-letter queue.
 *
 * @example
 * new Notifier(homeStack, 'Notifier', { config, table, topics: { critical, warning } });
 */
import { join } from 'node:path';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Severity, ValidatedConfig } from '../shared/config/types';
import { smsSpendAlarm, webhookSecretNames } from '../shared/notify/config';
import { NOTIFY_PREFIX } from '../shared/notify/flap-store';
import { NOTIFIER_ENV } from '../shared/notify/lambda-env';
import { latestKey, TABLE } from '../shared/store/table';
import { PROJECT_ROOT } from './bundling';
import { grantSecretReads } from './secrets';
import { WatchpostFunction } from './watchpost-function';

export const NOTIFIER_ENTRY = join(PROJECT_ROOT, 'functions', 'notifier', 'index.ts');

export const notifierFunctionName = (project: string) => `${project}-watchpost-notifier`;
/** Alarm names the rule matches: every spec name begins with the project and a space. */
export const alarmNamePrefix = (project: string) => `${project} `;
export const webhookRetryQueueName = (project: string) => `${project}-watchpost-webhook-retries`;
export const webhookDeadLetterQueueName = (project: string) => `${project}-watchpost-webhook-given-up`;

export interface NotifierProps {
  config: ValidatedConfig;
  /** The results table (its home-region replica). */
  table: dynamodb.ITable | dynamodb.ITableV2;
  /** The topics pages go to, per severity. */
  topics: Record<Severity, sns.ITopic>;
  /**
   * The KMS key the topics are encrypted with (publishing needs it).
   * @default the critical topic's `masterKey`, if any
   */
  topicKey?: kms.IKey;
  /** The link pages give for "dashboard". @default `notify.dashboardUrl`, else the CloudWatch dashboard */
  dashboardUrl?: string;
  /** @default logs.RetentionDays.ONE_MONTH */
  logRetention?: logs.RetentionDays;
  /**
   * `false` creates the rule disabled: no pages (context `alarmActions=off`, for a first deploy,
   * like the alarms' actions).
   * @default true
   */
  enabled?: boolean;
  /** Topic the SMS spend alarm pages (raw CloudWatch notification). @default "warning" */
  smsSpendSeverity?: Severity;
}

export class Notifier extends Construct {
  readonly fn: WatchpostFunction;
  readonly role: iam.Role;
  readonly rule: events.Rule;
  readonly smsSpendAlarm: cloudwatch.Alarm;
  readonly failingAlarm: cloudwatch.Alarm;
  /** Failed webhook pages waiting for their next try. */
  readonly retryQueue: sqs.Queue;
  /** Given-up webhook pages (and poison retry messages). */
  readonly deadLetterQueue: sqs.Queue;
  /** Fires when anything lands in the dead-letter queue. */
  readonly givenUpAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: NotifierProps) {
    super(scope, id);
    const { config, table, topics } = props;
    const stack = Stack.of(this);
    const name = notifierFunctionName(config.project);

    // Webhook retries. Neither message holds a secret; SSE anyway, and TLS only.
    this.deadLetterQueue = new sqs.Queue(this, 'WebhookGivenUp', {
      queueName: webhookDeadLetterQueueName(config.project),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.retryQueue = new sqs.Queue(this, 'WebhookRetries', {
      queueName: webhookRetryQueueName(config.project),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times the function's timeout, as Lambda advises for an SQS event source.
      visibilityTimeout: Duration.minutes(6),
      retentionPeriod: Duration.days(1),
      // A message the notifier cannot handle (poison, or the queues failing) after 5 receives.
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `watchpost notifier of ${config.project}: formats and sends pages`,
    });
    // The config travels in the bundle (like the runner's): alarm names map back to checks through it.
    this.fn = new WatchpostFunction(this, 'Function', {
      config,
      entry: NOTIFIER_ENTRY,
      functionName: name,
      description: `watchpost notifier of ${config.project}: alarm state changes to SMS, email and webhook pages`,
      logRetention: props.logRetention,
      memorySize: 256,
      // Webhooks: 3 attempts of at most 5 s each plus backoff, in parallel with SNS (the same for a retry batch).
      timeoutSeconds: 60,
      role: this.role,
      environment: {
        [NOTIFIER_ENV.table]: table.tableName,
        [NOTIFIER_ENV.homeRegion]: config.homeRegion,
        [NOTIFIER_ENV.topicCritical]: topics.critical.topicArn,
        [NOTIFIER_ENV.topicWarning]: topics.warning.topicArn,
        [NOTIFIER_ENV.retryQueueUrl]: this.retryQueue.queueUrl,
        [NOTIFIER_ENV.deadLetterQueueUrl]: this.deadLetterQueue.queueUrl,
        ...(props.dashboardUrl ? { [NOTIFIER_ENV.dashboardUrl]: props.dashboardUrl } : {}),
      },
      // A failed publish throws after releasing its flap record: Lambda's retries page. A page
      // older than 15 minutes is stale.
      retryAttempts: 2,
      maxEventAge: Duration.minutes(15),
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadLatestResults',
        actions: ['dynamodb:Query'],
        resources: [table.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${latestKey('', '')[TABLE.partitionKey]}*`] },
        },
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        // Flap records, open pages (NOTIFY#PAGE), the webhook delivery ledger and trail (NOTIFY#delivery).
        sid: 'FlapRecords',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:DeleteItem'],
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${NOTIFY_PREFIX}*`] } },
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PublishPages',
        actions: ['sns:Publish'],
        resources: [topics.critical.topicArn, topics.warning.topicArn],
      }),
    );
    const key = props.topicKey ?? topics.critical.masterKey;
    if (key)
      this.role.addToPolicy(
        // What a publisher to an SSE-KMS topic needs.
        new iam.PolicyStatement({
          sid: 'EncryptPages',
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [key.keyArn],
        }),
      );
    const { policies: secretPolicies } = grantSecretReads(this, {
      role: this.role,
      names: webhookSecretNames(config),
      region: stack.region,
      sid: 'WebhookSecrets',
      purpose: `the ${config.project} webhook secrets`,
    });
    // Policies outside the role's default one: the function must not start before them.
    const policies: Construct[] = [...secretPolicies];
    if (config.maintenance?.length) {
      // A policy of its own, so the acknowledgement covers this wildcard only.
      const mutes = new iam.Policy(this, 'MaintenanceMutesPolicy', {
        statements: [
          new iam.PolicyStatement({
            sid: 'MaintenanceMutes',
            actions: ['cloudwatch:ListAlarmMuteRules'],
            resources: ['*'],
          }),
        ],
        roles: [this.role],
      });
      Validations.of(mutes).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'cloudwatch:ListAlarmMuteRules is a read-only list call without resource-level permissions; the notifier ' +
          'asks whether a maintenance window mutes an alarm before paging.',
      });
      policies.push(mutes);
    }

    this.retryQueue.grantSendMessages(this.role);
    this.deadLetterQueue.grantSendMessages(this.role);

    for (const p of policies) this.fn.node.addDependency(p);

    // Grants receive/delete/change-visibility on the retry queue only.
    this.fn.addEventSource(
      new SqsEventSource(this.retryQueue, {
        batchSize: 5,
        reportBatchItemFailures: true,
        maxConcurrency: 2,
        enabled: props.enabled ?? true,
      }),
    );

    this.rule = new events.Rule(this, 'AlarmStateChanges', {
      ruleName: `${config.project}-watchpost-alarm-pages`,
      description: `Pages for state changes of the ${config.project} watchpost alarms`,
      enabled: props.enabled ?? true,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        detail: {
          alarmName: [{ prefix: alarmNamePrefix(config.project) }],
          state: { value: ['ALARM', 'OK'] },
        },
      },
      targets: [new targets.LambdaFunction(this.fn, { retryAttempts: 4, maxEventAge: Duration.minutes(15) })],
    });

    // Raw CloudWatch notifications to the topics: they must not depend on the notifier itself.
    this.failingAlarm = new cloudwatch.Alarm(this, 'Failing', {
      alarmName: `${config.project}-watchpost-notifier-failing`,
      alarmDescription: [
        `The watchpost notifier of ${config.project} failed (Lambda ${name}): formatted pages may not have been sent.`,
        `Look at its logs (/aws/lambda/${name}) and at the alarms on the dashboard meanwhile.`,
      ].join('\n'),
      metric: this.fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.failingAlarm.addAlarmAction(new actions.SnsAction(topics.critical));

    this.givenUpAlarm = new cloudwatch.Alarm(this, 'WebhookPagesGivenUp', {
      alarmName: `${config.project}-watchpost-webhook-pages-given-up`,
      alarmDescription: [
        `A watchpost page of ${config.project} could not be delivered to a webhook`,
        '(PagerDuty, Opsgenie or your ITSM) for 30 minutes and was given up: the incident may be missing there.',
        `Each given-up page is a message in the SQS queue ${webhookDeadLetterQueueName(config.project)}`,
        `(webhook, incident, last error); the notifier's logs (/aws/lambda/${name}) have a`,
        '"webhook page given up" line for it. Fix the webhook, then purge the queue.',
      ].join('\n'),
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.givenUpAlarm.addAlarmAction(new actions.SnsAction(topics.critical));

    const spend = smsSpendAlarm(config);
    this.smsSpendAlarm = new cloudwatch.Alarm(this, 'SmsSpend', {
      alarmName: `${config.project}-watchpost-sms-spend`,
      alarmDescription: [
        `SNS SMS spend this month in ${config.homeRegion} reached ${spend.percent}% of the ${spend.limitUSD} USD ` +
          `monthly limit. At the limit SNS stops sending SMS: pages no longer reach phones.`,
        'Raise the account spend limit (SNS console > Text messaging (SMS) > Edit, or a quota increase) and ' +
          'notify.smsSpendLimitUSD in watchpost.config.ts, or find what sends so many SMS (flapping checks?).',
      ].join('\n'),
      metric: new cloudwatch.Metric({
        namespace: 'AWS/SNS',
        metricName: 'SMSMonthToDateSpentUSD',
        statistic: 'Maximum',
        period: Duration.minutes(5),
      }),
      threshold: spend.thresholdUSD,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // SNS reports the figure when SMS are sent: between them the spend has not changed.
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
    });
    this.smsSpendAlarm.addAlarmAction(new actions.SnsAction(topics[props.smsSpendSeverity ?? 'warning']));
  }
}
