/**
 * @deprecated Moved to `shared/retry.ts`, the project's one retry policy; import from there.
 * Kept so older imports still resolve.
 */
export { backoffDelay, describeError, isRetryable, mapLimit, sleep } from '../retry';
