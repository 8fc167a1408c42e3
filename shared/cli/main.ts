/**
 * The watchpost CLI: `run`, `dev` (npm start), `validate`, `history`. No AWS account needed:
 * results go to an embedded DynamoDB-compatible store under `.watchpost/`.
 */
import { parseArgs } from 'node:util';
import { ConfigLoadError, DEFAULT_CONFIG_FILE, importConfig } from '../config/load';
import { formatDiagnostic } from '../config/schema';
import type { ValidatedConfig } from '../config/types';
import { validateConfig } from '../config/validate';
import { c } from './format';

export const USAGE = `watchpost — synthetic monitoring you deploy into your own AWS account

Usage:
  watchpost run [--config F] [--check ID]... [--json] [--no-store] [--demo]
                                 run each check once; exit 0 all ok, 1 any failed, 2 invalid config
  watchpost dev [--config F] [--demo] [--port N]
                                 the monitor on its schedule, with a live view and a local dashboard
  watchpost validate [--config F]  print every config problem (exit 2 when there are any)
  watchpost history ID [--limit N] [--region R] [--json]
                                 the stored runs of a check (newest first)
  watchpost notify --preview ID [--json]
                                 what SMS, email and each webhook would get for the check's latest local result
  watchpost notify --test [--topic critical|warning] [--webhooks]
                                 send a test page through the deployed topics (needs AWS credentials)

Options:
  --config F   config file (.ts, .js, .mjs, .json) [default: ${DEFAULT_CONFIG_FILE}]
  --data DIR   where local results are kept [default: .watchpost]
  -h, --help   this text

Secrets: a { secret: 'name' } reference reads WATCHPOST_SECRET_<NAME> locally.`;

/** Exit codes: documented in the README. */
export const EXIT = { ok: 0, failed: 1, invalid: 2 } as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.invalid,
  ) {
    super(message);
  }
}

/** Loads and validates; prints every diagnostic and throws CliError(2) when invalid. */
export async function loadValidConfig(file: string, out: (s: string) => void = (s) => process.stderr.write(`${s}\n`)): Promise<ValidatedConfig> {
  let raw: unknown;
  try {
    raw = await importConfig(file);
  } catch (e) {
    if (e instanceof ConfigLoadError) throw new CliError(e.message);
    throw e;
  }
  // The file: CA files it names are read relative to its folder.
  const r = validateConfig(raw, { file });
  if (!r.ok) {
    out(c.red(`${file}: ${r.diagnostics.length} problem${r.diagnostics.length === 1 ? '' : 's'}`));
    for (const d of r.diagnostics) out(`  ${formatDiagnostic(d)}`);
    throw new CliError(`invalid config: ${file}`);
  }
  return r.config;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await (await import('./run')).runCommand(rest);
      case 'dev':
        return await (await import('./dev')).devCommand(rest);
      case 'validate':
        return await validateCommand(rest);
      case 'history':
        return await (await import('./history')).historyCommand(rest);
      case 'notify':
        return await (await import('./notify')).notifyCommand(rest);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? EXIT.invalid : EXIT.ok;
      default:
        process.stderr.write(`unknown command "${command}"\n\n${USAGE}\n`);
        return EXIT.invalid;
    }
  } catch (e) {
    if (e instanceof CliError) {
      process.stderr.write(`${c.red('error')}: ${e.message}\n`);
      return e.exitCode;
    }
    if (e instanceof TypeError && (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${c.red('error')}: ${e.message}\n\n${USAGE}\n`);
      return EXIT.invalid;
    }
    throw e;
  }
}

async function validateCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', default: DEFAULT_CONFIG_FILE } } });
  const config = await loadValidConfig(values.config!, (s) => process.stdout.write(`${s}\n`));
  const enabled = config.checks.filter((ch) => ch.enabled).length;
  process.stdout.write(
    `${c.green('✓')} ${values.config}: ${config.checks.length} check${config.checks.length === 1 ? '' : 's'} (${enabled} enabled) in ${config.regions.length} region${config.regions.length === 1 ? '' : 's'}, home ${config.homeRegion}\n`,
  );
  return EXIT.ok;
}
