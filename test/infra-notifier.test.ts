/** The notifier construct: the rule, the function, its permissions (scope!) and the two alarms, under cdk-nag. */
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { Notifier } from '../infra/notifier';
import { buildWatchpost } from '../infra/watchpost-app';
import { importConfig } from '../shared/config/load';
import type { ValidatedConfig } from '../shared/config/types';
import { parseConfig } from '../shared/config/validate';

const ACCOUNT = '123456789012';
const SECRET_VALUE = 'pd-routing-key-value-0815';
process.env.WATCHPOST_SECRET_WATCHPOST_PAGERDUTY = SECRET_VALUE;

function shopConfig(extra: Record<string, unknown> = {}, notify: Record<string, unknown> = {}): ValidatedConfig {
  return parseConfig({
    project: 'shop',
    homeRegion: 'eu-central-1',
    regions: ['eu-central-1', 'us-east-1'],
    notify: {
      critical: { sms: ['+4915112345678'] },
      webhooks: [
        {
          name: 'pagerduty',
          format: 'pagerduty',
          routingKey: { secret: 'watchpost/pagerduty' },
          severity: ['critical'],
        },
        {
          name: 'itsm',
          format: 'generic',
          url: { secret: 'watchpost/itsm-url' },
          headers: { authorization: { secret: 'watchpost/itsm-token' }, 'x-team': 'shop' },
        },
      ],
      ...notify,
    },
    checks: [{ id: 'shop-cart', kind: 'http', url: 'https://shop.example.com/cart' }],
    ...extra,
  });
}

