/**
 * How the Lambda bundles differ from running the sources (infra/bundling.ts; bench/bundle.ts
 * measures the same). Paths are relative to the project root.
 */
import aliases from './aliases.json';

/** Packages replaced by smaller stand-ins built on Node itself (esbuild `alias`). */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = aliases;

/**
 * The email probe is a file of its own beside `index.mjs` in the runner's bundle: configs
 * without email checks never load or parse the mail libraries. The bundle defines this global
 * (see shared/probes/email/index.ts) and leaves the import to run time.
 */
export const LAZY_EMAIL = {
  global: 'WATCHPOST_EMAIL_PROBE',
  file: './email-probe.mjs',
  entry: './shared/probes/email/probe.ts',
} as const;
