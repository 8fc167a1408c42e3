/** What a queue provider reports, before thresholds: the same shape for SQS and RabbitMQ. */
import type { CheckError } from '../../types';

export interface QueueReading {
  /** Messages waiting to be received. */
  depth: number;
  /** Messages received but not yet acknowledged/deleted. */
  inFlight?: number;
  /** Age of the oldest waiting message in seconds, when it can be known. */
  ageSeconds?: number;
  /** Why the age is unknown (not judged), for details. */
  ageUnknown?: string;
  timings: Record<string, number>;
  details: Record<string, unknown>;
}

export type QueueRead =
  | { ok: true; reading: QueueReading }
  | { ok: false; error: CheckError; timings: Record<string, number>; details?: Record<string, unknown> };

/** A successful read; optional figures that are unknown are left out rather than set to undefined. */
export function readOk(r: QueueReading): QueueRead {
  const reading: QueueReading = { depth: r.depth, timings: r.timings, details: r.details };
  if (r.inFlight !== undefined) reading.inFlight = r.inFlight;
  if (r.ageSeconds !== undefined) reading.ageSeconds = r.ageSeconds;
  if (r.ageUnknown) reading.ageUnknown = r.ageUnknown;
  return { ok: true, reading };
}
