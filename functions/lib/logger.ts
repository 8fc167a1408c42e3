/**
 * Powertools for AWS Lambda's Logger (the ecosystem's structured JSON logs) behind shared/log's Log.
 * Its JSON replacer redacts every line, also those written through `logger` directly.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Log } from '../../shared/log';
import { redactingReplacer } from '../../shared/redact';

export function lambdaLogger(serviceName: string): { logger: Logger; log: Log } {
  const logger = new Logger({ serviceName, jsonReplacerFn: redactingReplacer });
  const level =
    (fn: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields?: Record<string, unknown>) =>
      fields ? logger[fn](message, fields) : logger[fn](message);
  return { logger, log: { debug: level('debug'), info: level('info'), warn: level('warn'), error: level('error') } };
}
