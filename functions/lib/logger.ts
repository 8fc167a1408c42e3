/**
 * Powertools for AWS Lambda's Logger (the ecosystem's structured JSON logs) behind shared/log's Log.
 * Its JSON replacer redacts every line, also those written through `logger` directly.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Log } from '../../shared/log';
import { redactingReplacer } from '../../shared/redact';

const loggers = new Map<string, { logger: Logger; log: Log }>();

/** The one logger of a service in this process (keys appended by the handler reach every line). */
export function lambdaLogger(serviceName: string): { logger: Logger; log: Log } {
  const known = loggers.get(serviceName);
  if (known) return known;
  const logger = new Logger({ serviceName, jsonReplacerFn: redactingReplacer });
  const level = (fn: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: Record<string, unknown>) =>
    fields ? logger[fn](message, fields) : logger[fn](message);
  const log = { debug: level('debug'), info: level('info'), warn: level('warn'), error: level('error') };
  loggers.set(serviceName, { logger, log });
  return { logger, log };
}
