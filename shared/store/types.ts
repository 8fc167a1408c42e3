/** The result store contract: DynamoDB in AWS, an embedded DynamoDB-compatible store locally, same code. */
import type { CheckResult, CheckStatus } from '../types';

/** Latest state of one check in one region. */
export interface LatestState {
  checkId: string;
  region: string;
  status: CheckStatus;
  /** ISO time the current status began (first run with it). */
  since: string;
  /** Failed runs in a row; 0 when the last run did not fail. */
  consecutiveFailures: number;
  /** ISO scheduled time of the result this state reflects. */
  lastScheduledAt: string;
  lastResult: CheckResult;
}

export interface WriteReport {
  /** Results stored (history and latest state). */
  written: number;
  /** Results that could not be stored after retries, with why. Never silently dropped: the caller logs them. */
  failed: Array<{ result: CheckResult; reason: string }>;
  /**
   * Stored results that are new: the first delivery of their check, region and scheduled time,
   * and newer than the stored latest state. A re-delivered invocation's results are stored again
   * (same keys) but are not fresh. Publish metrics (and count anything) for these only.
   */
  fresh: CheckResult[];
}

export interface WriteOptions {
  /** ms since epoch by which the write is over: what is not stored by then comes back in `failed`. @default none */
  deadline?: number;
}

export interface ResultStore {
  /** Stores each result as one history item (idempotent key) and updates the latest state per check and region. */
  writeResults(results: readonly CheckResult[], opts?: WriteOptions): Promise<WriteReport>;
  /** Stored runs of a check, newest first, across regions unless one is given. */
  history(checkId: string, opts?: { limit?: number; region?: string }): Promise<CheckResult[]>;
  /** Latest state of every check (or of the given ones) in every region. */
  latest(checkIds?: readonly string[]): Promise<LatestState[]>;
}
