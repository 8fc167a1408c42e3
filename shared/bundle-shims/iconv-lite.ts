/**
 * Stand-in for `iconv-lite` in the Lambda bundles (esbuild alias, see infra/runner.ts): Node's
 * own TextDecoder (full ICU: every WHATWG encoding, ISO-2022-JP and Shift_JIS included) plus
 * IMAP's modified UTF-7 for mailbox names. It keeps ~480 KB of code tables out of the runner.
 * The mail libraries use only decode, encode, decodeStream and encodingExists; tests compare this
 * against the real iconv-lite (test/bundle-shims.test.ts).
 */
import { Buffer } from 'node:buffer';
import { Transform } from 'node:stream';

const UTF7_IMAP = /^utf-?7-?imap$/;
const norm = (encoding: string) =>
  String(encoding ?? 'utf-8')
    .trim()
    .toLowerCase();

/** RFC 3501 5.1.3: printable ASCII as is, `&` as `&-`, the rest as `&` + base64 of UTF-16BE (`,` for `/`) + `-`. */
export function encodeUtf7Imap(text: string): string {
  return text.replace(/&|[^\x20-\x7e]+/g, (run) => {
    if (run === '&') return '&-';
    const utf16 = Buffer.alloc(run.length * 2);
    for (let i = 0; i < run.length; i++) utf16.writeUInt16BE(run.charCodeAt(i), i * 2);
    return `&${utf16.toString('base64').replace(/=+$/, '').replace(/\//g, ',')}-`;
  });
}

export function decodeUtf7Imap(text: string): string {
  return text.replace(/&([^-]*)-/g, (_m, b64: string) => {
    if (!b64) return '&';
    const bytes = Buffer.from(b64.replace(/,/g, '/'), 'base64');
    let out = '';
    for (let i = 0; i + 1 < bytes.length; i += 2) out += String.fromCharCode(bytes.readUInt16BE(i));
    return out;
  });
}

export function encodingExists(encoding: string): boolean {
  if (UTF7_IMAP.test(norm(encoding))) return true;
  try {
    new TextDecoder(norm(encoding));
    return true;
  } catch {
    return false;
  }
}

// Node 20's TextDecoder decodes windows-1252 (and its aliases, latin1 among them) as ISO-8859-1,
// leaving 0x80–0x9F as C1 controls: map that block as the WHATWG/iconv-lite table does.
const CP1252_80_9F = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';
const CP1252_LABELS = new Set(['windows-1252', 'cp1252', 'x-cp1252']);

/** Decodes bytes; throws for an unknown encoding (as iconv-lite does), which callers catch. */
export function decode(buf: Uint8Array | string, encoding: string): string {
  const enc = norm(encoding);
  const bytes = typeof buf === 'string' ? Buffer.from(buf, 'binary') : buf;
  if (UTF7_IMAP.test(enc)) return decodeUtf7Imap(Buffer.from(bytes).toString('latin1'));
  if (CP1252_LABELS.has(enc))
    return Buffer.from(bytes)
      .toString('latin1')
      .replace(/[\x80-\x9f]/g, (c) => CP1252_80_9F[c.charCodeAt(0) - 0x80]!);
  return new TextDecoder(enc).decode(bytes);
}

const NODE_ENCODINGS = new Set([
  'utf8',
  'utf-8',
  'ascii',
  'us-ascii',
  'latin1',
  'binary',
  'iso-8859-1',
  'ucs2',
  'utf16le',
  'utf-16le',
  'base64',
  'hex',
]);

/** Encodes text; the mail libraries only ask for UTF-8-like encodings and modified UTF-7. */
export function encode(text: string, encoding: string): Buffer {
  const enc = norm(encoding);
  if (UTF7_IMAP.test(enc)) return Buffer.from(encodeUtf7Imap(String(text)), 'latin1');
  if (!NODE_ENCODINGS.has(enc)) throw new Error(`Encoding not recognized: '${encoding}' (watchpost bundle)`);
  const nodeEnc =
    ({ 'us-ascii': 'ascii', 'iso-8859-1': 'latin1', 'utf-16le': 'utf16le' } as Record<string, BufferEncoding>)[enc] ??
    (enc as BufferEncoding);
  return Buffer.from(String(text), nodeEnc);
}

/** A Transform that turns bytes in a charset into strings, chunk boundaries handled by TextDecoder. */
export function decodeStream(encoding: string): Transform {
  const decoder = new TextDecoder(norm(encoding));
  return new Transform({
    decodeStrings: true,
    readableObjectMode: false,
    transform(chunk: Buffer, _enc, done) {
      const s = decoder.decode(chunk, { stream: true });
      done(null, s || undefined);
    },
    flush(done) {
      const s = decoder.decode();
      done(null, s || undefined);
    },
  });
}

const iconv = { decode, encode, decodeStream, encodingExists };
export default iconv;
