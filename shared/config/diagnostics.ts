/**
 * Config diagnostics: one problem with its path, reason and hint, the collector every schema
 * adds to, path building, how a wrong value reads, and the did-you-mean suggestion.
 */

/** One problem in a config. */
export interface Diagnostic {
  /** Where, e.g. `checks[3] "shop-cart".assertions[0].target`. */
  path: string;
  /** What is wrong, e.g. `expected a number, got "200"`. */
  message: string;
  /** How to fix it, when there is something useful to say. */
  hint?: string;
}

/** Formats a diagnostic the way `watchpost validate` prints it. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.path || '(config)'}: ${d.message}${d.hint ? ` — hint: ${d.hint}` : ''}`;
}

export class Issues {
  readonly list: Diagnostic[] = [];
  add(path: string, message: string, hint?: string): void {
    this.list.push(hint ? { path, message, hint } : { path, message });
  }
  get count(): number {
    return this.list.length;
  }
}

export const joinKey = (path: string, key: string): string =>
  path ? (/^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`) : key;
export const joinIndex = (path: string, i: number): string => `${path}[${i}]`;
/** How a value reads in a message: `"200"`, `number 42`, `an array`, `null`. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/** Edit distance, for "did you mean" hints on unknown keys and enum values. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  // One edit per three letters (so "ftp" does not suggest "http"), or a clear prefix ("assert" → "assertions").
  if (best !== undefined && bestD <= Math.max(1, Math.floor(word.length / 3))) return best;
  if (word.length >= 4) {
    const w = word.toLowerCase();
    const prefixed = candidates.filter((c) => c.toLowerCase().startsWith(w));
    if (prefixed.length === 1) return prefixed[0];
  }
  return undefined;
}

/** Edit distance where swapping two neighbours counts as one edit ("tpc" → "tcp"). */
function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
