/**
 * The Lambda bundles replace iconv-lite and encoding-japanese with Node's TextDecoder (see
 * shared/bundle-shims). These tests hold the stand-ins to the real libraries' answers for what
 * the mail libraries ask of them.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import * as jpShim from '../shared/bundle-shims/encoding-japanese';
import * as shim from '../shared/bundle-shims/iconv-lite';

const require = createRequire(import.meta.url);
const iconv = require('iconv-lite') as typeof import('iconv-lite');
const Encoding = require('encoding-japanese') as {
  convert(d: Uint8Array, o: object): string;
  stringToCode(s: string): number[];
};

const MAILBOXES = [
  'INBOX',
  'Sent & Archive',
  'Entwürfe',
  '日本語',
  'Ünïcødé/Sub & Folder',
  'a&b&c',
  '📬 Probes',
  '~peter/mail/台北/日本語',
];

describe('iconv-lite stand-in', () => {
  it.each(MAILBOXES)('encodes and decodes the mailbox name %s in modified UTF-7 exactly as iconv-lite', (name) => {
    const real = iconv.encode(name, 'utf-7-imap').toString();
    expect(shim.encode(name, 'utf-7-imap').toString()).toBe(real);
    expect(shim.decode(Buffer.from(real), 'utf-7-imap')).toBe(iconv.decode(Buffer.from(real), 'utf-7-imap'));
    expect(shim.decode(Buffer.from(real), 'utf-7-imap')).toBe(name);
  });

  it.each([
    ['utf-8', 'Grüße, 世界 ✓'],
    ['iso-8859-1', 'Grüße café'],
    ['windows-1252', 'naïve “quotes” – €'],
    ['iso-8859-15', 'Prix: 10 €'],
    ['koi8-r', 'Привет'],
    ['shift_jis', 'こんにちは世界'],
    ['euc-jp', 'こんにちは'],
    ['gb2312', '你好世界'],
    ['big5', '台北'],
    ['utf-16le', 'wide text'],
  ])('decodes %s like iconv-lite', (charset, text) => {
    const bytes = iconv.encode(text, charset);
    expect(shim.decode(bytes, charset)).toBe(iconv.decode(bytes, charset));
  });

  it('throws for an unknown charset, as iconv-lite does (libmime then falls back to UTF-8)', () => {
    expect(() => iconv.decode(Buffer.from('x'), 'x-no-such-charset')).toThrow();
    expect(() => shim.decode(Buffer.from('x'), 'x-no-such-charset')).toThrow();
    expect(shim.encodingExists('x-no-such-charset')).toBe(false);
    expect(shim.encodingExists('ISO-8859-2')).toBe(true);
  });

  it('decodes a stream split mid-character', async () => {
    const bytes = iconv.encode('Grüße aus 東京 ✓', 'utf-8');
    const stream = shim.decodeStream('utf-8');
    const out: string[] = [];
    stream.on('data', (c) => out.push(String(c)));
    for (let i = 0; i < bytes.length; i += 3) stream.write(bytes.subarray(i, i + 3));
    stream.end();
    await new Promise((r) => stream.on('end', r));
    expect(out.join('')).toBe('Grüße aus 東京 ✓');
  });
});

describe('encoding-japanese stand-in', () => {
  it.each([
    ['ISO-2022-JP', 'iso-2022-jp'],
    ['EUCJP', 'euc-jp'],
    ['SJIS', 'shift_jis'],
  ])('converts %s to Unicode like encoding-japanese', (from, label) => {
    const text = '監視テスト、こんにちは';
    const bytes = iconv.encode(text, label === 'iso-2022-jp' ? 'euc-jp' : label);
    const input =
      label === 'iso-2022-jp'
        ? new Uint8Array(Encoding.convert(Uint8Array.from(bytes), { to: 'JIS', from: 'EUCJP' }) as unknown as number[])
        : Uint8Array.from(bytes);
    expect(jpShim.convert(input, { to: 'UNICODE', from, type: 'string' })).toBe(
      Encoding.convert(input, { to: 'UNICODE', from, type: 'string' }),
    );
  });
});
