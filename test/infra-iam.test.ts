/**
 * IAM that deploys at any size and grants only what is used: every policy document in the
 * synthesized templates is measured here (as IAM does: minified JSON, no whitespace, deploy-time
 * values at their longest) against IAM's limits; each runner may read only the secrets of the
 * checks it runs; a grant that cannot fit stops synth naming stack, role and policy; cdk-nag
 * acknowledges each wildcard on its own policy, never the role as a whole.
 */
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CheckConfig, ValidatedConfig } from '../shared/config/types';
import { parseConfig } from '../shared/config/validate';
import { assemblyProblems } from '../infra/limits';
import { buildWatchpost, type WatchpostStacks } from '../infra/watchpost-app';

const ACCOUNT = '123456789012';
const HOME = 'eu-central-1';
const REGIONS = ['eu-central-1', 'us-east-1', 'ap-southeast-1'];

function synth(config: ValidatedConfig): { stacks: WatchpostStacks; assembly: CloudAssembly } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stacks = buildWatchpost(app, config, { account: ACCOUNT });
  return { stacks, assembly: app.synth() };
}

/**
 * A policy document as IAM sees it deployed: pseudo parameters at their longest, other resources' values 128
 * characters.
 */
function iamChars(doc: unknown): number {
  const render = (v: any): any => {
    if (Array.isArray(v)) return v.map(render);
    if (!v || typeof v !== 'object') return v;
    if (v.Ref === 'AWS::Partition') return 'aws-us-gov';
    if (v.Ref === 'AWS::AccountId') return ACCOUNT;
    if (v.Ref || v['Fn::GetAtt']) return 'x'.repeat(128);
    if (v['Fn::Join']) return render(v['Fn::Join'][1]).join(v['Fn::Join'][0]);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, render(x)]));
  };
  return JSON.stringify(render(doc)).replace(/\s/g, '').length;
}

type Res = { Type: string; Properties: any };
const resourcesOf = (assembly: CloudAssembly) =>
  assembly.stacks.map((s) => ({
    name: s.stackName,
    resources: Object.entries((s.template.Resources ?? {}) as Record<string, Res>),
  }));

