/**
 * One watchpost Lambda (runner, notifier, heartbeat endpoint): a function whose code is its
 * bundle (one entry in infra/lambdas.ts) with the validated config beside it (infra/bundling.ts),
 * its own log group with a retention, the newest Node runtime on ARM, source maps on, and the config file name the
 * bootstrap (functions/lib/bootstrap.ts) reads. What differs per function (role, memory,
 * timeout, environment, retries) comes in as props.
 *
 * @example
 * this.fn = new WatchpostFunction(this, 'Function', {
 *   config, entry: NOTIFIER_ENTRY, functionName: name, description: '…', role, timeoutSeconds: 60,
 *   environment: { [NOTIFIER_ENV.table]: table.tableName },
 * });
 */
import { Duration, RemovalPolicy, type Size } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { ValidatedConfig } from '../shared/config/types';
import { BUNDLED_CONFIG_FILE, LAMBDA_ENV } from '../shared/runtime-env';
import { type BundleFile, stageConfig, watchpostCode } from './bundling';
import { lambdaNameOf } from './lambdas';

export interface WatchpostFunctionProps {
  /** The validated config, shipped in the bundle as `watchpost.config.json`. */
  config: ValidatedConfig;
  /** The handler file (exports `handler`), listed in infra/lambdas.ts: `lambdaEntry('<name>')`. */
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
  /** Files shipped beside the code, copied at synth (the status page's templates). @default none */
  files?: BundleFile[];
  /** @default ARM_64 */
  architecture?: lambda.Architecture;
  /** /tmp size. @default Lambda's (512 MB) */
  ephemeralStorageSize?: Size;
  /** Asynchronous invoke retries. @default Lambda's (2) */
  retryAttempts?: number;
  /** Oldest asynchronous event still run. @default Lambda's (6 h) */
  maxEventAge?: Duration;
  /** @default none */
  reservedConcurrentExecutions?: number;
}

/**
 * A Lambda function with watchpost's settings. Its log group is a sibling named `Logs` (created in
 * `scope`): the construct paths, and so the logical ids, of the functions deployed before stay.
 */
export class WatchpostFunction extends lambda.Function {
  /** sha256 of the config JSON in the bundle. */
  readonly configDigest: string;

  constructor(scope: Construct, id: string, props: WatchpostFunctionProps) {
    const name = lambdaNameOf(props.entry);
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
      code: watchpostCode(name, staged, props.files),
      handler: 'index.handler',
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
        [LAMBDA_ENV.configFile]: BUNDLED_CONFIG_FILE,
        NODE_OPTIONS: '--enable-source-maps',
      },
      retryAttempts: props.retryAttempts,
      maxEventAge: props.maxEventAge,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    });
    this.configDigest = digest;
  }
}
