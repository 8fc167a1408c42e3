/**
 * The home region's stateful core: the results table (one table, in the home region: every
 * region's runner writes there, see below), the `critical` and `warning` topics with their
 * subscriptions, one runner health alarm per probe region, and the heartbeat ping endpoint when
 * the config has heartbeat checks. Check alarms live in the alarms stacks, dashboards in the
 * dashboard stack, so this stack (and the table in it) changes rarely.
 */
import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
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
      // No replicas: the alarms, the notifier and the metrics live in the home region, so when it is
      // down nothing pages whatever a replica holds; replicating every write to every probe region
      // would cost more than the rest of a check (docs/deploy.md "Why one table").
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Only the notifier publishes (alarms have no SNS actions), so the AWS managed key serves: it
    // lets this account's principals use it through SNS, and costs nothing (a customer key is $1 a month).
    const key = kms.Alias.fromAliasName(this, 'TopicKey', 'alias/aws/sns');

    const topics = {} as Topics;
    for (const severity of SEVERITIES) {
      const topic = new sns.Topic(this, `Topic-${severity}`, {
        topicName: topicName(config.project, severity),
        masterKey: key,
        enforceSSL: true,
      });
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
