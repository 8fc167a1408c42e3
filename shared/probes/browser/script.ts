/**
 * Journey scripts: `script: './checks/cart.ts'` whose default export is a BrowserScript. Locally
 * loaded with tsx (TypeScript needs no build step); in AWS bundled into the browser runner, which
 * registers them in {@link BUNDLED_SCRIPTS} under the same path the validated config carries.
 */
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import type { ValidatedBrowserCheck } from './index';
import { StepFailed } from './steps';
import type { BrowserScript } from './types';

/** In the browser runner's bundle: the compiled scripts, and `index.json` (path as in the config → file). */
export const SCRIPTS_DIR = 'scripts';
export const SCRIPTS_INDEX = 'index.json';

/** The compiled copy of a script in the browser runner's bundle, if this is one. */
function bundledScript(path: string): string | undefined {
  const root = process.env.LAMBDA_TASK_ROOT;
  if (!root) return undefined;
  try {
    const index = JSON.parse(readFileSync(join(root, SCRIPTS_DIR, SCRIPTS_INDEX), 'utf8')) as Record<string, string>;
    return index[path] && join(root, SCRIPTS_DIR, index[path]);
  } catch {
    return undefined;
  }
}

/** A script threw: where (file:line, from its stack) and what. */
export class ScriptError extends Error {
  constructor(
    message: string,
    readonly location: string,
    /** A Playwright wait ran out (the page did not show what the script waited for). */
    readonly timedOut = false,
  ) {
    super(message);
    this.name = 'ScriptError';
  }
}

const shown = (path: string) => {
  const r = relative(process.cwd(), path);
  return r && !r.startsWith('..') ? r : path;
};

/**
 * Compiles a script with esbuild (tsx's own, so nothing more is installed) into a file beside it,
 * with an inline source map, and imports that: its stack frames then name the script's own
 * file:line. Packages it imports resolve from the script's folder, as they would in the user's project.
 */
async function compileAndImport(path: string): Promise<{ default?: unknown }> {
  const req = createRequire(createRequire(import.meta.url).resolve('tsx/package.json'));
  const esbuild = req('esbuild') as typeof import('esbuild');
  const out = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.watchpost.mjs`);
  try {
    await esbuild.build({
      entryPoints: [path],
      outfile: out,
      bundle: true,
      packages: 'external',
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'inline',
      logLevel: 'silent',
    });
    process.setSourceMapsEnabled(true);
    return (await import(pathToFileURL(out).href)) as { default?: unknown };
  } finally {
    await rm(out, { force: true });
  }
}

async function load(path: string): Promise<BrowserScript> {
  const bundled = bundledScript(path);
  let mod: { default?: unknown };
  try {
    if (bundled) {
      process.setSourceMapsEnabled(true);
      mod = (await import(pathToFileURL(bundled).href)) as { default?: unknown };
    } else mod = /\.[cm]?[jt]s$/.test(path) ? await compileAndImport(path) : await import(pathToFileURL(path).href);
  } catch (e) {
    const first = ((e as { errors?: Array<{ text: string; location?: { line: number } }> }).errors ?? [])[0];
    const where = first?.location ? `${shown(path)}:${first.location.line}` : shown(path);
    throw new ScriptError(`cannot load the script: ${first?.text ?? (e as Error).message.split('\n')[0]}`, where);
  }
  const fn = typeof mod.default === 'function' ? mod.default : (mod.default as { default?: unknown })?.default;
  if (typeof fn !== 'function')
    throw new ScriptError('the script has no default export function ({ page }) => …', shown(path));
  return fn as BrowserScript;
}

/** file:line of the deepest stack frame inside the script, else the script's path. */
export function scriptLocation(e: unknown, path: string): string {
  const stack = (e as Error)?.stack ?? '';
  const base = path.split('/').pop()!;
  for (const line of stack.split('\n')) {
    // `at fn (file:///…/cart.ts?tsx-namespace=…:13:9)`: the loader may add a query to the URL.
    const m = /\(?((?:file:\/\/)?[^\s()?]+)(?:\?[^\s():]*)?:(\d+):\d+\)?$/.exec(line.trim());
    const file = m?.[1]?.replace(/^file:\/\//, '');
    if (m && file?.endsWith(base)) return `${shown(file)}:${m[2]}`;
  }
  return shown(path);
}

/** Runs the check's script; a throw becomes a ScriptError naming file:line (a failed step stays a step failure). */
export async function runScript(
  check: ValidatedBrowserCheck,
  page: Page,
  context: BrowserContext,
  step: <T>(name: string, fn: () => Promise<T>) => Promise<T>,
): Promise<void> {
  const path = check.script!;
  const fn = await load(path);
  try {
    await fn({ page, context, secrets: check.secrets as Record<string, string>, vars: check.vars, step });
  } catch (e) {
    if (e instanceof StepFailed || e instanceof ScriptError) throw e;
    const timedOut = (e as Error)?.name === 'TimeoutError';
    throw new ScriptError((e as Error)?.message ?? String(e), scriptLocation(e, path), timedOut);
  }
}
