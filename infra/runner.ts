/**
 * The runner in one probe region: a Lambda invoked every minute by EventBridge Scheduler, once
 * per shard (shared/runner/plan.ts): one schedule per shard, each naming its shard, so no
 * dispatcher stands between the clock and the probes, and a schedule that stops leaves its
 * share of RunnerHealth missing.
 *
 * The contract with `functions/runner/index.ts` (export `handler`):
 *
 * - Event (asynchronous invoke by EventBridge Scheduler, at least once per minute and shard):
 *   `{ "time": "2026-03-01T02:03:00Z", "shard": 0, "shards": 4 }` — `<aws.scheduler.scheduled-time>`,
 *   the minute the invocation was scheduled for (ISO 8601, UTC), and which of the region's
 *   shards it runs. A re-delivered event carries the same time and shard (and finds its claim).
 * - Environment (names from shared/runtime-env.ts `RUNNER_ENV`):
 *   `WATCHPOST_HOME_REGION` — home region (metrics are published and secrets read there);
 *   `WATCHPOST_TABLE` — results table name (in the home region: one table, no replicas);
 *   `WATCHPOST_CONFIG_FILE` — `watchpost.config.json`, relative to `LAMBDA_TASK_ROOT`.
 * - Bundle root: `index.mjs` (ESM, minified, AWS SDK bundled, source map) and
 *   `watchpost.config.json`: the validated config (defaults applied) as JSON, the same for
 *   every region. It holds secret references `{ "secret": "name" }`, never secret values.
 * - Permissions: write/read the results table in the home region; `cloudwatch:PutMetricData`
 *   into the `Watchpost` namespace of the home region; `secretsmanager:GetSecretValue` on the
 *   secrets the enabled checks run in this region resolve (heartbeat tokens are not among them),
 *   in the home region, within IAM's size limits (infra/secrets.ts); its own log group.
 * - Deadline: `context.getRemainingTimeInMillis()`; the timeout below leaves room for the
 *   schedule spread, the slowest check with its retries, and storing and publishing.
 */
