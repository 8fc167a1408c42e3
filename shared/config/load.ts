/** Loads a config file (`.ts`, `.js`, `.mjs`, `.json`); callers validate it (`parseConfig`). */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseJsonWithPosition } from './json-errors';
import { tsImport } from 'tsx/esm/api';

export const DEFAULT_CONFIG_FILE = 'watchpost.config.ts';

export class ConfigLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigLoadError';
  }
}

/**
 * Imports the file and returns its default export, unvalidated. Every way a file can fail to load
 * (missing, unreadable, a JSON syntax error, a TypeScript compile error, a throw at import) is a
 * ConfigLoadError whose one-line message names the file, with `file:line:column` when known.
 */
export async function importConfig(file = DEFAULT_CONFIG_FILE): Promise<unknown> {
  const path = resolve(file);
  if (!existsSync(path))
    throw new ConfigLoadError(
      `config file not found: ${path} — hint: pass --config <file> or create ${DEFAULT_CONFIG_FILE}`,
    );
  if (extname(path) === '.json') {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new ConfigLoadError(`cannot read config ${file}: ${(e as Error).message}`);
    }
    try {
      return parseJsonWithPosition(text);
    } catch (e) {
      throw new ConfigLoadError(`${file}:${(e as Error).message}`);
    }
  }
  let mod: { default?: unknown };
  try {
    // tsImport compiles TypeScript as ESM whatever the nearest package.json says (no "type": "module" needed).
    mod = /\.[cm]?ts$/.test(path)
      ? await tsImport(pathToFileURL(path).href, import.meta.url)
      : await import(pathToFileURL(path).href);
  } catch (e) {
    throw new ConfigLoadError(describeLoadError(e, file, path));
  }
  // tsx may wrap a CommonJS-style default once more.
  let value = mod.default;
  if (value && typeof value === 'object' && 'default' in value && Object.keys(value).length === 1)
    value = (value as { default: unknown }).default;
  if (value === undefined)
    throw new ConfigLoadError(`${path} has no default export — hint: export default defineConfig({ ... })`);
  return value;
}

/** One line: `file:line:column: message` for a compile error or a throw located in the file. */
function describeLoadError(e: unknown, file: string, path: string): string {
  const err = e instanceof Error ? e : new Error(String(e));
  // esbuild: "Transform failed with 1 error:\n/abs/file.ts:3:20: ERROR: Expected "}" but found "]""
  const compile = /^(.*?):(\d+):(\d+): ERROR: (.*)$/m.exec(err.message);
  if (compile) return `${file}:${compile[2]}:${compile[3]}: ${compile[4]}`;
  const message = err.message.split('\n')[0];
  const at = new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+):(\\d+)`).exec(err.stack ?? '');
  if (at) return `${file}:${at[1]}:${at[2]}: ${message}`;
  return `cannot load config ${file}: ${message}`;
}
