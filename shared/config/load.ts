/** Loads a config file (`.ts`, `.js`, `.mjs`, `.json`) and validates it. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ValidatedConfig } from './types';
import { ConfigError, parseConfig } from './validate';

export const DEFAULT_CONFIG_FILE = 'watchpost.config.ts';

export class ConfigLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigLoadError';
  }
}

/** Imports the file and returns its default export, unvalidated. */
export async function importConfig(file = DEFAULT_CONFIG_FILE): Promise<unknown> {
  const path = resolve(file);
  if (!existsSync(path)) throw new ConfigLoadError(`config file not found: ${path} — hint: pass --config <file> or create ${DEFAULT_CONFIG_FILE}`);
  if (extname(path) === '.json') return JSON.parse(await readFile(path, 'utf8'));
  let mod: { default?: unknown };
  try {
    // .ts needs a TypeScript loader: the CLI runs under tsx, the CDK app too.
    mod = await import(pathToFileURL(path).href);
  } catch (e) {
    throw new ConfigLoadError(`cannot load config ${path}: ${(e as Error).message}`);
  }
  // tsx may wrap a CommonJS-style default once more.
  let value = mod.default;
  if (value && typeof value === 'object' && 'default' in value && Object.keys(value).length === 1) value = (value as { default: unknown }).default;
  if (value === undefined) throw new ConfigLoadError(`${path} has no default export — hint: export default defineConfig({ ... })`);
  return value;
}

/** Imports and validates; throws ConfigError (with every diagnostic) or ConfigLoadError. */
export async function loadConfig(file = DEFAULT_CONFIG_FILE): Promise<ValidatedConfig> {
  return parseConfig(await importConfig(file), file);
}

export { ConfigError };
