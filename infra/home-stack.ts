/**
 * The home region's stateful core: the results table (a global table with a replica in every
 * probe region), the `critical` and `warning` topics with their subscriptions, one runner
 * health alarm per probe region, and the heartbeat ping endpoint when the config has heartbeat
 * checks. Check alarms live in the alarms stacks, dashboards in the
 * dashboard stack, so this stack (and the table in it) changes rarely.
 */
import { Aws, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { topicName } from '../shared/alarms/names';
import { runnerAlarmSpecs } from '../shared/alarms/specs';
import type { Severity, ValidatedConfig } from '../shared/config/types';
import { TABLE, tableName } from '../shared/store/table';
import { renderAlarm, type Topics } from './alarm';
import { Notifier } from './notifier';
import { OnCall } from './oncall';
import { hasHeartbeats, HeartbeatEndpoint } from './heartbeat-endpoint';

export const SEVERITIES: readonly Severity[] = ['critical', 'warning'];

export interface HomeStackProps extends StackProps {
  config: ValidatedConfig;
  /** @default true */
  alarmActions?: boolean;
}

export class HomeStack extends Stack {
  readonly table: dynamodb.TableV2;
  readonly topics: Topics;
  readonly heartbeat?: HeartbeatEndpoint;
  readonly notifier: Notifier;
  readonly oncall: OnCall;

  constructor(scope: Construct, id: string, props: HomeStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.table = new dynamodb.TableV2(this, 'Results', {
      tableName: tableName(config.project),
      partitionKey: { name: TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE.sortKey, type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      timeToLiveAttribute: TABLE.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Each runner writes to the replica in its own region; the home region holds the primary.
      replicas: config.regions.filter((r) => r !== config.homeRegion).map((region) => ({ region })),
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Alarms publish to encrypted topics only if CloudWatch may use the key (an AWS managed
    // key cannot grant that), hence a customer managed key.
    const key = new kms.Key(this, 'TopicKey', {
      alias: `alias/${config.project}-watchpost-topics`,
      description: `Encrypts the ${config.project} watchpost alarm topics`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );

    const topics = {} as Topics;
    for (const severity of SEVERITIES) {
      const topic = new sns.Topic(this, `Topic-${severity}`, {
        topicName: topicName(config.project, severity),
        masterKey: key,
        enforceSSL: true,
      });
      // The topic policy replaces SNS's default one: allow exactly this account's alarms.
      topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'CloudWatchAlarmsPublish',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: {
            StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
            ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${this.region}:${Aws.ACCOUNT_ID}:alarm:*` },
          },
        }),
      );
      const targets = config.notify[severity];
      for (const phone of targets.sms) topic.addSubscription(new subs.SmsSubscription(phone));
      for (const email of targets.email) topic.addSubscription(new subs.EmailSubscription(email));
      topics[severity] = topic;
    }
    this.topics = topics;

    for (const spec of runnerAlarmSpecs(config)) renderAlarm(this, spec, props.alarmActions ?? true);

    // Every alarm state change becomes a formatted page (SMS, email, webhooks) through the notifier.
    this.notifier = new Notifier(this, 'Notifier', {
      config,
      table: this.table,
      topics,
      topicKey: key,
      enabled: props.alarmActions ?? true,
    });
    // Escalation topics, the per-minute sweep and the acknowledgement links.
    this.oncall = new OnCall(this, 'OnCall', {
      config,
      table: this.table,
      notifier: this.notifier,
      topicKey: key,
      enabled: props.alarmActions ?? true,
    });

    // Heartbeat checks need an endpoint their jobs can ping.
    if (hasHeartbeats(config)) this.heartbeat = new HeartbeatEndpoint(this, 'Heartbeat', { config, table: this.table });
  }
}
