/** Terminal output for the CLI: status words, colours (only on a TTY), tables. */
import { formatDuration } from '../duration';
import { kindOf } from '../probes/registry';
import type { ValidatedCheck } from '../config/types';
import { redact, redactText } from '../redact';
import { codeWord, type CheckResult, type CheckStatus, type DegradedReason } from '../types';

const useColor = () => process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (s: string) => (useColor() ? `\x1b[${code}m${s}\x1b[0m` : s);
export const c = {
  red: paint(31),
  green: paint(32),
  yellow: paint(33),
  dim: paint(2),
  bold: paint(1),
  cyan: paint(36),
};

/** PASS, SLOW, WARN (a kind's warn level, e.g. a certificate expiring) or FAIL. */
export function statusWord(s: CheckStatus | string, degraded?: DegradedReason): string {
  if (s === 'pass') return c.green('PASS');
  if (s === 'degraded') return c.yellow(degraded && degraded.code !== 'SLOW' ? 'WARN' : 'SLOW');
  if (s === 'fail') return c.red('FAIL');
  return s.toUpperCase();
}

const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length;

/** A plain aligned table; the last column is not padded and may be long. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat(widths[i]! - visible(cell))))
      .join('  ')
      .trimEnd();
  return [c.dim(line(header)), ...rows.map(line)].join('\n');
}

/** What the CLI knows of a result's check, to explain the result. */
export interface NoteContext {
  degradedAfter?: string;
  /** What the check probes (its kind's `target`), shown when nothing else is worth saying. */
  target?: string;
}

/** One-line explanation of a result: the error, why it is slow, or what passed. */
export function resultNote(r: CheckResult, ctx: NoteContext = {}): string {
  const { degradedAfter } = ctx;
  if (r.error) return `${r.error.code}: ${r.error.message}`;
  // A kind's warn level is said as itself; slowness keeps its own wording below.
  const d = r.degraded;
  if (r.status === 'degraded' && d && d.code !== 'SLOW') return `${codeWord(d.code)}: ${d.message}`;
  if (r.status === 'degraded') {
    const took = formatDuration(r.timings.total ?? r.durationMs);
    return degradedAfter ? `${took}, slower than degradedAfter ${degradedAfter}` : `${took}, degraded`;
  }
  const steps = Array.isArray(r.details?.steps) ? (r.details.steps as unknown[]).length : 0;
  if (steps) return `${steps} step${steps === 1 ? '' : 's'} passed`;
  const passed = r.assertions.length;
  return passed ? `${passed} assertion${passed === 1 ? '' : 's'} passed` : (ctx.target ?? '');
}

/** The note context of a check (for `run` and `dev`). */
export function noteContext(check: ValidatedCheck | undefined): NoteContext {
  if (!check) return {};
  return { degradedAfter: check.degradedAfter, target: kindOf(check)?.target(check) };
}

export function resultRow(r: CheckResult, ctx: NoteContext = {}): string[] {
  return [
    statusWord(r.status, r.degraded),
    r.checkId,
    r.kind,
    formatDuration(r.durationMs),
    r.attempts > 1 ? `${r.attempts}` : '',
    resultNote(r, ctx),
  ];
}

/**
 * Writes CLI output to stdout with every secret scrubbed: the one door results, tables and JSON
 * leave the CLI through. An object is redacted before it is serialized (keys too), then the text.
 */
export function print(out: string | { json: unknown }): void {
  const text = typeof out === 'string' ? out : `${JSON.stringify(redact(out.json), null, 2)}\n`;
  process.stdout.write(redactText(text));
}

export const RESULT_HEADER = ['STATUS', 'CHECK', 'KIND', 'TIME', 'TRIES', 'DETAIL'];