function synth(config: ValidatedConfig, props: { enabled?: boolean; dashboardUrl?: string } = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Home', { env: { account: ACCOUNT, region: 'eu-central-1' } });
  const key = new kms.Key(stack, 'TopicKey', { enableKeyRotation: true });
  const topics = {
    critical: new sns.Topic(stack, 'Critical', {
      topicName: 'shop-watchpost-critical',
      masterKey: key,
      enforceSSL: true,
    }),
    warning: new sns.Topic(stack, 'Warning', { topicName: 'shop-watchpost-warning', masterKey: key, enforceSSL: true }),
  };
  const table = new dynamodb.TableV2(stack, 'Results', {
    tableName: 'shop-watchpost-results',
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
  const notifier = new Notifier(stack, 'Notifier', { config, table, topics, ...props });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  app.synth(); // throws on an unacknowledged cdk-nag finding
  return { template: Template.fromStack(stack), stack, notifier, topics, key, table };
}

const statements = (t: Template) =>
  Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
    (p: any) => p.Properties.PolicyDocument.Statement as any[],
  );
const ref = (stack: Stack, c: any) => stack.resolve(c);

describe('Notifier', () => {
  it('invokes the notifier on state changes of the project alarms only (ALARM and OK)', () => {
    const { template, stack, notifier } = synth(shopConfig());
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'shop-watchpost-alarm-pages',
      State: 'ENABLED',
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: [{ prefix: 'shop ' }], state: { value: ['ALARM', 'OK'] } },
      },
      Targets: [
        Match.objectLike({
          Arn: ref(stack, notifier.fn.functionArn),
          RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 900 },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: ref(stack, notifier.fn.functionArn),
      SourceArn: ref(stack, notifier.rule.ruleArn),
    });
    expect(
      synth(shopConfig(), { enabled: false }).template.findResources('AWS::Events::Rule', {
        Properties: { State: 'DISABLED' },
      }),
    ).not.toEqual({});
  });

  it('runs the bundled handler on arm64 with the newest Node, log retention and the topics in its environment', () => {
    const { template, stack, topics } = synth(shopConfig(), { dashboardUrl: 'https://status.example.com' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'shop-watchpost-notifier',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Environment: {
        Variables: Match.objectLike({
          WATCHPOST_TABLE: Match.anyValue(),
          WATCHPOST_CONFIG_FILE: 'watchpost.config.json',
          WATCHPOST_HOME_REGION: 'eu-central-1',
          WATCHPOST_TOPIC_CRITICAL: ref(stack, topics.critical.topicArn),
          WATCHPOST_TOPIC_WARNING: ref(stack, topics.warning.topicArn),
          WATCHPOST_DASHBOARD_URL: 'https://status.example.com',
        }),
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 900,
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/lambda/shop-watchpost-notifier',
      RetentionInDays: 30,
    });
  });

  it('grants least privilege: latest and own table items, both topics and their key, the webhook secrets', () => {
    const { template, stack, topics, key, table } = synth(shopConfig());
    const all = statements(template);
    const bySid = (sid: string) => all.find((s) => s.Sid === sid)!;

    expect(bySid('ReadLatestResults')).toMatchObject({
      Action: 'dynamodb:Query',
      Resource: ref(stack, table.tableArn),
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['LATEST#*'] } },
    });
    expect(bySid('FlapRecords')).toMatchObject({
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:DeleteItem'],
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['NOTIFY#*'] } },
    });
    expect(bySid('PublishPages')).toMatchObject({
      Action: 'sns:Publish',
      Resource: [ref(stack, topics.critical.topicArn), ref(stack, topics.warning.topicArn)],
    });
    expect(bySid('EncryptPages')).toMatchObject({
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: ref(stack, key.keyArn),
    });

    expect(JSON.stringify(bySid('WebhookSecrets').Resource)).toContain(':secretsmanager:eu-central-1:');
    expect(
      (bySid('WebhookSecrets').Resource as unknown[])
        .map((r) => JSON.stringify(r).match(/secret:([^"]+)-\?{6}/)?.[1])
        .sort(),
    ).toEqual(['watchpost/itsm-token', 'watchpost/itsm-url', 'watchpost/pagerduty']);

    // No wildcard resource without maintenance windows; no write outside its NOTIFY# items; no secret values.
    // (DeleteItem since issue 14: an open page record is deleted when its problem recovers.)
    expect(all.filter((s) => JSON.stringify(s.Resource) === '"*"')).toEqual([]);
    expect(
      all.flatMap((s) => [s.Action].flat()).filter((a: string) => /^dynamodb:(Put|Update|Delete|BatchWrite)/.test(a)),
    ).toEqual(['dynamodb:PutItem', 'dynamodb:DeleteItem']);
    expect(JSON.stringify(template.toJSON())).not.toContain(SECRET_VALUE);
  });

  it('is checked by cdk-nag: a careless statement on its role stops synth', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Home', { env: { account: ACCOUNT, region: 'eu-central-1' } });
    const topic = new sns.Topic(stack, 'T', {
      enforceSSL: true,
      masterKey: new kms.Key(stack, 'K', { enableKeyRotation: true }),
    });
    const table = new dynamodb.TableV2(stack, 'Results', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    });
    const n = new Notifier(stack, 'Notifier', {
      config: shopConfig(),
      table,
      topics: { critical: topic, warning: topic },
    });
    n.role.addToPolicy(new iam.PolicyStatement({ actions: ['sns:*'], resources: ['*'] }));
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Action::sns:\*\]/);
  });

  it('asks CloudWatch about mute rules only when maintenance windows exist (acknowledged for cdk-nag)', () => {
    const { template } = synth(
      shopConfig({ maintenance: [{ name: 'deploys', schedule: '0 2 * * SUN', duration: '30m' }] }),
    );
    expect(statements(template).find((s) => s.Sid === 'MaintenanceMutes')).toMatchObject({
      Action: 'cloudwatch:ListAlarmMuteRules',
      Resource: '*',
    });
    // Without webhooks there is no secrets statement at all.
    const bare = synth(shopConfig({}, { webhooks: [] }));
    expect(statements(bare.template).map((s) => s.Sid)).not.toContain('WebhookSecrets');
    expect(statements(bare.template).map((s) => s.Sid)).not.toContain('MaintenanceMutes');
  });

  it('watches the SMS spend at a share of the limit and its own failures, paging the topics directly', () => {
    const { template, stack, topics } = synth(shopConfig());
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'shop-watchpost-sms-spend',
      Namespace: 'AWS/SNS',
      MetricName: 'SMSMonthToDateSpentUSD',
      Statistic: 'Maximum',
      Threshold: 0.8,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'ignore',
      AlarmActions: [ref(stack, topics.warning.topicArn)],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'shop-watchpost-notifier-failing',
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Threshold: 1,
      AlarmActions: [ref(stack, topics.critical.topicArn)],
    });
    // Their names do not start with "shop ": the rule never sends them to the notifier itself.
    for (const a of Object.values(template.findResources('AWS::CloudWatch::Alarm')) as any[])
      expect(a.Properties.AlarmName.startsWith('shop ')).toBe(false);

    const custom = synth(shopConfig({}, { smsSpendLimitUSD: 20, smsSpendAlarmPercent: 50 }));
    custom.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'shop-watchpost-sms-spend',
      Threshold: 10,
    });
  });

  it('retries webhook pages through an encrypted SQS queue, alarms on the dead-letter queue, least privilege', () => {
    const { template, stack, notifier, topics } = synth(shopConfig());
    const retryArn = ref(stack, notifier.retryQueue.queueArn);
    const dlqArn = ref(stack, notifier.deadLetterQueue.queueArn);
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'shop-watchpost-webhook-retries',
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 360,
      RedrivePolicy: { deadLetterTargetArn: dlqArn, maxReceiveCount: 5 },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'shop-watchpost-webhook-given-up',
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 86_400,
    });
    // TLS only, on both queues.
    const tlsOnly = Object.values(template.findResources('AWS::SQS::QueuePolicy')).filter((p: any) =>
      p.Properties.PolicyDocument.Statement.some(
        (st: any) => st.Effect === 'Deny' && st.Condition?.Bool?.['aws:SecureTransport'] === 'false',
      ),
    );
    expect(tlsOnly).toHaveLength(2);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: retryArn,
      FunctionName: ref(stack, notifier.fn.functionRef.functionName),
      BatchSize: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'shop-watchpost-notifier',
      Environment: {
        Variables: Match.objectLike({
          WATCHPOST_WEBHOOK_RETRY_QUEUE_URL: ref(stack, notifier.retryQueue.queueUrl),
          WATCHPOST_WEBHOOK_DLQ_URL: ref(stack, notifier.deadLetterQueue.queueUrl),
        }),
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'shop-watchpost-webhook-pages-given-up',
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: ref(stack, notifier.deadLetterQueue.queueName) }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [ref(stack, topics.critical.topicArn)],
    });

    // SQS rights: send to both queues, consume only the retry queue, nothing on any other queue.
    const sqsStatements = statements(template).filter((st) =>
      [st.Action].flat().some((a: string) => a.startsWith('sqs:')),
    );
    const resourcesOf = (action: string) =>
      sqsStatements.filter((st) => [st.Action].flat().includes(action)).flatMap((st) => [st.Resource].flat());
    expect(resourcesOf('sqs:SendMessage')).toEqual(expect.arrayContaining([retryArn, dlqArn]));
    expect(resourcesOf('sqs:SendMessage')).toHaveLength(2);
    for (const a of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'])
      expect(resourcesOf(a)).toEqual([retryArn]);
    expect(
      sqsStatements
        .flatMap((st) => [st.Action].flat())
        .filter((a: string) => a === 'sqs:*' || a === 'sqs:PurgeQueue' || a === 'sqs:DeleteQueue'),
    ).toEqual([]);
  });

  it('is part of the home stack of the whole app, cdk-nag clean', async () => {
    const config = parseConfig(await importConfig('test/fixtures/configs/shop.ts'));
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const { home } = buildWatchpost(app, config, { account: ACCOUNT });
    expect(home.notifier).toBeInstanceOf(Notifier);
    app.synth(); // the app's cdk-nag plugin throws on an unacknowledged finding
    const t = Template.fromStack(home);
    t.resourceCountIs('AWS::Events::Rule', 1);
    const kmsStatement = statements(t).find((s) => s.Sid === 'EncryptPages')!;
    expect(kmsStatement.Action).toEqual(['kms:GenerateDataKey', 'kms:Decrypt']);
    // The fixture has maintenance windows: the mute check is granted (and acknowledged).
    expect(statements(t).map((s) => s.Sid)).toContain('MaintenanceMutes');
  });
});
