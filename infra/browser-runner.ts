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
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Duration, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { ValidatedCheck, ValidatedConfig } from '../shared/config/types';
import { ms } from '../shared/duration';
import { ARTIFACTS_BUCKET_ENV } from '../shared/probes/browser/artifacts';
import { LAMBDA_CHROMIUM_DIR } from '../shared/probes/browser/chromium';
import { BROWSER_RUNNER } from '../shared/probes/browser/sizing';
import { BROWSER_CONCURRENCY_ENV, BROWSER_FUNCTION_ENV } from '../shared/probes/browser/remote';
import { SCRIPTS_DIR, SCRIPTS_INDEX } from '../shared/probes/browser/script';
import { sha256 } from './bundling';
import { lambdaEntry } from './lambdas';
import type { Runner } from './runner';
import { WatchpostFunction } from './watchpost-function';

export { BROWSER_RUNNER } from '../shared/probes/browser/sizing';
/** Browser runs one runner pass may have in flight at once. */
export const BROWSER_CONCURRENCY = 10;
/** @sparticuz/chromium's packed files the runner needs (swiftshader is for WebGL, which checks do not use). */
const CHROMIUM_FILES = ['chromium.br', 'fonts.tar.br', 'al2023.tar.br'];

/** The enabled browser checks that run in `region`. */
export function browserChecksIn(config: ValidatedConfig, region: string): ValidatedCheck[] {
  return config.checks.filter((c) => c.kind === 'browser' && c.enabled && c.regions.includes(region));
}

/** Where a package is installed (its folder), as Node resolves it from here. */
function packageDir(name: string): string {
  // From its main file up (a package's `exports` may not list package.json).
  let dir = dirname(createRequire(import.meta.url).resolve(name));
  while (!existsSync(join(dir, 'package.json')) || !dir.endsWith(name.split('/').pop()!)) {
    if (dirname(dir) === dir) throw new Error(`watchpost: package ${name} is not installed`);
    dir = dirname(dir);
  }
  return dir;
}

/**
 * The checks' journey scripts compiled at synth (with tsx's esbuild, so a user's project needs no
 * other) into one folder: `<n>.mjs` each and `index.json` mapping the path the config carries to
 * its file. The browser runner imports them from its bundle's `scripts/` (shared/probes/browser/script.ts).
 * Undefined when no check has a script.
 */
export function compileScripts(checks: readonly ValidatedCheck[]): string | undefined {
  const scripts = [...new Set(checks.map((c) => (c as { script?: string }).script).filter((s) => s !== undefined))];
  if (!scripts.length) return undefined;
  const esbuild = createRequire(join(packageDir('tsx'), 'package.json'))('esbuild') as typeof import('esbuild');
  const dir = join(tmpdir(), 'watchpost-browser-scripts', sha256(JSON.stringify(scripts)).slice(0, 16));
  mkdirSync(dir, { recursive: true });
  const index: Record<string, string> = {};
  scripts.forEach((script, i) => {
    esbuild.buildSync({
      entryPoints: [script],
      outfile: join(dir, `${i}.mjs`),
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node22',
      sourcemap: 'inline',
      external: ['playwright-core'],
      logLevel: 'error',
    });
    index[script] = `${i}.mjs`;
  });
  writeFileSync(join(dir, SCRIPTS_INDEX), JSON.stringify(index, null, 2));
  return dir;
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
    const scripts = compileScripts(checks);
    this.fn = new WatchpostFunction(this, 'Function', {
      config,
      entry: lambdaEntry('browser-runner'),
      functionName: `${config.project}-watchpost-browser`,
      description: `watchpost browser runner: runs ${config.project} browser checks in ${region} in Chromium`,
      role,
      architecture: lambda.Architecture.X86_64,
      memorySize: BROWSER_RUNNER.memoryMb,
      ephemeralStorageSize: Size.mebibytes(BROWSER_RUNNER.ephemeralMb),
      timeoutSeconds: Math.min(900, Math.ceil(longest / 1000) + 30),
      environment: { [ARTIFACTS_BUCKET_ENV]: this.bucket.bucketName },
      // Playwright ships as its package (it finds its own files at run time), Chromium's packed files beside it,
      // copied from the installed packages at synth: the npm package does not carry a second browser.
      files: [
        { from: packageDir('playwright-core'), to: join('node_modules', 'playwright-core') },
        ...CHROMIUM_FILES.map((f) => ({
          from: join(packageDir('@sparticuz/chromium'), 'bin', f),
          to: join(LAMBDA_CHROMIUM_DIR, f),
        })),
        ...(scripts ? [{ from: scripts, to: SCRIPTS_DIR }] : []),
      ],
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