import { join } from 'node:path';
import { Aws, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { PROJECT_ROOT } from './bundling';
import { WatchpostFunction } from './watchpost-function';
import { grantSecretReads } from './secrets';
import { runnerFunctionName, runnerLogGroupName } from '../shared/alarms/names';
import type { ValidatedConfig } from '../shared/config/types';
import { RUNNER_ENV } from '../shared/runtime-env';
import { kindOf } from '../shared/probes/registry';
import { planRegion, type RegionRunnerPlan } from '../shared/runner/plan';
import { runSecretNames } from '../shared/runner/run-check';
import { METRIC_NAMESPACE, tableName } from '../shared/store/table';

export { bundledConfigJson, PROJECT_ROOT, sha256 } from './bundling';
export const RUNNER_ENTRY = join(PROJECT_ROOT, 'functions', 'runner', 'index.ts');

/**
 * Timeout: the shard's latest start, its slowest check with every retry, and the store/publish
 * tail; at least 60 s, at most Lambda's 900 s (shared/runner/plan.ts).
 */
export const runnerTimeoutSeconds = (config: ValidatedConfig, region: string): number =>
  planRegion(config, region).timeoutSeconds;

export interface RunnerProps {
  config: ValidatedConfig;
}

export class Runner extends Construct {
  readonly fn: WatchpostFunction;
  readonly role: iam.Role;
  /** Shards, memory and timeout of this region's runner. */
  readonly plan: RegionRunnerPlan;
  /** One schedule per shard, shard 0 first. */
  readonly schedules: scheduler.Schedule[];

  constructor(scope: Construct, id: string, props: RunnerProps) {
    super(scope, id);
    const { config } = props;
    const stack = Stack.of(this);
    const region = stack.region;
    // Memory, timeout and shard count come from the plan `watchpost cost` prices.
    const plan = (this.plan = planRegion(config, region));

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `watchpost runner of ${config.project} in ${region}`,
    });
    this.fn = new WatchpostFunction(this, 'Function', {
      config,
      entry: RUNNER_ENTRY,
      functionName: runnerFunctionName(config.project),
      description: (digest) =>
        `watchpost runner: probes ${config.project} checks from ${region} (config sha256 ${digest.slice(0, 16)})`,
      logGroupName: runnerLogGroupName(config.project),
      memorySize: plan.memoryMb,
      timeoutSeconds: plan.timeoutSeconds,
      role: this.role,
      environment: {
        [RUNNER_ENV.homeRegion]: config.homeRegion,
        [RUNNER_ENV.table]: tableName(config.project),
      },
      // A failed pass is not retried: the next minute's pass comes anyway, and a late one is useless.
      retryAttempts: 0,
      maxEventAge: Duration.minutes(1),
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ResultsTableInHomeRegion',
        actions: [
          'dynamodb:BatchWriteItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:BatchGetItem',
          'dynamodb:GetItem',
          'dynamodb:Query',
        ],
        resources: [
          stack.formatArn({
            service: 'dynamodb',
            region: config.homeRegion,
            resource: 'table',
            resourceName: tableName(config.project),
          }),
        ],
      }),
    );
    // Each statement with `Resource: *` sits in a policy of its own, acknowledged there with its
    // reason: a wildcard added to the role later is still reported by cdk-nag.
    const wildcardPolicies = [
      this.wildcardPolicy(
        'MetricsPolicy',
        new iam.PolicyStatement({
          sid: 'MetricsIntoWatchpostNamespaceOfHomeRegion',
          actions: ['cloudwatch:PutMetricData'],
          resources: ['*'],
          conditions: {
            StringEquals: { 'cloudwatch:namespace': METRIC_NAMESPACE, 'aws:RequestedRegion': config.homeRegion },
          },
        }),
        'cloudwatch:PutMetricData has no resource-level permissions; the statement is limited to the Watchpost ' +
          'namespace by cloudwatch:namespace and to the home region by aws:RequestedRegion.',
      ),
    ];
    // The secrets of the checks that run in this region only (read from the home region), and
    // only those a run resolves: heartbeat tokens are the ping endpoint's.
    const names = new Set(
      config.checks.filter((c) => c.enabled && c.regions.includes(region)).flatMap((c) => [...runSecretNames(c)]),
    );
    const { policies: secretPolicies } = grantSecretReads(this, {
      role: this.role,
      names,
      region: config.homeRegion,
      sid: 'ReferencedSecretsInHomeRegion',
      purpose: `the secrets of the ${config.project} checks run in ${region}`,
    });

    // What the enabled checks' kinds need beyond that (e.g. reading an SQS queue), through the seam.
    const kindPerms = config.checks
      .filter((c) => c.enabled && c.regions.includes(region))
      .flatMap((c) => kindOf(c)?.runnerPermissions?.(c) ?? []);
    const byActions = new Map<string, { actions: string[]; resources: Set<string>; why?: string }>();
    for (const p of kindPerms) {
      const key = [...p.actions].sort().join(',');
      const entry = byActions.get(key) ?? { actions: [...p.actions].sort(), resources: new Set<string>(), why: p.why };
      // `{region}`: the runner's own (a logs check reads the log groups where it runs).
      for (const r of p.resources)
        entry.resources.add(r.replace('{account}', Aws.ACCOUNT_ID).replace('{region}', region));
      byActions.set(key, entry);
    }
    for (const { actions, resources, why } of byActions.values()) {
      if (!resources.has('*'))
        this.role.addToPolicy(new iam.PolicyStatement({ actions, resources: [...resources].sort() }));
      else {
        const id = `Wildcard-${actions.map((a) => a.replace(/[^A-Za-z0-9]/g, '')).join('-')}`;
        wildcardPolicies.push(
          this.wildcardPolicy(
            id,
            new iam.PolicyStatement({ actions, resources: ['*'] }),
            why ?? `${actions.join(', ')}: no narrower resource exists.`,
          ),
        );
      }
    }

    // Policies outside the role's default one: the function must not start before them.
    for (const p of [...wildcardPolicies, ...secretPolicies]) this.fn.node.addDependency(p);

    // Our own role (instead of the target's implicit one) so the acknowledgement below sits on it.
    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: `EventBridge Scheduler invoking the watchpost runner of ${config.project} in ${region}`,
    });
    const fnLogicalId = stack.getLogicalId(this.fn.node.defaultChild as lambda.CfnFunction);
    Validations.of(scheduleRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${fnLogicalId}.Arn>:*]`,
      reason:
        'LambdaInvoke grants lambda:InvokeFunction on the runner function and its versions and aliases (<arn>:*); ' +
        'it reaches this one function only.',
    });
    const invoke = (shard: number) =>
      new targets.LambdaInvoke(this.fn, {
        role: scheduleRole,
        input: scheduler.ScheduleTargetInput.fromObject({
          time: scheduler.ContextAttribute.scheduledTime,
          shard,
          shards: plan.shards,
        }),
        retryAttempts: 2,
        maxEventAge: Duration.minutes(1),
      });
    // Shard 0 keeps the unsharded schedule's id and name: growing past one shard adds schedules.
    this.schedules = Array.from(
      { length: plan.shards },
      (_, i) =>
        new scheduler.Schedule(this, i ? `EveryMinute${i}` : 'EveryMinute', {
          scheduleName: `${config.project}-watchpost-runner${i ? `-${i}` : ''}`,
          description:
            plan.shards > 1
              ? `Runs shard ${i + 1} of ${plan.shards} of the ${config.project} watchpost checks due each minute`
              : `Runs the ${config.project} watchpost checks due each minute`,
          schedule: scheduler.ScheduleExpression.rate(Duration.minutes(1)),
          target: invoke(i),
        }),
    );
  }

  /** An inline policy holding one `Resource: *` statement, with cdk-nag's finding acknowledged on it alone. */
  private wildcardPolicy(id: string, statement: iam.PolicyStatement, reason: string): iam.Policy {
    const policy = new iam.Policy(this, id, { statements: [statement], roles: [this.role] });
    Validations.of(policy).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason });
    return policy;
  }
}
