/** Config pieces shared by the connection kinds (`tcp`, `tls`). */
import { INVALID, s, type Schema } from '../../config/schema';

const LABEL = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?';
const HOST_RE = new RegExp(`^(?:(?:${LABEL}\\.)*${LABEL}\\.?|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$`);

/** A host name or an IP address, without scheme, port or path. */
export const hostSchema: Schema<string> = {
  expected: 'a host name or IP address',
  check(v, path, issues) {
    if (typeof v === 'string' && /^[a-z][a-z0-9+.-]*:\/\//i.test(v)) {
      issues.add(
        path,
        `expected a host name or IP address, got a URL ${JSON.stringify(v)}`,
        `write only the host, e.g. "${v.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/[:/].*$/, '')}"`,
      );
      return INVALID;
    }
    return s
      .string({
        pattern: HOST_RE,
        expected: 'a host name or IP address',
        patternHint: 'no scheme, port or path, e.g. "mail.example.com" or "10.0.0.12"',
      })
      .check(v, path, issues);
  },
};

/** A TCP port. */
export const portSchema = s.number({ integer: true, min: 1, max: 65_535 });
