/**
 * The browser runner of a probe region (only where the config has browser checks): a Lambda that
 * runs one browser check per invocation in `@sparticuz/chromium`, and the region's artifacts
 * bucket (failure screenshots and traces, private, TLS only, deleted after 30 days). The region's
 * runner invokes it for due browser checks (shared/probes/browser/remote.ts), at most
 * {@link BROWSER_CONCURRENCY} at once.
 *
 * Sizing (docs/kinds/browser.md): x86_64 (the architecture @sparticuz/chromium ships), 2048 MB
 * (Chromium's renderer and V8 need ~1 GB for a shop page; memory also buys CPU, and a journey at
 * 1024 MB took about twice as long), 1024 MB of /tmp (Chromium unpacked is ~200 MB; profiles and
 * traces per run are removed after it).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { ValidatedCheck, ValidatedConfig } from '../shared/config/types';
import { ms } from '../shared/duration';
import { ARTIFACTS_BUCKET_ENV } from '../shared/probes/browser/artifacts';
import { LAMBDA_CHROMIUM_DIR } from '../shared/probes/browser/chromium';
import { BROWSER_CONCURRENCY_ENV, BROWSER_FUNCTION_ENV } from '../shared/probes/browser/remote';
import { BUNDLED_SCRIPTS } from '../shared/probes/browser/script';
import { PROJECT_ROOT, sha256 } from './bundling';
import type { Runner } from './runner';
import { WatchpostFunction } from './watchpost-function';

export const BROWSER_ENTRY = join(PROJECT_ROOT, 'functions', 'browser-runner', 'index.ts');
/** Measured (see the file comment); `watchpost cost` prices browser runs with the same figures. */
export const BROWSER_RUNNER = { memoryMb: 2048, ephemeralMb: 1024, architecture: 'x86_64' } as const;
/** Browser runs one runner pass may have in flight at once. */
export const BROWSER_CONCURRENCY = 10;
/** @sparticuz/chromium's packed files the runner needs (swiftshader is for WebGL, which checks do not use). */
const CHROMIUM_FILES = ['chromium.br', 'fonts.tar.br', 'al2023.tar.br'];

/** The enabled browser checks that run in `region`. */
export function browserChecksIn(config: ValidatedConfig, region: string): ValidatedCheck[] {
  return config.checks.filter((c) => c.kind === 'browser' && c.enabled && c.regions.includes(region));
}

/**
 * The handler entry: the plain one, or (when checks have scripts) a generated file that bundles
 * each script and registers it under the path the config carries.
 */
export function browserEntry(checks: readonly ValidatedCheck[]): string {
  const scripts = [...new Set(checks.map((c) => (c as { script?: string }).script).filter((s) => s !== undefined))];
  if (!scripts.length) return BROWSER_ENTRY;
  const lines = [
    ...scripts.map((s, i) => `import * as script${i} from ${JSON.stringify(s)};`),
    `(globalThis as Record<symbol, unknown>)[Symbol.for(${JSON.stringify(BUNDLED_SCRIPTS.description)})] = {`,
    ...scripts.map((s, i) => `  ${JSON.stringify(s)}: script${i},`),
    '};',
    `export { handler } from ${JSON.stringify(BROWSER_ENTRY)};`,
  ];
  const text = `${lines.join('\n')}\n`;
  const dir = join(tmpdir(), 'watchpost-browser-entry', sha256(text).slice(0, 16));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'index.ts');
  writeFileSync(file, text);
  return file;
}

export interface BrowserRunnerProps {
  config: ValidatedConfig;
  /** The region's runner: it gets the function's name and leave to invoke it. */
  runner: Runner;
}

export class BrowserRunner extends Construct {
  readonly fn: WatchpostFunction;
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: BrowserRunnerProps) {
    super(scope, id);
    const { config, runner } = props;
    const region = Stack.of(this).region;
    const checks = browserChecksIn(config, region);

    this.bucket = new s3.Bucket(this, 'Artifacts', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(30), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'Failure screenshots and traces kept 30 days for engineers; access logs would outlive what they log.',
    });

    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `watchpost browser runner of ${config.project} in ${region}`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'KeepArtifacts',
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects('*')],
      }),
    );
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/*]`,
      reason: 'Writes new artifact objects (keys per check and run) into its own bucket only; it reads nothing.',
    });
    const longest = Math.max(30_000, ...checks.map((c) => ms(c.timeout)));
    this.fn = new WatchpostFunction(this, 'Function', {
      config,
      entry: browserEntry(checks),
      functionName: `${config.project}-watchpost-browser`,
      description: `watchpost browser runner: runs ${config.project} browser checks in ${region} in Chromium`,
      role,
      architecture: lambda.Architecture.X86_64,
      memorySize: BROWSER_RUNNER.memoryMb,
      ephemeralStorageSize: Size.mebibytes(BROWSER_RUNNER.ephemeralMb),
      timeoutSeconds: Math.min(900, Math.ceil(longest / 1000) + 30),
      environment: { [ARTIFACTS_BUCKET_ENV]: this.bucket.bucketName },
      // Playwright ships as its package (it locates its own files at run time); Chromium's packed files beside it.
      bundle: {
        externalModules: ['playwright-core'],
        copy: [
          [join(PROJECT_ROOT, 'node_modules', 'playwright-core'), join('node_modules', 'playwright-core')],
          ...CHROMIUM_FILES.map((f): [string, string] => [
            join(PROJECT_ROOT, 'node_modules', '@sparticuz', 'chromium', 'bin', f),
            join(LAMBDA_CHROMIUM_DIR, f),
          ]),
        ],
      },
      // The runner waits for the answer; a retry would run the journey twice.
      retryAttempts: 0,
    });

    runner.fn.addEnvironment(BROWSER_FUNCTION_ENV, this.fn.functionName);
    runner.fn.addEnvironment(BROWSER_CONCURRENCY_ENV, String(BROWSER_CONCURRENCY));
    runner.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'InvokeBrowserRunner',
        actions: ['lambda:InvokeFunction'],
        resources: [this.fn.functionArn],
      }),
    );
  }
}
