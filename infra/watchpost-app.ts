/**
 * Builds the whole deployment from one validated config:
 *
 * - `<project>-watchpost-home` (home region): results table (one table, no replicas), alarm
 *   topics and subscriptions, runner health alarms;
 * - `<project>-watchpost-alarms-<n>` (home region, as many as the limits require): check
 *   alarms and maintenance mute rules;
 * - `<project>-watchpost-dashboard[-<n>]` (home region): dashboards, three per stack;
 * - `<project>-watchpost-probe-<region>` (each probe region): the runner and its schedule;
 * - `<project>-watchpost-status` (home region, with `statusPage`): the public status page.
 *
 * cdk-nag's AwsSolutions checks run on every synth; each acknowledgement sits next to the
 * construct it is about (infra/runner.ts).
 */
import { Stage, Tags, Validations, type Environment } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { checkAlarmSpecs, runnerAlarmSpecs } from '../shared/alarms/specs';
import type { ValidatedConfig } from '../shared/config/types';
import { registry } from '../shared/probes/registry';
import type { ProbeKind } from '../shared/probes/types';
import { AlarmsStack, muteRuleCount } from './alarms-stack';
import { DashboardStack, PAGES_PER_STACK, planPages } from './dashboard-stack';
import { HomeStack } from './home-stack';
import { ProbeStack } from './probe-stack';
import { StatusStack } from './status-stack';
import { shardAlarms, type CheckAlarms } from './sharding';

export interface BuildOptions {
  /** Probe kinds (tests pass kinds with alarms of their own). @default the registry */
  kinds?: ReadonlyMap<string, ProbeKind>;
  /** Account of every stack. @default CDK_DEFAULT_ACCOUNT, else account-agnostic */
  account?: string;
  /**
   * Never fewer alarms stacks than this (context `alarmStacks`), so the count does not shrink when checks go.
   * @default 1
   */
  minAlarmStacks?: number;
  /** Alarms notify (context `alarmActions=off` creates them silent, for a first deploy). @default true */
  alarmActions?: boolean;
  /** Run cdk-nag's AwsSolutions checks on synth. @default true */
  nag?: boolean;
}

export interface WatchpostStacks {
  home: HomeStack;
  alarms: AlarmsStack[];
  dashboards: DashboardStack[];
  probes: Map<string, ProbeStack>;
  /** The status page, when the config has `statusPage`. */
  status?: StatusStack;
}

export const stackName = (project: string, part: string) => `${project}-watchpost-${part}`;

/**
 * The stacks, created in `app`: the app itself (watchpost's own CDK app), or a construct inside a
 * team's app (`watchpost/cdk`). Give a new stack `stackName` = its id, so its name does not
 * depend on where it sits.
 */
export function buildWatchpost(app: Construct, config: ValidatedConfig, opts: BuildOptions = {}): WatchpostStacks {
  const kinds = opts.kinds ?? registry;
  const account = opts.account ?? (process.env.CDK_DEFAULT_ACCOUNT || undefined);
  const env = (region: string): Environment => ({ account, region });
  const home = new HomeStack(app, stackName(config.project, 'home'), {
    stackName: stackName(config.project, 'home'),
    env: env(config.homeRegion),
    description: `watchpost ${config.project}: results table, alarm topics, runner health alarms`,
    config,
    alarmActions: opts.alarmActions,
  });

  const groups: CheckAlarms[] = config.checks
    .map((c) => ({ checkId: c.id, specs: checkAlarmSpecs(config, c, kinds) }))
    .filter((g) => g.specs.length);
  const shards = groups.length
    ? shardAlarms(groups, { minStacks: opts.minAlarmStacks, extraResources: (checks) => muteRuleCount(config, checks) })
    : [];
  const alarms: AlarmsStack[] = [];
  shards.forEach((shard, i) => {
    const stack = new AlarmsStack(app, stackName(config.project, `alarms-${i + 1}`), {
      stackName: stackName(config.project, `alarms-${i + 1}`),
      env: env(config.homeRegion),
      description: `watchpost ${config.project}: check alarms, part ${i + 1} of ${shards.length}`,
      config,
      index: i + 1,
      checks: shard.checks,
      alarmActions: opts.alarmActions,
    });
    stack.addStackDependency(home, 'alarms page the topics of the home stack');
    // Growing the stack count moves alarms only into the newest stack: deploy it after the
    // older ones, which delete the moved alarms first (an alarm keeps its name).
    if (i > 0) stack.addStackDependency(alarms[i - 1]!, 'alarms that move to a newer stack leave the older one first');
    alarms.push(stack);
  });

  const specs = [...groups.flatMap((g) => g.specs), ...runnerAlarmSpecs(config)];
  const pages = planPages(config, specs);
  const dashboards: DashboardStack[] = [];
  for (let first = 0; first < pages.length; first += PAGES_PER_STACK) {
    const n = first / PAGES_PER_STACK + 1;
    const pageIndexes = pages.map((_, i) => i).slice(first, first + PAGES_PER_STACK);
    dashboards.push(
      new DashboardStack(app, stackName(config.project, n === 1 ? 'dashboard' : `dashboard-${n}`), {
        stackName: stackName(config.project, n === 1 ? 'dashboard' : `dashboard-${n}`),
        env: env(config.homeRegion),
        description: `watchpost ${config.project}: dashboards ${pageIndexes.map((i) => i + 1).join(', ')}`,
        config,
        specs,
        pages,
        pageIndexes,
      }),
    );
  }

  const probes = new Map<string, ProbeStack>();
  for (const region of config.regions) {
    const probe = new ProbeStack(app, stackName(config.project, `probe-${region}`), {
      stackName: stackName(config.project, `probe-${region}`),
      env: env(region),
      description: `watchpost ${config.project}: runner in ${region}`,
      config,
    });
    probe.addStackDependency(home, 'the runner writes to the table the home stack creates');
    probes.set(region, probe);
  }

  const status = config.statusPage
    ? new StatusStack(app, stackName(config.project, 'status'), {
        env: env(config.homeRegion),
        description: `watchpost ${config.project}: public status page (S3, CloudFront, builder)`,
        config,
      })
    : undefined;
  status?.addStackDependency(home, 'the builder reads the table of the home stack');

  Tags.of(app).add('watchpost:project', config.project);
  if (opts.nag !== false) {
    // Validation plugins belong to the stage (the app): they check every stack in it.
    const stage = Stage.isStage(app) ? app : Stage.of(app);
    if (stage) Validations.of(stage).addPlugins(new AwsSolutionsChecks(stage, { verbose: true }));
  }
  return { home, alarms, dashboards, probes, status };
}
