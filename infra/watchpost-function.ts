/**
 * One watchpost Lambda (runner, notifier, heartbeat endpoint): a NodejsFunction bundled by
 * infra/bundling.ts with the validated config beside the code, its own log group with a
 * retention, the newest Node runtime on ARM, source maps on, and the config file name the
 * bootstrap (functions/lib/bootstrap.ts) reads. What differs per function (role, memory,
 * timeout, environment, retries) comes in as props.
 *
 * @example
 * this.fn = new WatchpostFunction(this, 'Function', {
 *   config, entry: NOTIFIER_ENTRY, functionName: name, description: '…', role, timeoutSeconds: 60,
 *   environment: { [NOTIFIER_ENV.table]: table.tableName },
 * });
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy, type Size } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { ValidatedConfig } from '../shared/config/types';
import { BUNDLED_CONFIG_FILE, RUNNER_ENV } from '../shared/runtime-env';
import { PROJECT_ROOT, stageConfig, watchpostBundling } from './bundling';

export interface WatchpostFunctionProps {
  /** The validated config, shipped in the bundle as `watchpost.config.json`. */
  config: ValidatedConfig;
  /** The handler file (exports `handler`). */
  entry: string;
  functionName: string;
  description: string | ((configDigest: string) => string);
  role: iam.IRole;
  /** Variables beyond the config file name (which every function gets). @default none */
  environment?: Record<string, string>;
  /** @default 256 */
  memorySize?: number;
  /** Seconds. */
  timeoutSeconds: number;
  /** The log group's name. @default `/aws/lambda/<functionName>` */
  logGroupName?: string;
  /** @default logs.RetentionDays.ONE_MONTH */
  logRetention?: logs.RetentionDays;
  /** Also ship the email probe as a lazily loaded file (the runner). @default false */
  lazyEmail?: boolean;
  /** Asynchronous invoke retries. @default Lambda's (2) */
  retryAttempts?: number;
  /** Oldest asynchronous event still run. @default Lambda's (6 h) */
  maxEventAge?: Duration;
  /** @default none */
  reservedConcurrentExecutions?: number;
  /** @default ARM_64 */
  architecture?: lambda.Architecture;
  /** /tmp size. @default Lambda's (512 MB) */
  ephemeralStorageSize?: Size;
  /** Packages left out of the bundle, and files copied into it ([from, path in the bundle]). @default none */
  bundle?: { externalModules?: string[]; copy?: Array<[string, string]> };
}

/**
 * A NodejsFunction with watchpost's settings. Its log group is a sibling named `Logs` (created in
 * `scope`): the construct paths, and so the logical ids, of the functions deployed before stay.
 */
export class WatchpostFunction extends NodejsFunction {
  /** sha256 of the config JSON in the bundle. */
  readonly configDigest: string;

  constructor(scope: Construct, id: string, props: WatchpostFunctionProps) {
    if (!existsSync(props.entry)) throw new Error(`watchpost handler not found: ${props.entry}`);
    // The config travels as a file in the bundle: an environment variable holds only 4 KB, and
    // fetching it at run time would add a dependency to every cold start.
    const { path: staged, digest } = stageConfig(props.config);
    const logGroup = new logs.LogGroup(scope, 'Logs', {
      logGroupName: props.logGroupName ?? `/aws/lambda/${props.functionName}`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    logGroup.grantWrite(props.role);
    super(scope, id, {
      functionName: props.functionName,
      description: typeof props.description === 'function' ? props.description(digest) : props.description,
      entry: props.entry,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      // The newest Node runtime (cdk-nag AwsSolutions-L1 wants the latest).
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: props.architecture ?? lambda.Architecture.ARM_64,
      ephemeralStorageSize: props.ephemeralStorageSize,
      memorySize: props.memorySize ?? 256,
      timeout: Duration.seconds(props.timeoutSeconds),
      role: props.role,
      logGroup,
      environment: {
        ...props.environment,
        [RUNNER_ENV.configFile]: BUNDLED_CONFIG_FILE,
        NODE_OPTIONS: '--enable-source-maps',
      },
      retryAttempts: props.retryAttempts,
      maxEventAge: props.maxEventAge,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      bundling: watchpostBundling(staged, { lazyEmail: props.lazyEmail, ...props.bundle }),
    });
    this.configDigest = digest;
  }
}
