/**
 * Every watchpost Lambda, one entry each, and how its code is built.
 *
 * The same esbuild settings serve both ways the CDK app runs:
 * - from the sources (this repository): each function is bundled once per synth, from `entry`;
 * - installed (`npm install watchpost`): `npm run build` bundled them into `dist/lambda/<name>/`
 *   before packing, so a user's `cdk synth` needs neither esbuild nor Docker (docs/deploy.md,
 *   "Packaging").
 * Either way the asset is that bundle plus the validated config (`watchpost.config.json`).
 *
 * Adding a function is one entry here; its construct passes `entry: lambdaEntry('<name>')`.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BUNDLE_ALIASES, LAZY_EMAIL } from '../shared/bundle-shims';
import { FROM_SOURCES, watchpostPackage } from '../shared/package-root';

export interface LambdaSpec {
  /** The handler module (exports `handler`), relative to the package root. Bundled as `index.mjs`. */
  entry: string;
  /** More files bundled beside `index.mjs`: output name (without `.mjs`) → source. @default none */
  extraEntries?: Record<string, string>;
  /** Imports left to run time (e.g. a package shipped whole with `nodeModules`). @default none */
  external?: string[];
  /**
   * Packages copied whole into the bundle's `node_modules/` with their dependencies: for a package
   * that reads files of its own at run time (e.g. `@sparticuz/chromium`'s browser). List them in
   * `external` too. @default none
   */
  nodeModules?: string[];
}

export const LAMBDAS = {
  runner: { entry: 'functions/runner/index.ts', extraEntries: { 'email-probe': LAZY_EMAIL.entry } },
  notifier: { entry: 'functions/notifier/index.ts' },
  heartbeat: { entry: 'functions/heartbeat/index.ts' },
  ack: { entry: 'functions/ack/index.ts' },
  'status-builder': { entry: 'functions/status-builder/index.ts' },
  // Playwright and Chromium's packed files are copied in at synth (infra/browser-runner.ts).
  'browser-runner': { entry: 'functions/browser-runner/index.ts', external: ['playwright-core'] },
} as const satisfies Record<string, LambdaSpec>;

export type LambdaName = keyof typeof LAMBDAS;

/** The entry's absolute path, as a WatchpostFunction's `entry` prop takes it. */
export const lambdaEntry = (name: LambdaName) => join(watchpostPackage().root, LAMBDAS[name].entry);

/** The name in LAMBDAS of the function whose handler is `entry`; an unlisted one is a clear error. */
export function lambdaNameOf(entry: string): LambdaName {
  const root = watchpostPackage().root;
  const name = (Object.keys(LAMBDAS) as LambdaName[]).find((n) => join(root, LAMBDAS[n].entry) === entry);
  if (!name) throw new Error(`watchpost: the handler ${entry} is not listed in infra/lambdas.ts (LAMBDAS)`);
  return name;
}

/** Bundled CommonJS dependencies may call require(): give ESM one. */
const REQUIRE_BANNER =
  "import { createRequire as __wpRequire } from 'node:module'; const require = __wpRequire(import.meta.url);";

/** Bundles one function into `outDir` (index.mjs, its extra files, source maps, node_modules). */
export function buildLambda(name: LambdaName, outDir: string): void {
  const spec: LambdaSpec = LAMBDAS[name];
  const root = watchpostPackage().root;
  // esbuild is a devDependency: only a checkout (or `npm run build`) bundles.
  const { buildSync } = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const common: import('esbuild').BuildOptions = {
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    banner: { js: REQUIRE_BANNER },
    // The Lambda runtime's SDK is not the version pinned here: bundle it (no `@aws-sdk/*` external).
    alias: { ...BUNDLE_ALIASES },
    // The email probe is imported at run time from its own file (shared/bundle-shims LAZY_EMAIL).
    define: { [LAZY_EMAIL.global]: JSON.stringify(LAZY_EMAIL.file) },
    // Browser checks run only in the browser runner, which ships Playwright and Chromium itself.
    external: [LAZY_EMAIL.file, ...(spec.external ?? ['playwright-core', '@sparticuz/chromium'])],
    logLevel: 'warning',
  };
  mkdirSync(outDir, { recursive: true });
  buildSync({ ...common, entryPoints: [spec.entry], outfile: join(outDir, 'index.mjs') });
  for (const [file, source] of Object.entries(spec.extraEntries ?? {}))
    buildSync({ ...common, entryPoints: [source], outfile: join(outDir, `${file}.mjs`) });
  for (const pkg of spec.nodeModules ?? []) copyPackage(pkg, root, join(outDir, 'node_modules'), new Set());
}

/** Copies an installed package and, recursively, its dependencies into `dest`. */
function copyPackage(pkg: string, from: string, dest: string, done: Set<string>): void {
  if (done.has(pkg)) return;
  done.add(pkg);
  let dir = from;
  while (!existsSync(join(dir, 'node_modules', pkg, 'package.json'))) {
    if (dirname(dir) === dir) throw new Error(`watchpost: package ${pkg} (needed in a Lambda bundle) is not installed`);
    dir = dirname(dir);
  }
  const src = join(dir, 'node_modules', pkg);
  cpSync(src, join(dest, pkg), { recursive: true, dereference: true });
  const { dependencies = {} } = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8'));
  for (const dep of Object.keys(dependencies)) copyPackage(dep, src, dest, done);
}

/** The prebuilt bundles' folder in an installed package. */
export const PREBUILT_DIR = 'dist/lambda';

const built = new Map<LambdaName, string>();

/**
 * The folder holding the function's bundle: the prebuilt one when installed, else a fresh
 * bundle of the sources (once per process, however many stacks use it).
 */
export function lambdaBundleDir(name: LambdaName): string {
  const root = watchpostPackage().root;
  if (!FROM_SOURCES) {
    const dir = join(root, PREBUILT_DIR, name);
    if (!existsSync(join(dir, 'index.mjs')))
      throw new Error(`watchpost: the prebuilt Lambda ${dir}/index.mjs is missing — reinstall watchpost`);
    return dir;
  }
  let dir = built.get(name);
  if (!dir) {
    const tmp = mkdtempSync(join(tmpdir(), `watchpost-lambda-${name}-`));
    // The assembly keeps its own copy: this one goes when the process does.
    process.once('exit', () => rmSync(tmp, { recursive: true, force: true }));
    dir = join(tmp, 'bundle');
    buildLambda(name, dir);
    built.set(name, dir);
  }
  return dir;
}

/** What the asset hash is computed from when bundling is skipped (`aws:cdk:bundling-stacks`). */
export function lambdaSourceDir(name: LambdaName): string {
  const root = watchpostPackage().root;
  return FROM_SOURCES ? join(root, dirname(LAMBDAS[name].entry)) : join(root, PREBUILT_DIR, name);
}
