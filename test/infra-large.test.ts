/**
 * 300 checks in 3 regions (600 check alarms, maintenance windows over all of them) must
 * synthesize within CloudFormation's limits: ≤ 500 resources and ≤ 1 MB per template.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { alarmSpecs } from '../shared/alarms/specs';
import { importConfig } from '../shared/config/load';
import type { ValidatedConfig } from '../shared/config/types';
import { parseConfig } from '../shared/config/validate';
import { limitProblems, templateStats, TEMPLATE_LIMITS, type TemplateStats } from '../infra/limits';
import { buildWatchpost, type WatchpostStacks } from '../infra/watchpost-app';
import { LARGE_CHECKS } from './fixtures/configs/large';

const dashboardBody = (body: string | { 'Fn::Join': [string, unknown[]] }): any =>
  JSON.parse(
    typeof body === 'string' ? body : body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'aws')).join(''),
  );

describe('a config with 300 checks in 3 regions', () => {
  let config: ValidatedConfig;
  let stacks: WatchpostStacks;
  let stats: TemplateStats[];

  beforeAll(async () => {
    config = parseConfig(await importConfig('test/fixtures/configs/large.ts'));
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    stacks = buildWatchpost(app, config, { account: '123456789012' });
    stats = templateStats(app.synth());
  }, 120_000);

  it('synthesizes every template within 500 resources and 1 MB', () => {
    expect(config.checks).toHaveLength(LARGE_CHECKS);
    expect(limitProblems(stats)).toEqual([]);
    for (const s of stats) {
      expect(s.resources).toBeLessThanOrEqual(TEMPLATE_LIMITS.resources);
      expect(s.bytes).toBeLessThanOrEqual(TEMPLATE_LIMITS.bytes);
    }
    expect(stacks.alarms.length).toBeGreaterThan(1);
    expect(stacks.dashboards.length).toBeGreaterThan(1);
  });

  it('creates every check alarm exactly once across the alarms stacks', () => {
    const names = stacks.alarms.flatMap((s) =>
      Object.values(Template.fromStack(s).findResources('AWS::CloudWatch::Alarm')).map(
        (r: any) => r.Properties.AlarmName as string,
      ),
    );
    const expected = alarmSpecs(config)
      .filter((s) => s.type !== 'runner')
      .map((s) => s.name);
    expect(expected).toHaveLength(2 * LARGE_CHECKS);
    expect(names.sort()).toEqual(expected.sort());
  });

  it('mutes every alarm a window covers, at most 100 per mute rule', () => {
    const rules = stacks.alarms.flatMap((s) =>
      Object.values(Template.fromStack(s).findResources('AWS::CloudWatch::AlarmMuteRule')).map(
        (r: any) => r.Properties,
      ),
    );
    const muted = (prefix: string) =>
      rules.filter((r) => r.Name.startsWith(prefix)).flatMap((r) => r.MuteTargets.AlarmNames);
    for (const r of rules) expect(r.MuteTargets.AlarmNames.length).toBeLessThanOrEqual(100);
    expect(muted('bigshop-nightly-backup-')).toHaveLength(2 * LARGE_CHECKS);
    expect(muted('bigshop-db-upgrade-')).toHaveLength(2 * 40);
  });

  it('puts every check on a dashboard and every alarm in the overview', () => {
    const bodies = stacks.dashboards.flatMap((s) =>
      Object.values(Template.fromStack(s).findResources('AWS::CloudWatch::Dashboard')).map((r: any) =>
        dashboardBody(r.Properties.DashboardBody),
      ),
    );
    const widgets = bodies.flatMap((b) => b.widgets as any[]);
    for (const b of bodies) expect(b.widgets.length).toBeLessThanOrEqual(500);
    // One graph per check (its title starts with the check's id); the runner-health graph is the project's.
    const ids = new Set(config.checks.map((c) => c.id));
    const titles = widgets.filter((w) => w.type === 'metric').map((w) => String(w.properties.title));
    const graphed = new Set(titles.map((t) => t.split(/[: ]/)[0]).filter((id) => ids.has(id)));
    expect(graphed.size).toBe(LARGE_CHECKS);
    const listed = widgets.filter((w) => w.type === 'alarm').flatMap((w) => w.properties.alarms);
    expect(listed).toHaveLength(2 * LARGE_CHECKS + config.regions.length);
    for (const w of widgets.filter((x) => x.type === 'alarm'))
      expect(w.properties.alarms.length).toBeLessThanOrEqual(100);
  });
});
