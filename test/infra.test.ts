/**
 * The CDK app's templates, asserted on the facts that matter: the schedule, each alarm's math,
 * threshold, datapoints, missing-data handling and actions, IAM statements and their scope,
 * table replicas, subscriptions, mute rules and the dashboard. Bundling is skipped here; the
 * CLI test (infra-cli.test.ts) bundles for real.
 */
import { App, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { alarmSpecs } from '../shared/alarms/specs';
import { importConfig } from '../shared/config/load';
import type { ValidatedConfig } from '../shared/config/types';
import { parseConfig } from '../shared/config/validate';
import { BUNDLED_CONFIG_FILE, LAMBDA_ENV, RUNNER_ENV } from '../shared/runtime-env';
import { bundledConfigJson, sha256 } from '../infra/runner';
import { buildWatchpost, type WatchpostStacks } from '../infra/watchpost-app';

const ACCOUNT = '123456789012';
const HOME = 'eu-central-1';
const REGIONS = ['eu-central-1', 'us-east-1', 'ap-southeast-1'];
const SECRET_VALUE = 'sekrit-token-value-4711';
process.env.WATCHPOST_SECRET_SHOP_API_TOKEN = SECRET_VALUE;

async function loadShop(): Promise<ValidatedConfig> {
  return parseConfig(await importConfig('test/fixtures/configs/shop.ts'));
}

function synth(config: ValidatedConfig): { app: App; stacks: WatchpostStacks } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stacks = buildWatchpost(app, config, { account: ACCOUNT });
  app.synth();
  return { app, stacks };
}

/** The alarm of a spec key (e.g. `down:shop-home`) in the alarms stacks. */
function alarmProps(stacks: WatchpostStacks, key: string): Record<string, any> {
  for (const stack of stacks.alarms) {
    const alarm = stack.alarms.get(key);
    if (alarm) {
      const t = Template.fromStack(stack).toJSON();
      return t.Resources[stack.getLogicalId(alarm.node.defaultChild as any)].Properties;
    }
  }
  throw new Error(`no alarm ${key}`);
}

/** The one series a check alarm reads (every region publishes into it). */
function singleMetric(props: Record<string, any>) {
  // No metric math: exactly one series (CloudWatch renders a labelled metric as a one-entry Metrics list).
  expect(props.Metrics).toHaveLength(1);
  const { Metric: m, Stat, Period } = props.Metrics[0].MetricStat;
  expect(m.Namespace).toBe('Watchpost');
  return {
    name: m.MetricName,
    stat: Stat,
    period: Period,
    dims: Object.fromEntries(m.Dimensions.map((d: any) => [d.Name, d.Value])),
  };
}

/** A synthesized DashboardBody (a string, or a join with partition tokens) as JSON. */
function dashboardBody(body: string | { 'Fn::Join': [string, unknown[]] }): any {
  return JSON.parse(
    typeof body === 'string' ? body : body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'aws')).join(''),
  );
}