/** Every secret ARN pattern the runner role of a probe stack is granted (`name-??????` or `prefix*`). */
function runnerSecretPatterns(stack: Stack): string[] {
  const t = Template.fromStack(stack).toJSON();
  const roleId = Object.entries(t.Resources as Record<string, Res>).find(
    ([id, r]) => r.Type === 'AWS::IAM::Role' && id.startsWith('RunnerRole'),
  )![0];
  const onRole = (r: Res) => (r.Properties.Roles ?? []).some((x: any) => x.Ref === roleId);
  const docs = Object.values(t.Resources as Record<string, Res>)
    .filter((r) => (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') && onRole(r))
    .map((r) => r.Properties.PolicyDocument);
  return docs
    .flatMap((d) => d.Statement)
    .filter((s: any) => s.Action === 'secretsmanager:GetSecretValue')
    .flatMap((s: any) => [s.Resource].flat())
    .map((r: any) => JSON.stringify(r).match(/:secret:([^"]+)"/)![1]!);
}

const covers = (patterns: string[], name: string) =>
  patterns.some((p) =>
    p.endsWith('-??????') ? p === `${name}-??????` : p.endsWith('*') && name.startsWith(p.slice(0, -1)),
  );

describe('600 checks with a secret each in 3 regions', () => {
  const N = 600;
  let config: ValidatedConfig;
  let stacks: WatchpostStacks;
  let assembly: CloudAssembly;

  beforeAll(() => {
    const checks = Array.from(
      { length: N },
      (_, i): CheckConfig => ({
        id: `api-${String(i).padStart(3, '0')}`,
        kind: 'http',
        url: `https://api-${i}.shop.example.com/health`,
        headers: { authorization: { secret: `shop/api-${String(i).padStart(3, '0')}/token` } },
      }),
    );
    config = parseConfig({ project: 'bigshop', homeRegion: HOME, regions: REGIONS, checks });
    // synth() runs cdk-nag too: it throws on any unacknowledged finding.
    ({ stacks, assembly } = synth(config));
  }, 180_000);

  it('keeps every policy document within IAM limits (measured here from the templates)', () => {
    let managed = 0;
    for (const { name, resources } of resourcesOf(assembly)) {
      const inlinePerRole = new Map<string, number>();
      const managedPerRole = new Map<string, number>();
      for (const [id, r] of resources) {
        if (r.Type === 'AWS::IAM::ManagedPolicy') {
          managed++;
          expect(iamChars(r.Properties.PolicyDocument), `${name} ${id}`).toBeLessThanOrEqual(6_144);
          for (const role of r.Properties.Roles) managedPerRole.set(role.Ref, (managedPerRole.get(role.Ref) ?? 0) + 1);
        }
        if (r.Type === 'AWS::IAM::Policy')
          for (const role of r.Properties.Roles)
            inlinePerRole.set(role.Ref, (inlinePerRole.get(role.Ref) ?? 0) + iamChars(r.Properties.PolicyDocument));
        if (r.Type === 'AWS::IAM::Role')
          expect(iamChars(r.Properties.AssumeRolePolicyDocument)).toBeLessThanOrEqual(2_048);
      }
      for (const [role, chars] of inlinePerRole) expect(chars, `${name} ${role} inline`).toBeLessThanOrEqual(10_240);
      for (const [role, n] of managedPerRole) expect(n, `${name} ${role} managed`).toBeLessThanOrEqual(10);
    }
    // The exact list (one ARN per secret, ~56,000 characters) does not fit one policy: it was spread.
    expect(managed).toBeGreaterThan(3);
    expect(assemblyProblems(assembly)).toEqual([]);
  });

  it('lets every runner read every secret of its checks, each by its exact name', () => {
    for (const region of REGIONS) {
      const patterns = runnerSecretPatterns(stacks.probes.get(region)!);
      for (let i = 0; i < N; i++) expect(covers(patterns, `shop/api-${String(i).padStart(3, '0')}/token`)).toBe(true);
      expect(patterns.every((p) => p.endsWith('-??????'))).toBe(true);
    }
  });
});

describe('a grant too large for exact names', () => {
  // 40 checks × 50 header secrets = 2,000 names, all under "vault/team-<n>/".
  const checks = Array.from(
    { length: 40 },
    (_, i): CheckConfig => ({
      id: `svc-${i}`,
      kind: 'http',
      url: `https://svc-${i}.example.com/`,
      headers: Object.fromEntries(
        Array.from({ length: 50 }, (_, j) => [
          `x-key-${j}`,
          { secret: `vault/team-${i}/key-${String(j).padStart(2, '0')}` },
        ]),
      ),
    }),
  );
  const names = checks.flatMap((c) =>
    Object.values((c as { headers: Record<string, { secret: string }> }).headers).map((h) => h.secret),
  );

  it('groups names by longest common prefix, covering all; cdk-nag passes, one acknowledgement per group', () => {
    const { stacks, assembly } = synth(parseConfig({ project: 'vault', homeRegion: HOME, regions: [HOME], checks }));
    expect(assemblyProblems(assembly)).toEqual([]);
    const patterns = runnerSecretPatterns(stacks.probes.get(HOME)!);
    for (const n of names) expect(covers(patterns, n), n).toBe(true);
    const groups = patterns.filter((p) => p.endsWith('*'));
    expect(groups.length).toBeGreaterThan(0);
    // Narrowest grouping: never the whole vault, at most one team's keys per group.
    for (const g of groups) expect(g).toMatch(/^vault\/team-\d+\/?/);
  }, 60_000);

  it('stops synth naming stack, role and policies when even grouping cannot fit', () => {
    // 1,500 names without a common prefix of 4 characters: nothing may be grouped.
    const spread = Array.from(
      { length: 30 },
      (_, i): CheckConfig => ({
        id: `spread-${i}`,
        kind: 'http',
        url: `https://spread-${i}.example.com/`,
        headers: Object.fromEntries(
          Array.from({ length: 50 }, (_, j) => {
            const code = ((i * 50 + j) * 7919) % 46_656;
            return [`x-k-${j}`, { secret: `${code.toString(36).padStart(3, '0')}-standalone-secret-name` }];
          }),
        ),
      }),
    );
    const { assembly } = synth(parseConfig({ project: 'spread', homeRegion: HOME, regions: [HOME], checks: spread }));
    const problems = assemblyProblems(assembly);
    expect(problems.length).toBeGreaterThan(0);
    const role = 'spread-watchpost-probe-eu-central-1/Runner/Role';
    expect(problems.join('\n')).toContain(`spread-watchpost-probe-eu-central-1: role ${role}: `);
    expect(problems.join('\n')).toMatch(
      /: \d+ managed policies attached \(.*Runner\/ReferencedSecretsInHomeRegion1.*\), IAM allows 10$/m,
    );
  }, 60_000);
});

describe('secrets by region', () => {
  const config = parseConfig({
    project: 'shop',
    homeRegion: HOME,
    regions: REGIONS,
    checks: [
      {
        id: 'us-only',
        kind: 'http',
        url: 'https://us.example.com/',
        regions: ['us-east-1'],
        headers: { authorization: { secret: 'shop/us-token' } },
      },
      {
        id: 'eu-only',
        kind: 'http',
        url: 'https://eu.example.com/',
        regions: ['eu-central-1'],
        headers: { authorization: { secret: 'shop/eu-token' } },
      },
      {
        id: 'everywhere',
        kind: 'http',
        url: 'https://www.example.com/',
        headers: { authorization: { secret: 'shop/shared-token' } },
      },
      {
        id: 'nightly',
        kind: 'heartbeat',
        period: '1d',
        grace: '1h',
        regions: [HOME],
        token: { secret: 'heartbeat/nightly' },
      },
    ],
  });
  let stacks: WatchpostStacks;
  beforeAll(() => {
    ({ stacks } = synth(config));
  }, 60_000);

  it('grants a runner only the secrets of the checks that run in its region, never heartbeat tokens', () => {
    expect(runnerSecretPatterns(stacks.probes.get('us-east-1')!).sort()).toEqual([
      'shop/shared-token-??????',
      'shop/us-token-??????',
    ]);
    expect(runnerSecretPatterns(stacks.probes.get('eu-central-1')!).sort()).toEqual([
      'shop/eu-token-??????',
      'shop/shared-token-??????',
    ]);
    expect(runnerSecretPatterns(stacks.probes.get('ap-southeast-1')!)).toEqual(['shop/shared-token-??????']);
    // The token is the ping endpoint's.
    const home = JSON.stringify(Template.fromStack(stacks.home).findResources('AWS::IAM::Policy'));
    expect(home).toContain(':secret:heartbeat/nightly-??????');
  });

  it('acknowledges no wildcard for the runner role as a whole: a new one stops synth', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const built = buildWatchpost(app, config, { account: ACCOUNT });
    built.probes
      .get('us-east-1')!
      .runner.role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Resource::\*\]/);
  });

  it('acknowledges no wildcard for the notifier role as a whole either', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const withWindows = parseConfig({
      ...config,
      checks: config.checks,
      maintenance: [{ name: 'nightly', schedule: '0 3 * * *', duration: '15m' }],
    });
    const built = buildWatchpost(app, withWindows, { account: ACCOUNT });
    built.home.notifier.role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Resource::\*\]/);
  });
});
