/** The shapes and keys of heartbeat pings in the results table (layout: `ping-store.ts`). */
import { TABLE } from '../../store/table';

/** What a ping says: the job finished well (`/ping/<id>`), started, or failed. */
export type PingSignal = 'success' | 'start' | 'fail';

/** The stored state of one heartbeat check. Times are epoch ms. */
export interface PingState {
  checkId: string;
  lastSignal?: PingSignal;
  lastSignalAt?: number;
  /** Last `/ping/<id>`: what `period` counts from. */
  lastSuccessAt?: number;
  lastFailAt?: number;
  lastStartAt?: number;
  /** Start of a run that has not ended yet. */
  openStartAt?: number;
  /** Duration of the last run that had a start and ended. */
  lastDurationMs?: number;
  lastRunEndedAt?: number;
  /** How the last measured run ended. */
  lastRunSignal?: 'success' | 'fail';
  /** Signals received, all kinds. */
  pings?: number;
  /** When the check first looked for pings: a new check waits `period + grace` from here before it fails. */
  watchedSince?: number;
  /**
   * Length of the stored token when the endpoint last refused a ping because the token is shorter
   * than the minimum (the runner never reads tokens: the endpoint tells it through here).
   */
  shortTokenLength?: number;
  /** Exit code of the last end, when it was a failure that sent one (`/ping/<id>/3`). */
  lastExitCode?: number;
  /** The first {@link STORED_BODY_BYTES} of the last end's body (redacted), e.g. the job's output. */
  lastOutput?: string;
  lastOutputAt?: number;
  /** Size of that body as sent (more than kept when it was cut). */
  lastOutputBytes?: number;
  /** Runs started with a run id and not ended yet (their starts are `RUN#<rid>` items). */
  openRuns?: number;
}

/** A run started with `?rid=` and not ended yet. */
export interface OpenRun {
  rid: string;
  /** epoch ms */
  startAt: number;
}

/** What a ping carries besides its signal. */
export interface PingOptions {
  /** @default Date.now() */
  at?: number;
  body?: Uint8Array | string;
  /** `/ping/<id>/<exit-code>`: 0 arrives as `success`, 1–255 as `fail` with the code. */
  exitCode?: number;
  /** `?rid=<uuid>`: pairs a start with its end. */
  rid?: string;
  abortSignal?: AbortSignal;
}

/** One stored ping, newest first from {@link PingStore.events}. */
export interface PingEvent {
  checkId: string;
  signal: PingSignal;
  /** epoch ms */
  at: number;
  durationMs?: number;
  bodyBytes: number;
  /** First 10 KiB of the body as text, redacted. */
  body?: string;
  exitCode?: number;
  rid?: string;
}

export const PING_PREFIX = 'PING#';
export const pingStateKey = (checkId: string) => ({
  [TABLE.partitionKey]: `${PING_PREFIX}${checkId}`,
  [TABLE.sortKey]: 'STATE',
});
export const pingRunKey = (checkId: string, rid: string) => ({
  [TABLE.partitionKey]: `${PING_PREFIX}${checkId}`,
  [TABLE.sortKey]: `RUN#${rid}`,
});
export const pingEventKey = (checkId: string, at: number, nonce: string) => ({
  [TABLE.partitionKey]: `${PING_PREFIX}${checkId}`,
  [TABLE.sortKey]: `EVENT#${new Date(at).toISOString()}#${nonce}`,
});

/** Bytes of a ping body kept (event and state): the head of a job's output. */
export const STORED_BODY_BYTES = 10 * 1024;
