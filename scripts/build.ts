/**
 * `npm run build` (run by `npm pack` / `npm publish` through `prepack`): the installable package.
 *
 * - dist/{shared,functions,infra}/…: the sources compiled file by file to ESM JavaScript, in the
 *   same layout, relative imports given their `.js` (Node's ESM loader wants extensions); the
 *   files modules read beside themselves (the dashboard page, JSON) are copied along.
 * - the same tree's `.d.ts` types (tsc, tsconfig.build.json), with the same import rewriting.
 * - dist/lambda/<name>/: every Lambda of infra/lambdas.ts, bundled, so that `cdk synth` in a
 *   user's project needs neither esbuild nor Docker.
 *
 * Each step prints what it made; any failure stops the build with the step named.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { buildLambda, LAMBDAS, type LambdaName, PREBUILT_DIR } from '../infra/lambdas';

const ROOT = resolve(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');
/** The source folders compiled; tests, benchmarks and scripts stay out of the package. */
const SOURCE_DIRS = ['shared', 'functions', 'infra'];

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** `./x` → `./x.js` or `./x/index.js`, whichever exists as `ext` (".ts" in sources, ".d.ts" in dist). */
function withExtension(spec: string, fromDir: string, ext: string): string | undefined {
  const abs = resolve(fromDir, spec);
  if (existsSync(`${abs}${ext}`)) return `${spec}.js`;
  if (existsSync(join(abs, `index${ext}`))) return `${spec}/index.js`;
  return undefined;
}

/** Leaves every import outside the file as it is, but with the extension Node needs. */
const relativeImports: Plugin = {
  name: 'relative-imports-with-extensions',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      if (!/^\.\.?\//.test(args.path)) return { path: args.path, external: true };
      // JSON is inlined: Node would want an import attribute for it.
      if (args.path.endsWith('.json')) return undefined;
      const path = withExtension(args.path, args.resolveDir, '.ts');
      if (!path) throw new Error(`${relative(ROOT, args.importer)}: cannot resolve ${args.path}`);
      return { path, external: true };
    });
  },
};

async function step(name: string, run: () => Promise<string> | string): Promise<void> {
  const started = Date.now();
  try {
    const what = await run();
    console.log(`build: ${name} — ${what} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (e) {
    console.error(`build: ${name} failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}

rmSync(DIST, { recursive: true, force: true });
const files = SOURCE_DIRS.flatMap((d) => walk(join(ROOT, d)));

await step('compile', async () => {
  const entryPoints = files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  await build({
    absWorkingDir: ROOT,
    entryPoints,
    outdir: DIST,
    outbase: ROOT,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    plugins: [relativeImports],
    logLevel: 'warning',
  });
  return `${entryPoints.length} modules`;
});

await step('assets', () => {
  const assets = files.filter((f) => !f.endsWith('.ts'));
  for (const f of assets) cpSync(f, join(DIST, relative(ROOT, f)));
  return `${assets.length} files read at run time`;
});

await step('types', () => {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'pipe' });
  } catch (e) {
    throw new Error(String((e as { stdout?: Buffer }).stdout ?? e));
  }
  const decls = walk(DIST).filter((f) => f.endsWith('.d.ts'));
  for (const f of decls) {
    const text = readFileSync(f, 'utf8');
    const fixed = text.replace(
      /((?:from|import)\s*\(?\s*['"])(\.\.?\/[^'"]*)(['"])/g,
      (all, pre: string, spec: string, post: string) => {
        const path = spec.endsWith('.json') ? undefined : withExtension(spec, dirname(f), '.d.ts');
        return path ? `${pre}${path}${post}` : all;
      },
    );
    if (fixed !== text) writeFileSync(f, fixed);
  }
  return `${decls.length} declaration files`;
});

for (const name of Object.keys(LAMBDAS) as LambdaName[]) {
  await step(`lambda ${name}`, () => {
    const dir = join(ROOT, PREBUILT_DIR, name);
    buildLambda(name, dir);
    const kb = walk(dir).reduce((n, f) => n + (f.endsWith('.map') ? 0 : statSync(f).size), 0) / 1024;
    return `${relative(ROOT, dir)}/ ${kb.toFixed(0)} KiB`;
  });
}
