/**
 * The GSM 03.38 alphabet of SMS. A message in it is sent in 7-bit septets: 160 to a segment.
 * One character outside it and the whole message goes as UCS-2 with 70 to a segment, so a page
 * that fitted one segment suddenly costs three. Hence every SMS goes through {@link toGsm}.
 */

/** The basic set (one septet each). */
const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ ' +
  '!"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
/** The extension table: an escape septet plus one, so two septets each. */
const EXTENSION = '\f^{}\\[~]|€';

const BASIC_SET: ReadonlySet<string> = new Set(BASIC);
const EXTENSION_SET: ReadonlySet<string> = new Set(EXTENSION);

/** Septets in one single-part SMS. */
export const SMS_SEPTETS = 160;

/** Common characters outside GSM and what reads the same inside it. */
const REPLACEMENTS: Record<string, string> = {
  '\u2018': "'",
  '\u2019': "'",
  '\u201a': "'",
  '\u201b': "'",
  '\u2032': "'",
  '`': "'",
  '´': "'",
  '\u201c': '"',
  '\u201d': '"',
  '\u201e': '"',
  '\u201f': '"',
  '\u2033': '"',
  '«': '"',
  '»': '"',
  '\u2010': '-',
  '\u2011': '-',
  '\u2012': '-',
  '\u2013': '-',
  '\u2014': '-',
  '\u2015': '-',
  '\u2212': '-',
  '\u2026': '...',
  '\u2022': '*',
  '·': '.',
  '×': 'x',
  '÷': '/',
  '\u2264': '<=',
  '\u2265': '>=',
  '\u2260': '!=',
  '\u2192': '->',
  '\u2190': '<-',
  '\u21d2': '=>',
  '\u2713': 'ok',
  '\u2714': 'ok',
  '\u2717': 'x',
  '\u2718': 'x',
  '\t': ' ',
  '\u00a0': ' ',
  '\u2007': ' ',
  '\u2009': ' ',
  '\u202f': ' ',
  '\u200b': '',
  '\u200d': '',
  '\ufe0f': '',
  '\ufe0e': '',
  µ: 'u',
  '°': 'deg',
  '©': '(c)',
  '®': '(R)',
  '™': 'TM',
  '¢': 'c',
  '½': '1/2',
  '¼': '1/4',
  '¾': '3/4',
  Œ: 'OE',
  œ: 'oe',
  Ð: 'D',
  ð: 'd',
  Þ: 'Th',
  þ: 'th',
  Ł: 'L',
  ł: 'l',
  Đ: 'D',
  đ: 'd',
  ı: 'i',
};

/** Whether a character (one code point) is in the GSM alphabet. */
export const isGsmChar = (ch: string): boolean => BASIC_SET.has(ch) || EXTENSION_SET.has(ch);

/** Whether the whole text can be sent in GSM-7. */
export const isGsm = (text: string): boolean => [...text].every(isGsmChar);

/** Septets the text takes in GSM-7 (extension characters count 2); Infinity when it is not GSM. */
export function gsmLength(text: string): number {
  let n = 0;
  for (const ch of text) {
    if (BASIC_SET.has(ch)) n += 1;
    else if (EXTENSION_SET.has(ch)) n += 2;
    else return Number.POSITIVE_INFINITY;
  }
  return n;
}

/**
 * The text in the GSM alphabet: GSM characters stay (ä, é, ñ, ü, €, …), typographic ones become
 * their plain look-alikes (“” → "", – → -, … → ...), other accented letters lose the accent
 * (á → a, ç → c, ő → o), anything else (emoji, CJK) becomes `?`.
 */
export function toGsm(text: string): string {
  let out = '';
  for (const ch of text) {
    if (isGsmChar(ch)) out += ch;
    else if (ch in REPLACEMENTS) out += REPLACEMENTS[ch];
    else if (/\p{Emoji_Modifier}/u.test(ch))
      continue; // skin tones ride on the emoji before them
    else {
      const base = ch.normalize('NFD').replace(/\p{M}/gu, '');
      out += base && isGsm(base) ? base : '?';
    }
  }
  return out;
}

/** The text as printable ASCII (email subjects): GSM first, then the letters ASCII lacks. */
export function toAscii(text: string): string {
  const ASCII_FOR: Record<string, string> = {
    '£': 'GBP',
    '¥': 'JPY',
    '€': 'EUR',
    '¤': '?',
    '§': 'S',
    '¡': '!',
    '¿': '?',
    Δ: 'D',
    Φ: 'F',
    Γ: 'G',
    Λ: 'L',
    Ω: 'O',
    Π: 'P',
    Ψ: 'Ps',
    Σ: 'S',
    Θ: 'Th',
    Ξ: 'X',
    Æ: 'AE',
    æ: 'ae',
    ß: 'ss',
    Ø: 'O',
    ø: 'o',
    Å: 'A',
    å: 'a',
    Ä: 'Ae',
    Ö: 'Oe',
    Ü: 'Ue',
    ä: 'ae',
    ö: 'oe',
    ü: 'ue',
    Ñ: 'N',
    ñ: 'n',
    Ç: 'C',
    É: 'E',
    è: 'e',
    é: 'e',
    ù: 'u',
    ì: 'i',
    ò: 'o',
    à: 'a',
  };
  let out = '';
  for (const ch of toGsm(text)) {
    if (ch === '\n' || ch === '\r' || ch === '\f') out += ' ';
    else if (ch >= ' ' && ch <= '~') out += ch;
    else out += ASCII_FOR[ch] ?? '?';
  }
  return out;
}

/**
 * Shortens `text` to at most `max` units (as `measure` counts them) at a word boundary, ending
 * in `...`. Returns '' when not even the first word fits: a word is never cut.
 */
export function truncateWords(text: string, max: number, measure: (s: string) => number = gsmLength): string {
  if (measure(text) <= max) return text;
  const words = text.split(' ');
  let best = '';
  for (let i = 1; i < words.length; i++) {
    const head = words
      .slice(0, i)
      .join(' ')
      .replace(/[\s,;:.-]+$/, '');
    if (!head) continue;
    if (measure(`${head}...`) <= max) best = `${head}...`;
    else break;
  }
  return best;
}
