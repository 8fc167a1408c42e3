/**
 * Journey scripts: `script: './checks/cart.ts'` whose default export is a BrowserScript. Locally
 * loaded with tsx (TypeScript needs no build step); in AWS bundled into the browser runner, which
 * registers them in {@link BUNDLED_SCRIPTS} under the same path the validated config carries.
 */
import { relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import type { ValidatedBrowserCheck } from './index';
import { StepFailed } from './steps';
import type { BrowserScript } from './types';

/** Scripts bundled into the browser runner Lambda: path (as in the config) → module. */
export const BUNDLED_SCRIPTS = Symbol.for('watchpost.browserScripts');
type Registry = Record<string, { default?: unknown }>;

/** A script threw: where (file:line, from its stack) and what. */
export class ScriptError extends Error {
  constructor(
    message: string,
    readonly location: string,
  ) {
    super(message);
    this.name = 'ScriptError';
  }
}

const shown = (path: string) => {
  const r = relative(process.cwd(), path);
  return r && !r.startsWith('..') ? r : path;
};

async function load(path: string): Promise<BrowserScript> {
  const bundled = (globalThis as Record<symbol, Registry | undefined>)[BUNDLED_SCRIPTS]?.[path];
  let mod: { default?: unknown };
  try {
    if (bundled) mod = bundled;
    else if (/\.[cm]?ts$/.test(path)) {
      const { tsImport } = await import('tsx/esm/api');
      mod = (await tsImport(pathToFileURL(path).href, import.meta.url)) as { default?: unknown };
    } else mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (e) {
    throw new ScriptError(`cannot load the script: ${(e as Error).message.split('\n')[0]}`, shown(path));
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
    const m = /\(?((?:file:\/\/)?[^\s()]+):(\d+):\d+\)?$/.exec(line.trim());
    if (m && m[1]!.replace(/^file:\/\//, '').endsWith(base)) return `${shown(m[1]!.replace(/^file:\/\//, ''))}:${m[2]}`;
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
    throw new ScriptError((e as Error)?.message ?? String(e), scriptLocation(e, path));
  }
}
