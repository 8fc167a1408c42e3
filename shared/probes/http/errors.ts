/**
 * Turns what went wrong during one HTTP hop into a stable code and a sentence for on-call.
 * Messages name the target (host or URL) and never include request header values.
 */
import type { CheckError } from '../../types';
import { connectTimeoutError, errnoCode, fail, where, type ConnectPhase } from '../net';

/** Where a hop was when it stopped: decides what a timeout or a closed socket means. */
export type Phase = ConnectPhase | 'headers' | 'body' | 'done';

/** `1048576` → `1 MiB`, `1536` → `1.5 KiB`, `512` → `512 bytes`. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} byte${n === 1 ? '' : 's'}`;
}

/** `1048576 bytes (1 MiB)`; no parenthesis when it would repeat the number. */
export function bytesWithUnit(n: number): string {
  const human = formatBytes(n);
  return n >= 1024 ? `${n} bytes (${human})` : human;
}

/** The timeout message for the phase the hop was in when the signal fired. */
export function timeoutError(
  phase: Phase,
  target: { host: string; label: string },
  url: string,
  timeoutMs: number,
  address: string | undefined,
  bodyBytes: number,
): CheckError {
  const { host, label } = target;
  switch (phase) {
    case 'dns':
    case 'connect':
    case 'tls':
      return connectTimeoutError(phase, host, where(label, address), timeoutMs);
    case 'body':
      return fail('TIMEOUT', `body still arriving after ${timeoutMs}ms (${formatBytes(bodyBytes)} so far) from ${url}`);
    default:
      return fail('TIMEOUT', `no response headers within ${timeoutMs}ms from ${url}`);
  }
}

/** undici's words for a connection the server closed under a request. */
const CLOSED_CODES = new Set([
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'HPE_INVALID_EOF_STATE',
]);

/** An error undici reported after the connection was handed over: reset, protocol, or anything else. */
export function responseError(phase: Phase, url: string, err: NodeJS.ErrnoException, bodyBytes: number): CheckError {
  const code = err.code ?? '';
  const reset = errnoCode(code) === 'RESET';
  if (reset || CLOSED_CODES.has(code) || /other side closed|socket hang up/i.test(err.message)) {
    const how = reset ? 'the connection was reset by the server' : 'the server closed the connection';
    if (phase === 'body')
      return fail('RESET', `${how} while the body of ${url} was arriving (${formatBytes(bodyBytes)} so far)`);
    return fail('RESET', `${how} before sending response headers for ${url}`);
  }
  if (code.startsWith('HPE_') || err.name === 'HTTPParserError')
    return fail('PROTOCOL', `invalid HTTP response from ${url}: ${err.message}`);
  if (code === 'UND_ERR_INVALID_ARG' || err.name === 'InvalidArgumentError')
    return fail('NETWORK', `cannot send the request to ${url}: ${err.message}`);
  return fail(
    'NETWORK',
    `request to ${url} failed: ${err.message}${code && !err.message.includes(code) ? ` (${code})` : ''}`,
  );
}
