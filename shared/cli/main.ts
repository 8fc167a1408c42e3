/**
 * The watchpost CLI: `run`, `dev` (npm start), `validate`, `history`. No AWS account needed:
 * results go to an embedded DynamoDB-compatible store under `.watchpost/`.
 */
import { readFileSync } from 'node:fs';
import { ConfigLoadError, DEFAULT_CONFIG_FILE, importConfig } from '../config/load';
import { closest, formatDiagnostic } from '../config/schema';
import type { ValidatedConfig } from '../config/types';
import { validateConfig } from '../config/validate';
import { CliError, EXIT, isUserError, parseFlags } from './args';
import { c } from './format';

export { CliError, EXIT };

export const USAGE = `watchpost — synthetic monitoring you deploy into your own AWS account

Usage:
  watchpost run [--config F] [--check ID]... [--json] [--no-store] [--demo]
                                 run each check once; exit 0 all ok, 1 any failed, 2 invalid config
  watchpost dev [--config F] [--demo] [--port N] [--ping-port N]
                                 the monitor on its schedule, with a live view, a local dashboard (--port,
                                 default 4320) and the heartbeat ping endpoint (--ping-port, default 4321)
  watchpost validate [--config F]  print every config problem (exit 2 when there are any)
  watchpost history ID [--limit N] [--region R] [--json] [--config F]
                                 the stored runs of a check (newest first)
  watchpost notify --preview ID [--json]
                                 what SMS, email and each webhook would get for the check's latest local result
  watchpost notify --test [--topic critical|warning] [--webhooks]
                                 send a test page through the deployed topics (needs AWS credentials)
  watchpost report [--since 30d | --month 2026-11] [--check ID]... [--format table|csv|json] [--json] [--aws]
                                 uptime per check and region, down minutes, incidents, p50/p95/p99 (maintenance
                                 excluded); local store, or with --aws the deployed table
  watchpost incident open|update|resolve|list [--component NAME]... [--title T] [--message M]
                   [--status S] [--severity S] [--id ID] [--aws]
                                 incidents and their public updates, shown on the status page and in its feed

Options:
  --config F   config file (.ts, .js, .mjs, .json) [default: ${DEFAULT_CONFIG_FILE}]
  --data DIR   where local results are kept [default: .watchpost]
  -h, --help   this text
  --version    the watchpost version

Exit codes: 0 ok · 1 a check failed · 2 a mistake to fix (config, flag, store, secret) · 3 a bug in watchpost

Secrets: a { secret: 'name' } reference reads WATCHPOST_SECRET_<NAME> locally.`;

/** Loads and validates; prints every diagnostic and throws CliError(2) when invalid. */
export async function loadValidConfig(
  file: string,
  out: (s: string) => void = (s) => process.stderr.write(`${s}\n`),
): Promise<ValidatedConfig> {
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

const COMMANDS = ['run', 'dev', 'validate', 'history', 'notify', 'report', 'incident', 'help'] as const;

/** The version in watchpost's own package.json. */
export function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
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
      case 'report':
        return await (await import('./report')).reportCommand(rest);
      case 'incident':
        return await (await import('./incident')).incidentCommand(rest);
      case '--version':
      case '-v':
      case 'version':
        process.stdout.write(`watchpost ${version()}\n`);
        return EXIT.ok;
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? EXIT.invalid : EXIT.ok;
      default: {
        const near = command.startsWith('-') ? undefined : closest(command, COMMANDS);
        const hint = near
          ? `did you mean \`watchpost ${near}\`?`
          : `commands: ${COMMANDS.join(', ')}; see watchpost --help`;
        process.stderr.write(`${c.red('error')}: unknown command "${command}" — hint: ${hint}\n`);
        return EXIT.invalid;
      }
    }
  } catch (e) {
    if (isUserError(e)) {
      process.stderr.write(`${c.red('error')}: ${e.message}\n`);
      return e instanceof CliError ? e.exitCode : EXIT.invalid;
    }
    // Anything else is watchpost's fault, not the user's: say so, with what a bug report needs.
    const detail = e instanceof Error ? (e.stack ?? e.message) : String(e);
    process.stderr.write(
      `${c.red('bug')}: watchpost ${version()} failed unexpectedly — please report this with the text below\n${detail}\n`,
    );
    return EXIT.bug;
  }
}

async function validateCommand(args: string[]): Promise<number> {
  const { values } = parseFlags('validate', {
    args,
    options: { config: { type: 'string', default: DEFAULT_CONFIG_FILE } },
  });
  const config = await loadValidConfig(values.config!, (s) => process.stdout.write(`${s}\n`));
  const enabled = config.checks.filter((ch) => ch.enabled).length;
  process.stdout.write(
    `${c.green('✓')} ${values.config}: ${config.checks.length} check${config.checks.length === 1 ? '' : 's'} (${enabled} enabled) in ${config.regions.length} region${config.regions.length === 1 ? '' : 's'}, home ${config.homeRegion}\n`,
  );
  return EXIT.ok;
}
