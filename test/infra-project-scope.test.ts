/**
 * Two watchpost projects in one account and home region never share a metric series: every
 * datum the runner publishes and every metric an alarm or dashboard reads carries the
 * `Project` dimension. Asserted on the datums and on the synthesized templates of two projects
 * with the same check id.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { alarmSpecs } from '../shared/alarms/specs';
import type { ValidatedConfig } from '../shared/config/types';
import { parseConfig } from '../shared/config/validate';
import { resultDatums, runnerHealthDatum } from '../shared/metrics/datums';
import { registry } from '../shared/probes/registry';
import type { CheckResult } from '../shared/types';
import { buildWatchpost } from '../infra/watchpost-app';

const configOf = (project: string): ValidatedConfig =>
  parseConfig({
    project,
    homeRegion: 'eu-central-1',
    regions: ['eu-central-1', 'us-east-1'],
    checks: [
      { id: 'home', kind: 'http', url: 'https://shop.example.com/', degradedAfter: '2s' },
      { id: 'cert', kind: 'tls', host: 'shop.example.com' },
    ],
  });

type Stacks = ReturnType<typeof buildWatchpost>;
function synth(project: string): Stacks {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stacks = buildWatchpost(app, configOf(project), { account: '123456789012' });
  app.synth();
  return stacks;
}

/** Every metric every alarm of a synthesized project reads; the runner health series as `name{dims}`. */
function alarmSeries(stacks: Stacks): { runner: string[]; all: Array<Record<string, string>> } {
  const all: Array<Record<string, string>> = [];
  const runner: string[] = [];
  for (const stack of [stacks.home, ...stacks.alarms]) {
    const alarms = Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm');
    for (const a of Object.values(alarms)) {
      const metrics = (a.Properties.Metrics ?? [])
        .filter((m: any) => m.MetricStat)
        .map((m: any) => m.MetricStat.Metric);
      for (const m of metrics) {
        const dims = Object.fromEntries(m.Dimensions.map((d: any) => [d.Name, d.Value]));
        all.push(dims);
        if (m.MetricName === 'RunnerHealth') runner.push(`${m.MetricName}${JSON.stringify(dims)}`);
      }
    }
  }
  return { runner, all };
}

describe('metrics are scoped to their project', () => {
  let shop: Stacks;
  let blog: Stacks;
  // Synthesizing takes a while on a shared machine: once per project.
  beforeAll(() => {
    shop = synth('shop');
    blog = synth('blog');
  }, 180_000);

  const result: CheckResult = {
    checkId: 'home',
    kind: 'http',
    region: 'us-east-1',
    scheduledAt: '2030-05-01T10:00:00.000Z',
    startedAt: '2030-05-01T10:00:00.010Z',
    durationMs: 120,
    status: 'pass',
    attempts: 1,
    timings: { total: 118 },
    assertions: [],
    metrics: { DaysToExpiry: 40 },
  };

  it('every datum carries Project and CheckId; the runner health Project and Region', () => {
    const { datums } = resultDatums({ ...result, status: 'fail' }, { project: 'shop', kinds: registry });
    expect(datums.map((d) => d.name).sort()).toEqual(['DaysToExpiry', 'Failed']);
    for (const d of datums)
      expect(d.dimensions).toEqual([
        { name: 'Project', value: 'shop' },
        { name: 'CheckId', value: 'home' },
      ]);
    expect(runnerHealthDatum('shop', 'us-east-1', new Date()).dimensions).toEqual([
      { name: 'Project', value: 'shop' },
      { name: 'Region', value: 'us-east-1' },
    ]);
  });

  it('every alarm spec reads series of its own project only', () => {
    const specs = alarmSpecs(configOf('shop'));
    expect(specs.length).toBeGreaterThan(4);
    for (const spec of specs) for (const m of spec.metrics) expect(m.dimensions.Project, spec.key).toBe('shop');
  });

  it("two projects' runner-health and check alarms read different series (templates)", () => {
    const a = alarmSeries(shop);
    const b = alarmSeries(blog);
    expect(a.runner).toHaveLength(2);
    expect(a.runner).toContain('RunnerHealth{"Project":"shop","Region":"us-east-1"}');
    expect(b.runner).toContain('RunnerHealth{"Project":"blog","Region":"us-east-1"}');
    expect(a.runner.filter((s) => b.runner.includes(s))).toEqual([]);
    expect(a.all.every((d) => d.Project === 'shop')).toBe(true);
    expect(b.all.every((d) => d.Project === 'blog')).toBe(true);
  });

  it('the dashboard graphs read the project series', () => {
    const body = JSON.stringify(Template.fromStack(shop.dashboards[0]!).findResources('AWS::CloudWatch::Dashboard'));
    // Dimension pairs in the body: "CheckId","home","Project","shop"; the runner health "Project","shop","Region".
    expect(body).toContain('\\"CheckId\\",\\"home\\",\\"Project\\",\\"shop\\"');
    expect(body).not.toMatch(/\\"CheckId\\",\\"home\\",\\"Region\\"/);
    expect(body).toContain('\\"RunnerHealth\\",\\"Project\\",\\"shop\\",\\"Region\\"');
  });
});
