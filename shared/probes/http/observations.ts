/**
 * The assertion sources of an http response (status, latency, header, text, json), each read
 * only when an assertion asks for it: headers folded once, the body decoded once, JSON parsed once.
 */
import { parseJsonPath, readJsonPath } from '../../assertions/json-path';
import type { CheckError } from '../../types';
import { fail } from '../net';
import type { Observations } from '../types';
import type { RawHeaders } from './hop';

/**
 * Why JSON.parse failed, without V8's quote of the body: the body may echo a secret, and the
 * runner can only redact whole secret values, not the first ten characters of one.
 */
function jsonReason(text: string, e: Error): string {
  if (text.trim() === '') return 'the body is empty';
  return e.message
    .replace(/, (\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, '')
    .replace(/ in JSON at position/, ' at position');
}

/** Assertion sources of a response: status, latency, header, text, json. */
export class HttpObservations implements Observations {
  private headerMap?: Map<string, string>;
  private textValue?: string;
  private jsonValue?: { value?: unknown; error?: CheckError };

  constructor(
    private readonly status: number,
    private readonly latency: number,
    private readonly rawHeaders: RawHeaders,
    private readonly chunks: Buffer[],
    private readonly url: string,
  ) {}

  private headers(): Map<string, string> {
    if (!this.headerMap) {
      const m = new Map<string, string>();
      const raw = this.rawHeaders;
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const k = raw[i]!.toString('latin1').toLowerCase();
        const v = raw[i + 1]!.toString('latin1');
        const prev = m.get(k);
        m.set(k, prev === undefined ? v : `${prev}, ${v}`);
      }
      this.headerMap = m;
    }
    return this.headerMap;
  }

  private text(): string {
    if (this.textValue === undefined) {
      const c = this.chunks;
      this.textValue =
        c.length === 0 ? '' : c.length === 1 ? c[0]!.toString('utf8') : Buffer.concat(c).toString('utf8');
    }
    return this.textValue;
  }

  private json(): { value?: unknown; error?: CheckError } {
    if (!this.jsonValue) {
      const text = this.text();
      try {
        this.jsonValue = { value: JSON.parse(text) };
      } catch (e) {
        this.jsonValue = {
          error: fail(
            'INVALID_JSON',
            `response body is not valid JSON: ${jsonReason(text, e as Error)} ` +
              `(${this.describeBody()} from ${this.url})`,
          ),
        };
      }
    }
    return this.jsonValue;
  }

  /** `24 bytes, text/html`: what came instead of JSON, without quoting it. */
  private describeBody(): string {
    const type = this.headers().get('content-type');
    let n = 0;
    for (const c of this.chunks) n += c.length;
    return `${n} byte${n === 1 ? '' : 's'}${type ? `, ${type}` : ''}`;
  }

  read(source: string, property: string | undefined): { value?: unknown; error?: CheckError } {
    switch (source) {
      case 'status':
        return { value: this.status };
      case 'latency':
        return { value: this.latency };
      case 'header':
        return property === undefined ? {} : { value: this.headers().get(property.toLowerCase()) };
      case 'text':
        return { value: this.text() };
      case 'json': {
        const doc = this.json();
        if (doc.error) return doc;
        const path = parseJsonPath(property ?? '$');
        if ('error' in path) return { error: fail('ASSERTION', path.error) };
        const r = readJsonPath(doc.value, path.segments);
        return r.found ? { value: r.value } : {};
      }
      default:
        return {};
    }
  }
}
