/**
 * The probe stack of a region too large for one runner: one EventBridge Scheduler schedule per
 * shard (each naming its shard), one function sized by the plan, a schedule role that may
 * invoke that function only, and a template that stays within CloudFormation's limits at
 * 10,000 checks.
 */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ProbeStack } from '../infra/probe-stack';
import { limitProblems, templateStats } from '../infra/limits';
import type { ValidatedConfig } from '../shared/config/types';
import { parseConfig } from '../shared/config/validate';
import { planRegion } from '../shared/runner/plan';

const REGION = 'eu-west-1';

function config(n: number): ValidatedConfig {
  return parseConfig({
    project: 'big',
    homeRegion: REGION,
    regions: [REGION],
    checks: Array.from({ length: n }, (_, i) => ({
      id: `check-${i}`,
      kind: 'http',
      url: `https://svc-${i % 500}.example.com/health/${i}`,
    })),
  });
}

describe('a region with 10,000 one-minute checks', () => {
  let cfg: ValidatedConfig;
  let template: Template;
  let app: App;
  beforeAll(() => {
    cfg = config(10_000);
    app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new ProbeStack(app, 'big-watchpost-probe-eu-west-1', {
      env: { account: '123456789012', region: REGION },
      config: cfg,
    });
    template = Template.fromStack(stack);
  }, 120_000);

  it('has one schedule per shard, each invoking the runner every minute with its shard', () => {
    const plan = planRegion(cfg, REGION);
    expect(plan.shards).toBeGreaterThanOrEqual(25);
    template.resourceCountIs('AWS::Scheduler::Schedule', plan.shards);
    const inputs = Object.values(template.findResources('AWS::Scheduler::Schedule')).map((r: any) => {
      expect(r.Properties).toMatchObject({
        ScheduleExpression: 'rate(1 minute)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        Target: { RetryPolicy: { MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 2 } },
      });
      return JSON.parse(r.Properties.Target.Input) as { time: string; shard: number; shards: number };
    });
    expect(inputs.map((i) => i.shard).sort((a, b) => a - b)).toEqual([...Array(plan.shards).keys()]);
    for (const i of inputs)
      expect(i).toEqual({ time: '<aws.scheduler.scheduled-time>', shard: i.shard, shards: plan.shards });
    const names = Object.values(template.findResources('AWS::Scheduler::Schedule')).map((r: any) => r.Properties.Name);
    expect(names).toContain('big-watchpost-runner');
    expect(names).toContain(`big-watchpost-runner-${plan.shards - 1}`);
  });

  it('sizes the one runner function by the plan, unreserved, never retried by Lambda', () => {
    const plan = planRegion(cfg, REGION);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'big-watchpost-runner',
      MemorySize: plan.memoryMb,
      Timeout: plan.timeoutSeconds,
      // Reserving concurrency would fail on accounts with a small quota; the shards need `shards` at once.
      ReservedConcurrentExecutions: Match.absent(),
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
    expect(plan.timeoutSeconds).toBeLessThanOrEqual(900);
  });

  it('lets the schedules invoke the runner and nothing else, with one role and one statement', () => {
    template.resourceCountIs('AWS::IAM::Role', 2); // the runner's and the schedules'
    const policies = Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^RunnerScheduleRole') }] },
      }),
    ) as any[];
    expect(policies).toHaveLength(1);
    const statements = policies[0].Properties.PolicyDocument.Statement;
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({ Action: 'lambda:InvokeFunction', Effect: 'Allow' });
    for (const r of statements[0].Resource) expect(JSON.stringify(r)).toMatch(/RunnerFunction/);
  });

  it('stays within CloudFormation limits: no resource per check', () => {
    const stats = templateStats(app.synth());
    expect(limitProblems(stats)).toEqual([]);
    expect(stats[0]!.resources).toBeLessThan(100);
  });
});
