/**
 * The CDK app: `cdk.json` runs `watchpost cdk-app` (this repository: `node bin/watchpost.mjs
 * cdk-app`; a project made by `watchpost init`: `npx watchpost cdk-app`). Reads the same validated
 * config as the CLI — `watchpost.config.ts`, or the file given with `-c config=<path>` — and builds
 * every stack from it. An invalid config stops synth with the diagnostics `watchpost validate`
 * prints. Context `alarmStacks=<n>` keeps at least n alarms stacks; `alarmActions=off` creates
 * every alarm silent (a first deploy, see docs/deploy.md).
 */
import { App } from 'aws-cdk-lib';
import { DEFAULT_CONFIG_FILE, importConfig } from '../shared/config/load';
import type { ValidatedConfig } from '../shared/config/types';
import { ConfigError, parseConfig } from '../shared/config/validate';
import { RunnerPlanError } from '../shared/runner/plan';
import { estimateCost } from '../shared/cost/model';
import { assemblyProblems } from './limits';
import { buildWatchpost } from './watchpost-app';

/** Synthesizes the app into the CDK CLI's output folder; returns the exit code. */
export async function cdkApp(): Promise<number> {
  const app = new App();
  const file = String(app.node.tryGetContext('config') ?? DEFAULT_CONFIG_FILE);
  const minAlarmStacks = Math.max(1, Math.floor(Number(app.node.tryGetContext('alarmStacks') ?? 1)) || 1);
  const alarmActions = !['off', 'false', '0'].includes(
    String(app.node.tryGetContext('alarmActions') ?? 'on').toLowerCase(),
  );

  let config: ValidatedConfig;
  try {
    config = parseConfig(await importConfig(file), file);
  } catch (e) {
    // ConfigError's message lists every diagnostic, formatted as `watchpost validate` does.
    console.error(e instanceof Error ? e.message : String(e));
    return e instanceof ConfigError ? 1 : 2;
  }

  let problems: string[];
  try {
    buildWatchpost(app, config, { minAlarmStacks, alarmActions });
    problems = assemblyProblems(app.synth());
  } catch (e) {
    // A CA file that cannot be read while the bundled config is written (checks[…].tls.ca), or
    // more checks in a region than its runner shards can hold.
    if (!(e instanceof ConfigError || e instanceof RunnerPlanError)) throw e;
    console.error(e.message);
    return 1;
  }
  if (problems.length) {
    console.error(
      "watchpost: the synthesized templates exceed CloudFormation's or IAM's limits (deploy would fail):\n" +
        `  ${problems.join('\n  ')}\n` +
        'See docs/deploy.md ("Limits" and "Secret grants") for what to change.',
    );
    return 1;
  }
  printEstimate(config);
  return 0;
}

/** One line, on stderr (stdout may carry the template): what this deploys costs a month. */
function printEstimate(config: ValidatedConfig): void {
  try {
    const e = estimateCost(config);
    console.error(
      `watchpost: estimated $${e.totalMonthlyUsd.toFixed(2)}/month (${e.checks.length} checks, ` +
        `${config.regions.length} regions) — \`watchpost cost\` for the breakdown`,
    );
  } catch (e) {
    console.error(`watchpost: no cost estimate: ${(e as Error).message}`);
  }
}

// `npx tsx infra/app.ts` (the app command before 0.2.0) still works.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) process.exitCode = await cdkApp();
