/**
 * How every watchpost Lambda (runner, notifier, heartbeat endpoint) is bundled: ESM for Node 24,
 * minified, the AWS SDK bundled (pinned versions, not the runtime's), the smaller charset
 * stand-ins (shared/bundle-shims), and the validated config shipped beside the code as
 * `watchpost.config.json` — data in the bundle, not an environment variable (4 KB limit) and not
 * fetched at run time.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { BUNDLE_ALIASES, LAZY_EMAIL } from '../shared/bundle-shims';
import { inlineCaFiles } from '../shared/config/ca-files';
import { Issues } from '../shared/config/schema';
import type { ValidatedConfig } from '../shared/config/types';
import { ConfigError } from '../shared/config/validate';
import { BUNDLED_CONFIG_FILE } from '../shared/runtime-env';

/** The repository root (infra/..). */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

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
  return `${JSON.stringify(checks.every((c, i) => c === config.checks[i]) ? config : { ...config, checks }, null, 2)}\n`;
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
 * NodejsFunction bundling for a watchpost Lambda whose bundle carries the config staged at
 * `stagedConfig`. `lazyEmail` (the runner) also ships the email probe as a file of its own,
 * loaded only when an email check runs; other functions never run probes.
 */
export function watchpostBundling(
  stagedConfig: string,
  opts: { lazyEmail?: boolean; externalModules?: string[]; copy?: Array<[string, string]> } = {},
): BundlingOptions {
  const cp = (from: string, to: string) =>
    `node -e "require('fs').cpSync(process.argv[1], process.argv[2], { recursive: true })" "${from}" "${to}"`;
  return {
    format: OutputFormat.ESM,
    target: 'node24',
    minify: true,
    sourceMap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    // Bundled CommonJS dependencies may call require(): give ESM one.
    banner: "import { createRequire as __wpRequire } from 'node:module'; const require = __wpRequire(import.meta.url);",
    bundleAwsSDK: true,
    // The email probe is imported at run time from its own file (shared/bundle-shims LAZY_EMAIL).
    define: { [LAZY_EMAIL.global]: JSON.stringify(LAZY_EMAIL.file) },
    // Browser checks run only in the browser runner, which ships Playwright and Chromium itself
    // (infra/browser-runner.ts).
    externalModules: [LAZY_EMAIL.file, ...(opts.externalModules ?? ['playwright-core', '@sparticuz/chromium'])],
    esbuildArgs: Object.fromEntries(Object.entries(BUNDLE_ALIASES).map(([pkg, path]) => [`--alias:${pkg}`, path])),
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_inputDir: string, outputDir: string) => [
        `node -e "require('fs').copyFileSync(process.argv[1], process.argv[2])" "${stagedConfig}" "${join(outputDir, BUNDLED_CONFIG_FILE)}"`,
        ...(opts.lazyEmail ? [`node "${join(PROJECT_ROOT, 'infra', 'build-email-probe.mjs')}" "${outputDir}"`] : []),
        ...(opts.copy ?? []).map(([from, to]) => cp(from, join(outputDir, to))),
      ],
    },
  };
}
