/**
 * What every watchpost Lambda ships: its bundle (infra/lambdas.ts: ESM for Node 24, minified, the
 * AWS SDK bundled, the smaller charset stand-ins of shared/bundle-shims) and the validated config
 * beside the code as `watchpost.config.json` — data in the bundle, not an environment variable
 * (4 KB limit) and not fetched at run time.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { inlineCaFiles } from '../shared/config/ca-files';
import { Issues } from '../shared/config/schema';
import type { ValidatedConfig } from '../shared/config/types';
import { ConfigError } from '../shared/config/validate';
import { watchpostPackage } from '../shared/package-root';
import { BUNDLED_CONFIG_FILE } from '../shared/runtime-env';
import { type LambdaName, lambdaBundleDir, lambdaSourceDir } from './lambdas';

/** watchpost's package root: the repository, or `node_modules/watchpost` when installed. */
export const PROJECT_ROOT = watchpostPackage().root;

/**
 * The JSON shipped as `watchpost.config.json`: the validated config, byte-for-byte what the
 * functions read. CA files travel as their PEM text (a path would not exist in Lambda): a config
 * validated with its file has them inlined already; any left are read relative to the working
 * directory, and one that cannot be read stops synth with the check and the path.
 */
export function bundledConfigJson(config: ValidatedConfig): string {
  const issues = new Issues();
  const checks = config.checks.map((c, i) =>
    inlineCaFiles(c, `checks[${i}] ${JSON.stringify(c.id)}`, undefined, issues),
  );
  if (issues.count) throw new ConfigError(issues.list);
  const unchanged = checks.every((c, i) => c === config.checks[i]);
  return `${JSON.stringify(unchanged ? config : { ...config, checks }, null, 2)}\n`;
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Writes the config JSON to a file named by its digest (once) for the bundling hook to copy. */
export function stageConfig(config: ValidatedConfig): { path: string; digest: string } {
  const json = bundledConfigJson(config);
  const digest = sha256(json);
  const dir = join(tmpdir(), 'watchpost-config');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${digest}.json`);
  if (!existsSync(path)) writeFileSync(path, json);
  return { path, digest };
}

/**
 * The code of a watchpost Lambda: its bundle (infra/lambdas.ts) with the config staged at
 * `stagedConfig` copied in. A local bundling step, so stacks excluded from bundling
 * (`aws:cdk:bundling-stacks`, as in tests) skip it; never Docker. The asset hash is the output's:
 * a change of code or of config is a new asset.
 */
/** A file shipped beside the code: `from` (absolute) copied to `to` (relative to the bundle root). */
export interface BundleFile {
  from: string;
  to: string;
}

export function watchpostCode(name: LambdaName, stagedConfig: string, files: readonly BundleFile[] = []): lambda.Code {
  const filesKey = createHash('sha256').update(JSON.stringify(files)).digest('hex').slice(0, 16);
  return lambda.Code.fromAsset(lambdaSourceDir(name), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // CDK caches staged assets by source folder and bundling options within a process: the
      // config (its file is named by its digest) must be part of that key, or two projects
      // would share one. (Docker never runs, so this variable reaches nothing.)
      environment: { WATCHPOST_CONFIG: basename(stagedConfig), WATCHPOST_FILES: filesKey },
      // Never pulled: the local step below always succeeds or throws.
      image: DockerImage.fromRegistry('watchpost-bundles-locally'),
      local: {
        tryBundle(outputDir: string) {
          cpSync(lambdaBundleDir(name), outputDir, { recursive: true });
          copyFileSync(stagedConfig, join(outputDir, BUNDLED_CONFIG_FILE));
          for (const f of files) {
            mkdirSync(dirname(join(outputDir, f.to)), { recursive: true });
            cpSync(f.from, join(outputDir, f.to), { recursive: true, dereference: true });
          }
          return true;
        },
      },
    },
  });
}
