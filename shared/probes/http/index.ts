/** The `http` probe kind: registration, config fields, assertion sources. */
import { s } from '../../config/schema';
import type { ProbeKind } from '../types';
import { runHttp } from './run';
import type { HttpCheck } from './types';

export type { HttpCheck } from './types';

export const httpKind: ProbeKind<HttpCheck> = {
  kind: 'http',
  description: 'HTTP/API request with assertions on status, headers, body and JSON, and per-phase timings',
  fields: {
    url: s.url(),
    method: s.optional(s.literalUnion(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const), 'GET'),
    headers: s.optional(s.record(s.secretOr()), {}),
    body: s.optional(s.any('a string or a JSON value')),
    followRedirects: s.optional(s.boolean(), true),
    maxRedirects: s.optional(s.number({ integer: true, min: 0, max: 20 }), 5),
    tls: s.optional(s.object({ ca: s.optional(s.string({ minLength: 1 })), insecure: s.optional(s.boolean()) })),
    maxBodyBytes: s.optional(s.number({ integer: true, min: 0, max: 64 * 1024 * 1024 }), 1024 * 1024),
  },
  assertionSources: ['status', 'latency', 'header', 'text', 'json'],
  numericSources: ['status', 'latency'],
  target: (check) => `${check.method ?? 'GET'} ${check.url}`,
  run: runHttp,
};
