/**
 * Timing helpers every kind shares: one clock, one rounding, one way to time phases. Phase
 * names (`dns`, `connect`, `tls`, …) are a product surface: they are chosen by the kinds and
 * never renamed.
 */

/** A monotonic clock in ms (never jumps with the wall clock). */
export const now = (): number => performance.now();

/** Rounds ms to 0.1 ms (never below 0): enough precision for phase timings, short in JSON. */
export const round = (msv: number): number => Math.round(Math.max(0, msv) * 10) / 10;

/** Times consecutive phases: `lap()` returns the rounded ms since the previous lap (or the start). */
export interface PhaseTimer {
  /** Rounded ms since the last lap, and starts the next phase. */
  lap(): number;
  /** Rounded ms since the last lap, without starting a new phase. */
  peek(): number;
  /** Rounded ms since the timer started. */
  total(): number;
}

/** A {@link PhaseTimer} starting now. */
export function phaseTimer(): PhaseTimer {
  const start = now();
  let mark = start;
  return {
    lap() {
      const t = now();
      const ms = round(t - mark);
      mark = t;
      return ms;
    },
    peek: () => round(now() - mark),
    total: () => round(now() - start),
  };
}
