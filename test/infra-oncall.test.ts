/** On-call in the home stack: escalation topics, the sweep, the ack function URL and key, their IAM, under cdk-nag. */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildWatchpost } from '../infra/watchpost-app';
import type { ValidatedConfig } from '../shared/config/types';
import { parseConfig } from '../shared/config/validate';

const ACCOUNT = '123456789012';

function config(notify: Record<string, unknown>, dependsOn?: string[]): ValidatedConfig {
  return parseConfig({
    project: 'shop',
    homeRegion: 'eu-central-1',
    regions: ['eu-central-1'],
    notify,
    checks: [
      { id: 'shop-api', kind: 'http', url: 'https://api.example.com/' },
      { id: 'shop-cart', kind: 'http', url: 'https://shop.example.com/cart', ...(dependsOn ? { dependsOn } : {}) },
    ],
  });
}

function home(c: ValidatedConfig) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const { home: stack } = buildWatchpost(app, c, { account: ACCOUNT });
  app.synth(); // the app's cdk-nag plugin throws on an unacknowledged finding
  return { stack, t: Template.fromStack(stack) };
}

const statements = (t: Template) =>
  Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
    (p: any) => p.Properties.PolicyDocument.Statement as any[],
  );

const ONCALL = {
  critical: {
    sms: ['+4915112345678'],
    repeat: '30m',
    escalate: [
      { after: '15m', sms: ['+4915187654321'] },
      { after: '45m', email: ['head-of-ops@example.com'] },
    ],
  },
};

// Each test synthesizes a whole app with cdk-nag: seconds on a busy machine.
describe('OnCall', { timeout: 120_000 }, () => {
  it('has a topic per escalation level with its subscribers, and the notifier may publish to exactly those', () => {
    const { stack, t } = home(config(ONCALL));
    t.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'shop-watchpost-critical-escalation-1' });
    t.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'shop-watchpost-critical-escalation-2' });
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'sms', Endpoint: '+4915187654321' });
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'head-of-ops@example.com' });
    const publish = statements(t).find((s) => s.Sid === 'PublishEscalations')!;
    expect(publish.Resource).toEqual(
      stack.oncall.escalationTopics.critical.map((topic) => stack.resolve(topic.topicArn)),
    );
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'shop-watchpost-notifier',
      Environment: {
        Variables: Match.objectLike({
          WATCHPOST_ESCALATION_TOPICS: Match.anyValue(),
          WATCHPOST_ACK_URL: Match.anyValue(),
          WATCHPOST_ACK_KEY_SECRET: 'shop/watchpost/ack-key',
        }),
      },
    });
  });

  it('sweeps every minute with a marked event, only when reminders, escalation or dependsOn need it', () => {
    const { stack, t } = home(config(ONCALL));
    t.hasResourceProperties('AWS::Events::Rule', {
      Name: 'shop-watchpost-oncall-sweep',
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: stack.resolve(stack.notifier.fn.functionArn),
          Input: JSON.stringify({ 'watchpost-sweep': true }),
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
        }),
      ],
    });
    expect(home(config({ critical: { sms: ['+4915112345678'] } })).stack.oncall.sweep).toBeUndefined();
    expect(home(config({}, ['shop-api'])).stack.oncall.sweep).toBeDefined();
  });

  it('serves ack links from a function URL, signed with a generated key only it and the notifier read', () => {
    const { stack, t } = home(config(ONCALL));
    t.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      TargetFunctionArn: stack.resolve(stack.oncall.ackFunction.functionArn),
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'shop-watchpost-ack',
      ReservedConcurrentExecutions: 5,
      Environment: { Variables: Match.objectLike({ WATCHPOST_ACK_KEY_SECRET: 'shop/watchpost/ack-key' }) },
    });
    t.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'shop/watchpost/ack-key',
      GenerateSecretString: Match.objectLike({ PasswordLength: 48 }),
    });
    const secret = stack.resolve(stack.oncall.ackKey.secretArn);
    const readers = statements(t).filter(
      (s) =>
        [s.Action].flat().includes('secretsmanager:GetSecretValue') &&
        JSON.stringify(s.Resource) === JSON.stringify(secret),
    );
    expect(readers).toHaveLength(2);
    const pages = statements(t).find((s) => s.Sid === 'OpenPages')!;
    expect(pages.Action).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:DeleteItem']);
    expect(pages.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['NOTIFY#PAGE', 'INCIDENT*'] },
    });
  });
});
