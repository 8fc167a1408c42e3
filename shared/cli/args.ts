/**
 * Command-line parsing and the CLI's errors: a user's mistake (bad flag, bad config, unusable
 * store, missing secret) is one line and exit 2; a bug prints its stack and says it is a bug.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closest } from '../config/schema';

/** Exit codes: documented in the README. */
export const EXIT = { ok: 0, failed: 1, invalid: 2, bug: 3 } as const;

/** A user's mistake: printed as `error: <message>` without a stack, exit 2 unless told otherwise. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.invalid,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** `parseArgs` that answers an unknown or malformed flag with a CliError (and a did-you-mean). */
export function parseFlags<T extends ParseArgsConfig>(command: string, config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (!err.code?.startsWith('ERR_PARSE_ARGS')) throw e;
    const flags = Object.keys(config.options ?? {}).map((f) => `--${f}`);
    const given = /option '([^']+)'/i.exec(err.message)?.[1];
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && given) {
      const name = given.replace(/=.*$/, '');
      const near = closest(
        name.replace(/^-+/, ''),
        flags.map((f) => f.slice(2)),
      );
      const hint = near ? `did you mean --${near}?` : `known flags: ${flags.join(', ') || 'none'}`;
      throw new CliError(`unknown flag ${name} for \`watchpost ${command}\` — hint: ${hint}`);
    }
    if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
      throw new CliError(
        `\`watchpost ${command}\` takes no argument ${JSON.stringify(/'([^']*)'/.exec(err.message)?.[1] ?? '')}`,
      );
    // Node's own wording, e.g. "Option '--config <value>' argument missing", minus its advice on `--`.
    throw new CliError(`${err.message.split('. ')[0]!.replace(/\.$/, '')} (watchpost ${command})`);
  }
}

/**
 * The time commands count to: `WATCHPOST_NOW` (an ISO time: reproducible reports and builds,
 * tests) or the clock. `watchpost report` and `watchpost status build` read it.
 */
export function commandNow(): Date {
  const text = process.env.WATCHPOST_NOW;
  if (!text) return new Date();
  const now = new Date(text);
  if (Number.isNaN(now.getTime()))
    throw new CliError(`WATCHPOST_NOW must be an ISO time such as 2026-11-30T12:00:00Z, got "${text}"`);
  return now;
}

/** Whether an error is one a user can fix, and so deserves a message rather than a stack. */
export function isUserError(e: unknown): e is Error {
  if (!(e instanceof Error)) return false;
  return ['CliError', 'ConfigLoadError', 'ConfigError', 'StoreError', 'SecretError'].includes(e.name);
}
