/** The heartbeat endpoint construct: the facts that matter (URL auth, cost cap, log retention, IAM scope). */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { describe, expect, it } from 'vitest';
import { HeartbeatEndpoint, hasHeartbeats } from '../infra/heartbeat-endpoint';
import { parseConfig } from '../shared/config/validate';

const config = parseConfig({
  project: 'shop',
  homeRegion: 'eu-central-1',
  regions: ['eu-central-1'],
  checks: [
    {
      id: 'nightly-export',
      kind: 'heartbeat',
      period: '1d',
      grace: '1h',
      token: { secret: 'heartbeat/nightly-export' },
    },
    {
      id: 'imports',
      kind: 'heartbeat',
      period: '1h',
      grace: '5m',
      maxRuntime: '30m',
      token: { secret: 'heartbeat/imports' },
    },
    {
      id: 'retired',
      kind: 'heartbeat',
      period: '1h',
      grace: '5m',
      token: { secret: 'heartbeat/retired' },
      enabled: false,
    },
    { id: 'home', kind: 'http', url: 'https://shop.example.com/', headers: { authorization: { secret: 'shop-api' } } },
  ],
});

function synth(props: { reservedConcurrency?: number } = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Home', { env: { account: '123456789012', region: 'eu-central-1' } });
  const table = new dynamodb.TableV2(stack, 'Results', {
    tableName: 'shop-watchpost-results',
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
  });
  const endpoint = new HeartbeatEndpoint(stack, 'Heartbeat', { config, table, ...props });
  return { template: Template.fromStack(stack), endpoint, stack };
}

describe('HeartbeatEndpoint', () => {
  it('serves a function URL with auth NONE (the token authenticates) and caps concurrency', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE', InvokeMode: 'BUFFERED' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'shop-watchpost-heartbeat',
      ReservedConcurrentExecutions: 5,
      Timeout: 10,
      Environment: {
        Variables: Match.objectLike({
          WATCHPOST_TABLE: Match.anyValue(),
          WATCHPOST_CONFIG_FILE: 'watchpost.config.json',
          WATCHPOST_PING_RETENTION_DAYS: '30',
        }),
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/lambda/shop-watchpost-heartbeat',
      RetentionInDays: 30,
    });
    template.hasOutput('*', {
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('HeartbeatFunctionFunctionUrl'), 'FunctionUrl'] },
    });
    expect(
      synth({ reservedConcurrency: 2 }).template.findResources('AWS::Lambda::Function', {
        Properties: { ReservedConcurrentExecutions: 2 },
      }),
    ).not.toEqual({});
  });

  it('grants only ping writes on the table and only the enabled heartbeat tokens', () => {
    const { template } = synth();
    const policies = template.findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement as any[]);

    const table = statements.find((s) => s.Sid === 'RecordPings')!;
    expect(table.Action).toEqual(['dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem']);
    expect(table.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['PING#*'] } });
    expect(JSON.stringify(table.Resource)).not.toContain('*');

    const secrets = statements.find((s) => s.Sid === 'HeartbeatTokens')!;
    expect(secrets.Action).toBe('secretsmanager:GetSecretValue');
    const arns = JSON.stringify(secrets.Resource);
    expect(arns).toContain(':secret:heartbeat/imports-??????');
    expect(arns).toContain(':secret:heartbeat/nightly-export-??????');
    expect(arns).not.toContain('retired');
    expect(arns).not.toContain('shop-api');

    // Nothing else: no wildcard actions anywhere.
    for (const s of statements) expect(JSON.stringify(s.Action)).not.toMatch(/"\*"|:\*"/);
  });

  it('is only needed when a heartbeat check is enabled', () => {
    expect(hasHeartbeats(config)).toBe(true);
    expect(hasHeartbeats({ checks: config.checks.filter((c) => c.kind !== 'heartbeat' || !c.enabled) })).toBe(false);
  });
});
