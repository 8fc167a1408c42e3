/**
 * A mergeable latency sketch: a log-bucket histogram with four buckets per doubling (about 9 %
 * relative error), stored as plain counters so DynamoDB's ADD merges runs without a read.
 * Bucket `b` holds durations in (2^((b-1)/4), 2^(b/4)] ms; bucket 0 holds everything up to 1 ms.
 */

/** bucket index → count */
export type Sketch = Map<number, number>;

const PER_DOUBLING = 4;
/** 2^(80/4) ms ≈ 12 days: nothing a probe measures lies beyond it. */
const MAX_BUCKET = 80;

/** The bucket a duration in ms falls in. */
export function bucketOf(ms: number): number {
  if (!(ms > 1)) return 0;
  return Math.min(MAX_BUCKET, Math.ceil(PER_DOUBLING * Math.log2(ms) - 1e-9));
}

/** The value reported for a bucket: the geometric middle of its range, in ms. */
export function bucketValue(b: number): number {
  if (b <= 0) return 1;
  return 2 ** ((b - 0.5) / PER_DOUBLING);
}

/** Adds `from` into `into` (and returns `into`). */
export function mergeSketch(into: Sketch, from: Sketch): Sketch {
  for (const [b, n] of from) into.set(b, (into.get(b) ?? 0) + n);
  return into;
}

export function sketchCount(s: Sketch): number {
  let n = 0;
  for (const v of s.values()) n += v;
  return n;
}

/** The q-quantile (0..1) in whole ms, or null for an empty sketch. */
export function quantile(s: Sketch, q: number): number | null {
  const total = sketchCount(s);
  if (!total) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const b of [...s.keys()].sort((x, y) => x - y)) {
    seen += s.get(b)!;
    if (seen >= rank) return Math.round(bucketValue(b));
  }
  return null;
}
