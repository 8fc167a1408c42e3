import type { CheckCommon } from '../../config/types';
import type { MaybeSecret, SecretRef } from '../../types';

/**
 * An HTTP/API check.
 * @example
 * { id: 'shop-home', kind: 'http', url: 'https://shop.example.com/',
 *   assertions: [status.equals(200), latency.lessThan(800)], degradedAfter: '1s' }
 */
export interface HttpCheck extends CheckCommon {
  kind: 'http';
  /** The URL to request (http or https). */
  url: string;
  /** @default "GET" */
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
  /**
   * Request headers; values may be secret references, e.g. `{ authorization: { secret: 'shop-token' } }`.
   * @default {}
   */
  headers?: Record<string, MaybeSecret>;
  /**
   * Query parameters appended to the URL, values may be secret references (an API key in the
   * query stays out of the config, alarms and dashboards), e.g. `{ api_key: { secret: 'shop/api-key' } }`.
   * @default {}
   */
  query?: Record<string, MaybeSecret>;
  /**
   * HTTP Basic credentials, sent as `Authorization: Basic …` (instead of `user:pass@` in the URL,
   * which is rejected). The password is a secret reference.
   * @example { username: 'probe', password: { secret: 'shop/probe-password' } }
   */
  auth?: { username: MaybeSecret; password: SecretRef };
  /** Request body: a string is sent as is, an object as JSON (with `content-type: application/json` unless set). */
  body?: string | Record<string, unknown> | unknown[];
  /** Follow 3xx redirects. @default true */
  followRedirects?: boolean;
  /** At most this many redirects, then `TOO_MANY_REDIRECTS`. @default 5 */
  maxRedirects?: number;
  /**
   * TLS: `ca` is a CA to trust besides the system roots (PEM text or a path to a PEM file); `insecure: true` accepts
   * any certificate (not recommended).
   */
  tls?: { ca?: string; insecure?: boolean };
  /** Stop reading and fail with `BODY_TOO_LARGE` beyond this many bytes. @default 1048576 (1 MiB) */
  maxBodyBytes?: number;
}

declare module '../../config/types' {
  interface CheckKinds {
    http: HttpCheck;
  }
}
