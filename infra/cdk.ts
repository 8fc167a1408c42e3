/**
 * `watchpost/cdk`: watchpost's stacks inside an existing CDK app — the same stacks, built by the
 * same function, as watchpost's own app (`npx cdk synth` in a project made by `watchpost init`).
 *
 * @example
 * import { App } from 'aws-cdk-lib';
 * import { Watchpost } from 'watchpost/cdk';
 *
 * const app = new App();
 * new Watchpost(app, 'Monitoring', { config: 'watchpost.config.ts' });
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Construct } from 'constructs';
import { ConfigLoadError } from '../shared/config/load';
import type { Diagnostic } from '../shared/config/schema';
import type { ValidatedConfig, WatchpostConfig } from '../shared/config/types';
import { ConfigError, parseConfig } from '../shared/config/validate';
import { FROM_SOURCES, watchpostPackage } from '../shared/package-root';
import { buildWatchpost, type WatchpostStacks } from './watchpost-app';

export { stackName, type WatchpostStacks } from './watchpost-app';
export type { ValidatedConfig, WatchpostConfig } from '../shared/config/types';

export interface WatchpostProps {
  /**
   * The config: the object a `watchpost.config.ts` exports (`defineConfig({...})`), or the path of
   * a config file (.ts, .js, .mjs, .json), relative to the working directory.
   * @example 'watchpost.config.ts'
   */
  config: WatchpostConfig | string;
  /** Never fewer alarms stacks than this, so the count does not shrink when checks go. @default 1 */
  minAlarmStacks?: number;
  /** Alarms notify; `false` creates them silent (a first deploy, docs/deploy.md). @default true */
  alarmActions?: boolean;
  /**
   * Run cdk-nag's AwsSolutions checks on synth. They check every stack of the app, yours too,
   * which is why they are off here (watchpost's own app runs them). @default false
   */
  nag?: boolean;
  /** Account of every stack. @default CDK_DEFAULT_ACCOUNT, else account-agnostic */
  account?: string;
}

/**
 * Adds the home, probe, alarms and dashboard stacks (named `<project>-watchpost-…`) to the app
 * that holds `scope`. An invalid config throws every problem at once, worded as
 * `watchpost validate` words them.
 */
export class Watchpost extends Construct {
  /** The validated config, defaults applied. */
  readonly config: ValidatedConfig;
  readonly stacks: WatchpostStacks;

  constructor(scope: Construct, id: string, props: WatchpostProps) {
    super(scope, id);
    this.config = typeof props.config === 'string' ? loadConfigFile(props.config) : validated(props.config);
    this.stacks = buildWatchpost(this, this.config, {
      minAlarmStacks: props.minAlarmStacks,
      alarmActions: props.alarmActions,
      nag: props.nag ?? false,
      account: props.account,
    });
  }
}

/** A user's mistake thrown without the stack trace or its fields: the message says everything. */
function quiet<E extends Error>(e: E): E {
  e.stack = `${e.name}: ${e.message}`;
  for (const key of Object.keys(e)) Object.defineProperty(e, key, { enumerable: false });
  return e;
}

function validated(raw: WatchpostConfig): ValidatedConfig {
  try {
    return parseConfig(raw);
  } catch (e) {
    throw e instanceof ConfigError ? quiet(e) : e;
  }
}

/** Loads the file in a child process (synchronously, as a constructor must): see config-child.ts. */
function loadConfigFile(file: string): ValidatedConfig {
  const root = watchpostPackage().root;
  // From the sources (this repository): tsx for the child itself, and `import 'watchpost'` to the sources too.
  const args = FROM_SOURCES
    ? [
        '--conditions=watchpost-source',
        '--import',
        pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs')).href,
      ]
    : [];
  const child = join(root, FROM_SOURCES ? 'infra/config-child.ts' : 'dist/infra/config-child.js');
  const r = spawnSync(process.execPath, [...args, child, file], {
    encoding: 'utf8',
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    maxBuffer: 256 * 1024 * 1024,
  });
  const line = r.stdout?.trim().split('\n').pop();
  let out: { config?: ValidatedConfig; diagnostics?: Diagnostic[]; loadError?: string } | undefined;
  try {
    out = line ? JSON.parse(line) : undefined;
  } catch {
    out = undefined;
  }
  if (out?.config) return out.config;
  if (out?.diagnostics) throw quiet(new ConfigError(out.diagnostics, file));
  if (out?.loadError) throw quiet(new ConfigLoadError(out.loadError));
  throw new Error(`watchpost: loading ${file} failed (exit ${r.status ?? r.signal}):\n${r.stderr ?? r.error}`);
}
