/**
 * The heartbeat ping endpoint in the home region: a Lambda (functions/heartbeat) behind a
 * function URL that jobs call at `/ping/<id>`, `/ping/<id>/start`, `/ping/<id>/fail`.
 *
 * - Auth NONE on the URL: each check's token (a Secrets Manager secret) authenticates, compared
 *   in constant time; unknown ids and wrong tokens get the same 404.
 * - Cost is bounded: reserved concurrency caps parallel invocations (a flood is throttled with
 *   429 by Lambda, not scaled out, and throttled invocations are not billed); inside, rate
 *   limits per source and per check run before any token is read or compared, so a reject is
 *   a map lookup (see shared/probes/heartbeat/limits.ts). Bodies are capped at 16 KiB, and
 *   accepted pings are limited per check (DynamoDB writes stay bounded). All limits are per
 *   instance: with 5 instances at most 5 × each rate.
 * - Least privilege: UpdateItem/PutItem on the results table (pings live under `PING#<id>`),
 *   GetSecretValue on the heartbeat checks' token secrets only (within IAM's size limits at any
 *   count, infra/secrets.ts), its own log group.
 *
 * @example
 * new HeartbeatEndpoint(homeStack, 'Heartbeat', { config, table });
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { stageConfig, watchpostBundling } from './bundling';
import { grantSecretReads } from './secrets';
import type { ValidatedConfig } from '../shared/config/types';
import { ms } from '../shared/duration';
import { heartbeatTokens } from '../shared/probes/heartbeat/endpoint';
import { HEARTBEAT_ENV } from '../shared/probes/heartbeat/lambda-env';
import { BUNDLED_CONFIG_FILE } from '../shared/runtime-env';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const HEARTBEAT_ENTRY = join(ROOT, 'functions', 'heartbeat', 'index.ts');

/** Whether a config has heartbeat checks that accept pings (no endpoint is needed otherwise). */
export const hasHeartbeats = (config: Pick<ValidatedConfig, 'checks'>): boolean => heartbeatTokens(config).size > 0;

export interface HeartbeatEndpointProps {
  config: ValidatedConfig;
  /** The results table (its home-region replica). */
  table: dynamodb.ITable | dynamodb.ITableV2;
  /**
   * Most invocations at once; also the cap on cost under a flood of requests. Lambda answers
   * 429 beyond it.
   * @default 5
   */
  reservedConcurrency?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  logRetention?: logs.RetentionDays;
}

export class HeartbeatEndpoint extends Construct {
  readonly fn: NodejsFunction;
  readonly url: lambda.FunctionUrl;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: HeartbeatEndpointProps) {
    super(scope, id);
    const { config, table } = props;
    const stack = Stack.of(this);

    // The config travels in the bundle (like the runner's): the endpoint reads its heartbeat checks from it.
    const { path: staged } = stageConfig(config);

    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${config.project}-watchpost-heartbeat`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `watchpost heartbeat endpoint of ${config.project}`,
    });
    logGroup.grantWrite(this.role);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'RecordPings',
        actions: ['dynamodb:UpdateItem', 'dynamodb:PutItem'],
        resources: [table.tableArn],
        // Only ping items: the endpoint never touches results.
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['PING#*'] } },
      }),
    );
    const { policies: tokenPolicies } = grantSecretReads(this, {
      role: this.role,
      names: heartbeatTokens(config).values(),
      region: stack.region,
      sid: 'HeartbeatTokens',
      purpose: `the ${config.project} heartbeat checks' tokens`,
    });

    const retentionDays = Math.max(1, Math.round(ms(config.retention) / 86_400_000));
    this.fn = new NodejsFunction(this, 'Function', {
      functionName: `${config.project}-watchpost-heartbeat`,
      description: `watchpost heartbeat pings of ${config.project}: /ping/<id>[/start|/fail]`,
      entry: HEARTBEAT_ENTRY,
      handler: 'handler',
      projectRoot: ROOT,
      depsLockFilePath: join(ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(10),
      reservedConcurrentExecutions: props.reservedConcurrency ?? 5,
      role: this.role,
      logGroup,
      environment: {
        [HEARTBEAT_ENV.table]: table.tableName,
        [HEARTBEAT_ENV.configFile]: BUNDLED_CONFIG_FILE,
        [HEARTBEAT_ENV.retentionDays]: String(retentionDays),
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: watchpostBundling(staged),
    });
    for (const p of tokenPolicies) this.fn.node.addDependency(p);

    this.url = this.fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE, invokeMode: lambda.InvokeMode.BUFFERED });
    new CfnOutput(this, 'PingUrl', {
      description: 'Heartbeat ping endpoint: POST <url>ping/<check id>[/start|/fail] with Authorization: Bearer <token>',
      value: this.url.url,
    });
  }
}
