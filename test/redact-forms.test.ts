/** The redactor: which forms of a secret it derives and scrubs, in keys and values, and where it stops. */
import { describe, expect, it } from 'vitest';
import { jsonLog } from '../shared/log';
import { addSecret, MASK, redact, redactText, secretForms, SecretSet } from '../shared/redact';

/** Every way a value can be encoded that the issue lists. */
function encodings(v: string): string[] {
  return [
    v,
    encodeURIComponent(v),
    encodeURI(v),
    encodeURIComponent(v).replace(/%20/g, '+'),
    new URLSearchParams({ q: v }).toString().slice(2),
    encodeURIComponent(v).toLowerCase(),
    JSON.stringify(v).slice(1, -1),
    JSON.stringify(JSON.stringify(v).slice(1, -1)).slice(1, -1),
  ];
}

describe('secretForms', () => {
  it('takes the credential after an auth scheme, whatever its case', () => {
    for (const header of ['Bearer abc123', 'bearer abc123', 'BEARER  abc123', 'token abc123', 'Token abc123'])
      expect(secretForms(header)).toContain('abc123');
  });

  it('for Basic: the base64 payload, the decoded user:pass and the password', () => {
    const payload = Buffer.from('probe:pa ss"w\\rd').toString('base64');
    const forms = secretForms(`Basic ${payload}`);
    expect(forms).toEqual(
      expect.arrayContaining([
        payload,
        'probe:pa ss"w\\rd',
        'pa ss"w\\rd',
        'pa%20ss%22w%5Crd',
        'pa+ss%22w%5Crd',
        'pa ss\\"w\\\\rd',
      ]),
    );
  });

  it('for a user:pass pair: the password, its URL user-info form and the Basic payload', () => {
    const forms = secretForms('probe:s3cr3t/x');
    expect(forms).toEqual(
      expect.arrayContaining([
        's3cr3t/x',
        's3cr3t%2Fx',
        'probe:s3cr3t%2Fx',
        Buffer.from('probe:s3cr3t/x').toString('base64'),
      ]),
    );
  });

  it('URL-, form- and JSON-encoded forms of a value with spaces, quotes and backslashes', () => {
    const v = 'a b"c\\d&e=f/g?h';
    const forms = secretForms(v);
    for (const e of encodings(v).filter((x) => x !== encodeURIComponent(v).toLowerCase())) expect(forms).toContain(e);
    // no JSON forms for a value JSON does not escape
    expect(secretForms('plain-token')).toEqual(['plain-token']);
  });

  it('leaves out fragments shorter than 3 characters (too many false hits)', () => {
    expect(secretForms('Bearer ab')).not.toContain('ab');
    expect(secretForms('u:p1')).not.toContain('p1');
  });

  it('each string of a JSON (key/value) secret is a secret too', () => {
    expect(secretForms('{"username":"probe","password":"hunter-22"}')).toContain('hunter-22');
  });
});

describe('redact', () => {
  const token = 'tok"en\\ 9f8e/7d+6c';
  const secrets = new Set([`Bearer ${token}`]);

  it('scrubs every encoded form in values and keys, deep, in arrays too', () => {
    const dirty = {
      message: encodings(token).join(' | '),
      [token]: 1,
      nested: [{ [encodeURIComponent(token)]: [encodings(token)] }],
    };
    const clean = redact(dirty, secrets);
    const text = JSON.stringify(clean);
    for (const e of encodings(token)) expect(text).not.toContain(e);
    expect(text).not.toContain('9f8e');
    expect(clean.message).toBe(
      encodings(token)
        .map(() => MASK)
        .join(' | '),
    );
    expect(Object.keys(clean)).toEqual(['message', MASK, 'nested']);
  });

  it('keeps scrubbing the start of a secret at the end of a clipped value', () => {
    expect(redact({ a: `${'x'.repeat(20)}tok"en\\ 9f…` }, secrets).a).toBe(`${'x'.repeat(20)}${MASK}…`);
  });

  it('returns the value itself when nothing is secret, and never touches short fragments', () => {
    const v = { a: 'ab' };
    expect(redact(v, new Set<string>())).toBe(v);
    expect(redact(v, new Set(['ab']))).toBe(v);
  });

  it('a SecretSet grows as a run learns secrets (multistep session tokens)', () => {
    const run = new SecretSet();
    expect(redactText('sess-1234 here', run)).toBe('sess-1234 here');
    run.add('sess-1234');
    expect(redactText('sess-1234 here', run)).toBe(`${MASK} here`);
  });

  it('errors are redacted as errors (message and stack)', () => {
    const e = redact(new Error(`bad ${token}`), secrets);
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toBe(`bad ${MASK}`);
    expect(e.stack).not.toContain('9f8e');
  });
});

describe('process-wide secrets reach the log sink', () => {
  it('jsonLog scrubs message, fields and keys of every secret resolved in the process', () => {
    const secret = 'proc-wide-5ecret-value';
    addSecret(secret);
    const lines: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => lines.push(String(chunk)) > 0) as unknown as typeof process.stderr.write;
    try {
      jsonLog({ service: 't' }).warn(`webhook said ${secret}`, {
        body: `{"${encodeURIComponent(secret)}":1}`,
        [secret]: true,
      });
    } finally {
      process.stderr.write = write;
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('5ecret');
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'WARN', message: `webhook said ${MASK}`, [MASK]: true });
  });
});
