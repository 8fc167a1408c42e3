/**
 * A small HTML template helper: `html` tagged templates escape every interpolated value unless
 * it is already {@link Html} (a fragment made by `html` or `raw`), and `fill` puts fragments
 * into a page template's `{{slot}}`s. Escaping is the default so model text (titles, messages
 * typed by people) can never become markup.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe inside element content and quoted attributes. */
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);

type Part = Html | string | number | null | undefined | false | readonly Part[];

function part(v: Part): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(part).join('');
  return escapeHtml(String(v));
}

/** `html\`<p>${text}</p>\`` — interpolations are escaped; arrays are joined; null/false render nothing. */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += part(v) + strings[i + 1]!;
  });
  return new Html(out);
}

/** Markup that is trusted as is (our own SVG icons, a filled template). */
export const raw = (s: string): Html => new Html(s);

/**
 * Replaces each `{{name}}` in a template with its fragment (strings are escaped). A slot the
 * template names but `slots` lacks is a bug in watchpost: it throws, naming the slot.
 */
export function fill(template: string, slots: Record<string, Part>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    if (!(name in slots)) throw new Error(`status page template: no value for {{${name}}}`);
    return part(slots[name]!);
  });
}
