/** A duration as users write it: `500ms`, `10s`, `1m`, `1h`, `1d` (or a combination such as `1m30s`). */
export type Duration = string;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/** Parses a duration string to ms; returns `undefined` when it is not one. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (!WHOLE.test(t)) return undefined;
  let total = 0;
  for (const m of t.matchAll(PART)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return Math.round(total);
}

/** Like parseDuration, for values already validated. Throws on a programmer error. */
export function ms(text: Duration): number {
  const v = parseDuration(text);
  if (v === undefined) throw new Error(`not a duration: ${JSON.stringify(text)}`);
  return v;
}

/** Formats ms for people: `850ms`, `12s`, `4m`, `2h 5m`, `3d 4h`. */
export function formatDuration(msValue: number): string {
  const v = Math.max(0, Math.round(msValue));
  if (v < 1_000) return `${v}ms`;
  if (v < 60_000) return `${Math.round(v / 100) / 10}s`.replace('.0s', 's');
  const minutes = Math.floor(v / 60_000);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours}h ${minutes % 60}m` : `${hours}h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days}d ${hours % 24}h` : `${days}d`;
}
