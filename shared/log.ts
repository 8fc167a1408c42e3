import { redactingReplacer } from './redact';

/** Structured logging. The Lambda passes Powertools' Logger (same shape); the CLI its own. */
export interface Log {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** One JSON object a line on stderr, every secret redacted (message, fields, keys). */
export function jsonLog(
  base: Record<string, unknown> = {},
  minLevel: 'debug' | 'info' | 'warn' | 'error' = 'info',
): Log {
  const order = ['debug', 'info', 'warn', 'error'];
  const write = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    if (order.indexOf(level) < order.indexOf(minLevel)) return;
    process.stderr.write(
      `${JSON.stringify(
        { level: level.toUpperCase(), message, timestamp: new Date().toISOString(), ...base, ...fields },
        redactingReplacer,
      )}\n`,
    );
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };
