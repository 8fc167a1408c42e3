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
import { CfnOutput, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { PROJECT_ROOT } from './bundling';
import { grantSecretReads } from './secrets';
import { WatchpostFunction } from './watchpost-function';
import type { ValidatedConfig } from '../shared/config/types';
import { ms } from '../shared/duration';
import { heartbeatTokens } from '../shared/probes/heartbeat/endpoint';
import { HEARTBEAT_ENV } from '../shared/probes/heartbeat/lambda-env';

export const HEARTBEAT_ENTRY = join(PROJECT_ROOT, 'functions', 'heartbeat', 'index.ts');

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
  readonly fn: WatchpostFunction;
  readonly url: lambda.FunctionUrl;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: HeartbeatEndpointProps) {
    super(scope, id);
    const { config, table } = props;
    const stack = Stack.of(this);

    const retentionDays = Math.max(1, Math.round(ms(config.retention) / 86_400_000));
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `watchpost heartbeat endpoint of ${config.project}`,
    });
    // The config travels in the bundle (like the runner's): the endpoint reads its heartbeat checks from it.
    this.fn = new WatchpostFunction(this, 'Function', {
      config,
      entry: HEARTBEAT_ENTRY,
      functionName: `${config.project}-watchpost-heartbeat`,
      description: `watchpost heartbeat pings of ${config.project}: /ping/<id>[/start|/fail]`,
      logRetention: props.logRetention,
      memorySize: 256,
      timeoutSeconds: 10,
      reservedConcurrentExecutions: props.reservedConcurrency ?? 5,
      role: this.role,
      environment: {
        [HEARTBEAT_ENV.table]: table.tableName,
        [HEARTBEAT_ENV.retentionDays]: String(retentionDays),
      },
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'RecordPings',
        // DeleteItem: an end with ?rid= removes its run's start item.
        actions: ['dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
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

    for (const p of tokenPolicies) this.fn.node.addDependency(p);

    this.url = this.fn.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.NONE,
      invokeMode: lambda.InvokeMode.BUFFERED,
    });
    new CfnOutput(this, 'PingUrl', {
      description:
        'Heartbeat ping endpoint: POST <url>ping/<check id>[/start|/fail] with Authorization: Bearer <token>',
      value: this.url.url,
    });
  }
}
