/**
 * A small JSONPath subset for assertions: `$.a.b`, `$.items[0].price`, `$['odd key']`,
 * `$.items.length` (array or string length), `$[-1]` (from the end).
 */
export type PathSegment = string | number;

/** Parses a path; returns an error message instead of throwing. */
export function parseJsonPath(path: string): { segments: PathSegment[] } | { error: string } {
  let p = path.trim();
  if (p === '$' || p === '') return { segments: [] };
  if (p.startsWith('$')) p = p.slice(1);
  else if (!p.startsWith('.') && !p.startsWith('[')) p = `.${p}`;
  const segments: PathSegment[] = [];
  const re = /\.([A-Za-z_$][\w$-]*)|\[(-?\d+)\]|\[(['"])((?:(?!\3).)*)\3\]/y;
  let pos = 0;
  while (pos < p.length) {
    re.lastIndex = pos;
    const m = re.exec(p);
    if (!m) return { error: `cannot read "${path}" at "${p.slice(pos)}" — write paths like $.items[0].price` };
    if (m[1] !== undefined) segments.push(m[1]);
    else if (m[2] !== undefined) segments.push(Number(m[2]));
    else segments.push(m[4]!);
    pos = re.lastIndex;
  }
  return { segments };
}

/** Reads a value at a parsed path; `found: false` when any step is missing. */
export function readJsonPath(root: unknown, segments: PathSegment[]): { found: boolean; value?: unknown } {
  let cur: unknown = root;
  for (const seg of segments) {
    if (cur === null || cur === undefined) return { found: false };
    if (typeof seg === 'number') {
      if (!Array.isArray(cur)) return { found: false };
      const i = seg < 0 ? cur.length + seg : seg;
      if (i < 0 || i >= cur.length) return { found: false };
      cur = cur[i];
    } else if (seg === 'length' && (Array.isArray(cur) || typeof cur === 'string')) {
      cur = cur.length;
    } else if (typeof cur === 'object' && !Array.isArray(cur) && Object.hasOwn(cur, seg)) {
      cur = (cur as Record<string, unknown>)[seg];
    } else {
      return { found: false };
    }
  }
  return { found: true, value: cur };
}