describe('watchpost CDK app', () => {
  let config: ValidatedConfig;
  let stacks: WatchpostStacks;
  let home: Template;
  let probeUs: Template;

  /** The topic the notifier pages for an alarm: its spec's severity. */
  const severityOf = (key: string) => alarmSpecs(config).find((sp) => sp.key === key)!.severity;

  beforeAll(async () => {
    config = await loadShop();
    ({ stacks } = synth(config));
    home = Template.fromStack(stacks.home);
    probeUs = Template.fromStack(stacks.probes.get('us-east-1')!);
  });

  it('creates a home stack, alarms, dashboard and one probe stack per region, each in its region', () => {
    expect(stacks.home.region).toBe(HOME);
    expect(stacks.alarms.map((s) => s.region)).toEqual([HOME]);
    expect(stacks.dashboards.map((s) => s.stackName)).toEqual(['shop-watchpost-dashboard']);
    expect([...stacks.probes.keys()]).toEqual(REGIONS);
    for (const [region, stack] of stacks.probes) {
      expect(stack.region).toBe(region);
      expect(stack.stackName).toBe(`shop-watchpost-probe-${region}`);
    }
  });

  describe('probe stack', () => {
    it('invokes the runner every minute with the scheduled time', () => {
      probeUs.resourceCountIs('AWS::Scheduler::Schedule', 1);
      probeUs.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(1 minute)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        Target: {
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RunnerFunction'), 'Arn'] },
          // One schedule per shard (shared/runner/plan.ts): this config fits in one.
          Input: JSON.stringify({ time: '<aws.scheduler.scheduled-time>', shard: 0, shards: 1 }),
          RetryPolicy: { MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 2 },
        },
      });
    });

    it('runs the runner on arm64 Node 24 with memory, timeout, log retention and the runner environment', () => {
      probeUs.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: 'shop-watchpost-runner',
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 256, // the plan's choice for a shard this small (shared/runner/plan.ts)
        Timeout: 60,
        Environment: {
          Variables: {
            [RUNNER_ENV.homeRegion]: HOME,
            [RUNNER_ENV.table]: 'shop-watchpost-results',
            [LAMBDA_ENV.configFile]: BUNDLED_CONFIG_FILE,
            NODE_OPTIONS: '--enable-source-maps',
          },
        },
        LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^RunnerLogs') } },
      });
      probeUs.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: '/aws/lambda/shop-watchpost-runner',
        RetentionInDays: 30,
      });
      probeUs.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 60,
      });
    });

    it('gives the runner least privilege: the home-region table, the Watchpost namespace, referenced secrets', () => {
      const runnerPolicies = probeUs.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^RunnerRole') }] },
      });
      const byId = (prefix: string) => Object.entries(runnerPolicies).find(([id]) => id.startsWith(prefix))![1] as any;
      // The default policy and the metrics statement in a policy of its own (its wildcard is acknowledged there alone).
      expect(Object.keys(runnerPolicies)).toHaveLength(2);
      expect(byId('RunnerRoleDefaultPolicy').Properties.PolicyDocument.Statement).toEqual([
        {
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [expect.stringMatching(/^RunnerLogs/), 'Arn'] },
        },
        {
          Sid: 'ResultsTableInHomeRegion',
          Action: [
            'dynamodb:BatchWriteItem',
            'dynamodb:PutItem',
            'dynamodb:UpdateItem',
            'dynamodb:BatchGetItem',
            'dynamodb:GetItem',
            'dynamodb:Query',
          ],
          Effect: 'Allow',
          Resource: {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, `:dynamodb:eu-central-1:${ACCOUNT}:table/shop-watchpost-results`],
            ],
          },
        },
        {
          // The heartbeat token is the ping endpoint's, not the runner's.
          Sid: 'ReferencedSecretsInHomeRegion',
          Action: 'secretsmanager:GetSecretValue',
          Effect: 'Allow',
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                `:secretsmanager:${HOME}:`,
                { Ref: 'AWS::AccountId' },
                ':secret:shop/api-token-??????',
              ],
            ],
          },
        },
      ]);
      expect(byId('RunnerMetricsPolicy').Properties.PolicyDocument.Statement).toEqual([
        {
          Sid: 'MetricsIntoWatchpostNamespaceOfHomeRegion',
          Action: 'cloudwatch:PutMetricData',
          Condition: { StringEquals: { 'cloudwatch:namespace': 'Watchpost', 'aws:RequestedRegion': HOME } },
          Effect: 'Allow',
          Resource: '*',
        },
      ]);
      // The schedule's role may invoke the runner and nothing else.
      probeUs.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: Match.stringLikeRegexp('^RunnerScheduleRole') }],
        PolicyDocument: {
          Statement: [
            Match.objectLike({
              Action: 'lambda:InvokeFunction',
              Resource: Match.arrayWith([{ 'Fn::GetAtt': [Match.stringLikeRegexp('^RunnerFunction'), 'Arn'] }]),
            }),
          ],
        },
      });
      probeUs.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [
            Match.objectLike({
              Principal: { Service: 'scheduler.amazonaws.com' },
              Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
            }),
          ],
        },
      });
    });

    it("adds the permissions a kind needs for its checks through the seam (an SQS queue's attributes and age)", () => {
      const queues = parseConfig({
        project: 'shop',
        homeRegion: HOME,
        regions: REGIONS,
        checks: [
          {
            id: 'orders',
            kind: 'queue',
            sqs: { queueUrl: 'https://sqs.eu-west-1.amazonaws.com/210987654321/orders' },
            maxDepth: 500,
            maxAge: '10m',
          },
          {
            id: 'mails',
            kind: 'queue',
            sqs: { queueUrl: 'https://sqs.us-east-1.amazonaws.com/210987654321/mails' },
            maxDepth: 100,
            regions: ['us-east-1'],
          },
        ],
      });
      const probe = Template.fromStack(synth(queues).stacks.probes.get('us-east-1')!);
      const statements = Object.values(
        probe.findResources('AWS::IAM::Policy', {
          Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^RunnerRole') }] },
        }),
      ).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
      expect(statements).toContainEqual({
        Action: 'sqs:GetQueueAttributes',
        Effect: 'Allow',
        Resource: ['arn:aws:sqs:eu-west-1:210987654321:orders', 'arn:aws:sqs:us-east-1:210987654321:mails'],
      });
      expect(statements).toContainEqual({ Action: 'cloudwatch:GetMetricStatistics', Effect: 'Allow', Resource: '*' });
      // The eu-central-1 runner does not probe "mails": it may not read it.
      const eu = Template.fromStack(synth(queues).stacks.probes.get('eu-central-1')!);
      expect(JSON.stringify(eu.findResources('AWS::IAM::Policy'))).not.toContain(':mails');
    });

    it('ships the config as a bundled file, never as a secret value or an environment variable', () => {
      const json = bundledConfigJson(config);
      expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(config)));
      expect(json).toContain('"secret": "shop/api-token"');
      probeUs.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp(`config sha256 ${sha256(json).slice(0, 16)}`),
      });
      const fn = Object.values(probeUs.findResources('AWS::Lambda::Function'))[0] as any;
      expect(Object.keys(fn.Properties.Environment.Variables).sort()).toEqual(
        [LAMBDA_ENV.configFile, RUNNER_ENV.homeRegion, RUNNER_ENV.table, 'NODE_OPTIONS'].sort(),
      );
      for (const stack of [stacks.home, ...stacks.alarms, ...stacks.dashboards, ...stacks.probes.values()])
        expect(JSON.stringify(Template.fromStack(stack).toJSON())).not.toContain(SECRET_VALUE);
    });
  });

  describe('home stack', () => {
    it('keeps results in one home-region table (no replicas), point-in-time recovery and TTL', () => {
      home.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
      const table = Object.values(home.findResources('AWS::DynamoDB::GlobalTable'))[0] as any;
      expect(table.Properties).toMatchObject({
        TableName: 'shop-watchpost-results',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      });
      // Every runner writes to the home region: replicas would only multiply the write bill.
      expect(table.Properties.Replicas.map((r: any) => r.Region)).toEqual(['eu-central-1']);
      for (const r of table.Properties.Replicas)
        expect(r.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.DeletionPolicy).toBe('Retain');
    });

    it('has critical and warning topics under the AWS managed key that refuse non-TLS publishing', () => {
      for (const severity of ['critical', 'warning']) {
        const topic = Object.values(home.findResources('AWS::SNS::Topic')).find(
          (t: any) => t.Properties.TopicName === `shop-watchpost-${severity}`,
        ) as any;
        expect(JSON.stringify(topic.Properties.KmsMasterKeyId)).toContain(':alias/aws/sns');
        home.hasResourceProperties('AWS::SNS::TopicPolicy', {
          Topics: [{ Ref: Match.stringLikeRegexp(`^Topic${severity}`) }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Deny',
                Action: 'sns:Publish',
                Principal: '*',
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              }),
            ]),
          },
        });
      }
      // Only the notifier publishes (alarms have no SNS actions): no customer key ($1 a month) is needed.
      home.resourceCountIs('AWS::KMS::Key', 0);
    });

    it('subscribes SMS and email per severity from notify', () => {
      const subs = Object.values(home.findResources('AWS::SNS::Subscription')).map((r: any) => [
        r.Properties.Protocol,
        r.Properties.Endpoint,
        r.Properties.TopicArn.Ref.replace(/[A-F0-9]{8}$/, ''),
      ]);
      expect(subs.sort()).toEqual(
        [
          ['email', 'oncall@example.com', 'Topiccritical'],
          ['email', 'team@example.com', 'Topicwarning'],
          ['sms', '+4915112345678', 'Topiccritical'],
        ].sort(),
      );
    });

    it("pages critical when a region's runner health goes missing (missing data breaches)", () => {
      const runnerAlarms = Object.values(home.findResources('AWS::CloudWatch::Alarm')).filter((a: any) =>
        / RUNNER /.test(a.Properties.AlarmName),
      );
      expect(runnerAlarms).toHaveLength(REGIONS.length);
      for (const region of REGIONS)
        home.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: Match.stringLikeRegexp(`^shop RUNNER ${region} `),
          // The shards' shares of a healthy minute add up to 1 (0.999 allows for floating point).
          ComparisonOperator: 'LessThanThreshold',
          Threshold: 0.999,
          EvaluationPeriods: 5,
          DatapointsToAlarm: 3,
          TreatMissingData: 'breaching',
          AlarmActions: Match.absent(), // pages go through the notifier, formatted
          Metrics: [
            Match.objectLike({
              ReturnData: true,
              MetricStat: {
                Metric: {
                  Namespace: 'Watchpost',
                  MetricName: 'RunnerHealth',
                  Dimensions: [
                    { Name: 'Project', Value: 'shop' },
                    { Name: 'Region', Value: region },
                  ],
                },
                Period: 60,
                Stat: 'Sum',
              },
            }),
          ],
        });
    });
  });

  describe('check alarms', () => {
    it('DOWN: the Sum of Failed that every region feeds, quorum threshold, 2 of 3, to the severity topic, OK', () => {
      const props = alarmProps(stacks, 'down:shop-home');
      expect(singleMetric(props)).toEqual({
        name: 'Failed',
        stat: 'Sum',
        period: 60,
        dims: { Project: 'shop', CheckId: 'shop-home' },
      });
      expect(props).toMatchObject({
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 2,
        DatapointsToAlarm: 2,
        EvaluationPeriods: 3,
        TreatMissingData: 'notBreaching',
        ActionsEnabled: true,
      });
      // No raw SNS action: the notifier turns the state change (ALARM and OK) into a page on the severity's topic.
      expect(props.AlarmActions).toBeUndefined();
      expect(props.OKActions).toBeUndefined();
      expect(severityOf('down:shop-home')).toBe('critical');
    });

    it('DOWN follows per-check alarm settings, frequency and severity', () => {
      const cart = alarmProps(stacks, 'down:shop-cart');
      expect(cart).toMatchObject({ Threshold: 3, DatapointsToAlarm: 3, EvaluationPeriods: 5 });
      expect(singleMetric(cart).period).toBe(300);
      const search = alarmProps(stacks, 'down:search-eu');
      expect(singleMetric(search).name).toBe('Failed');
      expect(search).toMatchObject({ Threshold: 1 });
      expect(severityOf('down:search-eu')).toBe('warning');
    });

    it('DEGRADED: the Sum of Slow runs (slower than degradedAfter) over regions, quorum threshold, to warning', () => {
      const props = alarmProps(stacks, 'degraded:shop-home');
      expect(singleMetric(props)).toMatchObject({
        name: 'Slow',
        stat: 'Sum',
        dims: { Project: 'shop', CheckId: 'shop-home' },
      });
      expect(props).toMatchObject({
        Threshold: 2,
        DatapointsToAlarm: 2,
        EvaluationPeriods: 3,
        TreatMissingData: 'notBreaching',
      });
      expect(severityOf('degraded:shop-home')).toBe('warning');
      expect(() => alarmProps(stacks, 'degraded:shop-cart')).toThrow(); // no degradedAfter, no DEGRADED alarm
    });

    it("renders the kinds' own alarms via the seam (tls expiry across regions; a metric anomaly pages as DOWN)", () => {
      const expiring = alarmProps(stacks, 'kind:shop-cert:cert-expiring');
      // One series for all regions: its Minimum over the period is the lowest region's figure.
      expect(singleMetric(expiring)).toMatchObject({ name: 'DaysToExpiry', stat: 'Minimum', period: 3600 });
      expect(expiring).toMatchObject({ ComparisonOperator: 'LessThanThreshold', Threshold: 21 });
      expect(severityOf('kind:shop-cert:cert-expiring')).toBe('warning');
      expect(alarmProps(stacks, 'kind:shop-cert:cert-expiry')).toMatchObject({ Threshold: 7 });
      expect(severityOf('kind:shop-cert:cert-expiry')).toBe('critical');
      // One page per anomaly: the runner's ANOMALY fails the run, the down alarm pages it; no band alarm.
      expect(() => alarmProps(stacks, 'kind:orders-today:anomaly')).toThrow();
      expect(alarmProps(stacks, 'down:orders-today')).toBeDefined();
    });

    it('names and describes each alarm for on-call: check id and name, target, regions, threshold, runbook', () => {
      const props = alarmProps(stacks, 'down:shop-home');
      expect(props.AlarmName).toBe(
        'shop DOWN shop-home (Shop: home page) failing in >=2 of 3 regions - GET https://shop.example.com/',
      );
      expect(props.AlarmDescription).toContain('eu-central-1, us-east-1, ap-southeast-1');
      expect(props.AlarmDescription).toContain('Runbook: https://wiki.example.com/runbooks/shop-home');
      expect(props.AlarmDescription).toContain('2 of the last 3 periods of 1m');
      expect(alarmProps(stacks, 'degraded:shop-home').AlarmName).toContain('slower than 2s');
    });

    it('creates no alarm for a disabled check, and every spec exactly once', () => {
      const names = stacks.alarms.flatMap((s) =>
        Object.values(Template.fromStack(s).findResources('AWS::CloudWatch::Alarm')).map(
          (r: any) => r.Properties.AlarmName,
        ),
      );
      expect(names.some((n) => n.includes('legacy'))).toBe(false);
      const expected = alarmSpecs(config)
        .filter((s) => s.type !== 'runner')
        .map((s) => s.name);
      expect(names.sort()).toEqual(expected.sort());
    });

    it('turns maintenance windows into mute rules over exactly the alarms of the checks they cover', () => {
      const t = Template.fromStack(stacks.alarms[0]!);
      const rules = Object.values(t.findResources('AWS::CloudWatch::AlarmMuteRule')).map((r: any) => r.Properties);
      expect(rules.map((r) => r.Name).sort()).toEqual(['shop-db-upgrade-1', 'shop-sunday-deploys-1']);
      const sunday = rules.find((r) => r.Name === 'shop-sunday-deploys-1');
      expect(sunday.Rule).toEqual({
        Schedule: { Expression: 'cron(0 2 * * SUN)', Timezone: 'Europe/Berlin', Duration: 'PT30M' },
      });
      const cart = stacks.alarms[0]!.getLogicalId(
        stacks.alarms[0]!.alarms.get('down:shop-cart')!.node.defaultChild as any,
      );
      expect(sunday.MuteTargets).toEqual({ AlarmNames: [{ Ref: cart }] });
      const db = rules.find((r) => r.Name === 'shop-db-upgrade-1');
      expect(db.Rule).toEqual({ Schedule: { Expression: 'at(2030-03-01T02:00)', Timezone: 'UTC', Duration: 'PT2H' } });
      expect(db.MuteTargets.AlarmNames).toHaveLength(alarmSpecs(config).filter((s) => s.type !== 'runner').length);
    });
  });

  it('draws per check the series its alarms read, per region a Logs Insights table, and every alarm', () => {
    const t = Template.fromStack(stacks.dashboards[0]!);
    const dash = Object.values(t.findResources('AWS::CloudWatch::Dashboard'))[0] as any;
    expect(dash.Properties.DashboardName).toBe('shop-watchpost');
    const body = dashboardBody(dash.Properties.DashboardBody);
    const metricWidgets = body.widgets.filter((w: any) => w.type === 'metric');
    const home = metricWidgets.filter((w: any) => w.properties.title.startsWith('shop-home:'));
    expect(home).toHaveLength(1);
    // Failed and Slow per period, summed over the regions (FILL: no datum is no failure), quorum marked.
    const series = home[0].properties.metrics.filter((m: any[]) => typeof m[0] === 'string' && m[0] === 'Watchpost');
    expect(series.map((m: any[]) => [m[1], m.at(-1).stat])).toEqual([
      ['Failed', 'Sum'],
      ['Slow', 'Sum'],
    ]);
    expect(home[0].properties.annotations.horizontal[0]).toMatchObject({ value: 2 });
    // The tls check also graphs its figure, as its alarm reads it (lowest and highest across regions).
    const cert = metricWidgets.filter((w: any) => w.properties.title.startsWith('shop-cert'));
    expect(cert.map((w: any) => w.properties.title)).toEqual([
      expect.stringContaining('failed and slow runs'),
      expect.stringContaining('DaysToExpiry: highest and lowest across regions'),
    ]);
    // Per region: one table from that region's runner log, with every check that runs there.
    const tables = body.widgets.filter((w: any) => w.type === 'log');
    expect(tables.map((w: any) => w.properties.region)).toEqual(REGIONS);
    for (const w of tables) {
      expect(w.properties.query).toContain("SOURCE '/aws/lambda/shop-watchpost-runner'");
      expect(w.properties.query).toContain('filter message = "check result"');
      expect(w.properties.query).toContain('pct(durationMs, 90)');
      expect(w.properties.view).toBe('table');
    }
    expect(tables[0].properties.query).toContain('min(metrics.DaysToExpiry)');
    // Runner health per region, and a guide saying what each graph shows.
    expect(metricWidgets.some((w: any) => w.properties.title.startsWith('Runner health by region'))).toBe(true);
    expect(
      body.widgets.some((w: any) => w.type === 'text' && /How to read this page/.test(w.properties.markdown)),
    ).toBe(true);
    const alarmWidget = body.widgets.find((w: any) => w.type === 'alarm');
    const listed = alarmWidget.properties.alarms.map((a: string) =>
      a.replace(/^arn:aws:cloudwatch:[^:]+:\d+:alarm:/, ''),
    );
    expect(listed.sort()).toEqual(
      alarmSpecs(config)
        .map((s) => s.name)
        .sort(),
    );
  });

  it('changing a check changes both what its runner probes and its alarm', async () => {
    const raw = (await importConfig('test/fixtures/configs/shop.ts')) as any;
    const changed = parseConfig({
      ...raw,
      checks: raw.checks.map((c: any) =>
        c.id === 'shop-home' ? { ...c, url: 'https://shop.example.com/v2/', degradedAfter: '3s' } : c,
      ),
    });
    const after = synth(changed).stacks;
    // Probe data: the bundled config carries the new check, and the function changes with it.
    const beforeJson = bundledConfigJson(config);
    const afterJson = bundledConfigJson(changed);
    expect(JSON.parse(afterJson).checks.find((c: any) => c.id === 'shop-home')).toMatchObject({
      url: 'https://shop.example.com/v2/',
      degradedAfter: '3s',
    });
    const description = (s: WatchpostStacks) =>
      (Object.values(Template.fromStack(s.probes.get('us-east-1')!).findResources('AWS::Lambda::Function'))[0] as any)
        .Properties.Description;
    expect(description(stacks)).toContain(sha256(beforeJson).slice(0, 16));
    expect(description(after)).toContain(sha256(afterJson).slice(0, 16));
    expect(description(after)).not.toBe(description(stacks));
    // Alarms: the DEGRADED threshold and both names follow.
    // The runner judges SLOW from the bundled config; the alarm says the new limit.
    expect(alarmProps(after, 'degraded:shop-home').AlarmDescription).toContain('degradedAfter 3s');
    expect(alarmProps(after, 'degraded:shop-home').AlarmName).toBe(
      'shop DEGRADED shop-home (Shop: home page) slower than 3s in >=2 of 3 regions - GET https://shop.example.com/v2/',
    );
    expect(alarmProps(after, 'down:shop-home').AlarmName).toContain('https://shop.example.com/v2/');
    // Another check's alarm is untouched.
    expect(alarmProps(after, 'down:shop-cart')).toEqual(alarmProps(stacks, 'down:shop-cart'));
  });

  it('creates every alarm silent with alarmActions off (first deploy), the notifier rule disabled', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const quiet = buildWatchpost(app, config, { account: ACCOUNT, alarmActions: false, nag: false });
    const alarms = [quiet.home, ...quiet.alarms]
      .flatMap((s) => Object.values(Template.fromStack(s).findResources('AWS::CloudWatch::Alarm')) as any[])
      .filter((a) => String(a.Properties.AlarmName).startsWith('shop ')); // the notifier's own two alarms aside
    expect(alarms.length).toBe(alarmSpecs(config).length);
    for (const a of alarms) expect(a.Properties.ActionsEnabled).toBe(false);
    Template.fromStack(quiet.home).hasResourceProperties('AWS::Events::Rule', { State: 'DISABLED' });
  });

  it('runs cdk-nag AwsSolutions on synth: the app passes, an unacknowledged finding stops synth', () => {
    // The app above synthesized, so every finding was acknowledged. A wildcard policy added now must fail.
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const built = buildWatchpost(app, config, { account: ACCOUNT });
    const probe = built.probes.get('us-east-1') as Stack;
    new iam.Role(probe, 'Careless', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') }).addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] }),
    );
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Action::s3:\*\]/);
  });
});
