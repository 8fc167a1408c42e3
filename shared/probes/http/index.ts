/** The `http` probe kind: registration, config fields, assertion sources. */
import { s } from '../../config/schema';
import { defineKind, type KindCheck } from '../types';
import { displayUrl } from './display-url';
import { DEFAULT_MAX_BODY_BYTES, runHttp } from './run';
import type { HttpCheck } from './types';

export type { HttpCheck } from './types';

/** Where URL credentials go instead (http and multistep). */
export const AUTH_HINT =
  'write auth: { username: "…", password: { secret: "name" } } (and query: { key: { secret: "name" } } for a token ' +
  'in the query)';

/** The fields of {@link HttpCheck}, with the defaults validation applies. */
const fields = {
  url: s.url(['http:', 'https:'], AUTH_HINT),
  method: s.optional(s.literalUnion(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const), 'GET'),
  headers: s.optional(s.record(s.secretOr()), {}),
  query: s.optional(s.record(s.secretOr()), {}),
  auth: s.optional(
    s.object(
      { username: s.secretOr(s.string({ minLength: 1 })), password: s.secretOnly('password') },
      { expected: 'credentials { username, password: { secret: "name" } }' },
    ),
  ),
  body: s.optional(s.any<HttpCheck['body'] & {}>('a string or a JSON value')),
  followRedirects: s.optional(s.boolean(), true),
  maxRedirects: s.optional(s.number({ integer: true, min: 0, max: 20 }), 5),
  tls: s.optional(s.object({ ca: s.optional(s.string({ minLength: 1 })), insecure: s.optional(s.boolean()) })),
  maxBodyBytes: s.optional(s.number({ integer: true, min: 0, max: 64 * 1024 * 1024 }), DEFAULT_MAX_BODY_BYTES),
};

/** A validated http check: the fields with a default are set. */
export type ValidatedHttpCheck = KindCheck<HttpCheck, typeof fields>;

/** HTTP/API request with assertions on status, headers, body and JSON, and per-phase timings. */
export const httpKind = defineKind<HttpCheck>()({
  kind: 'http',
  fields,
  assertionSources: ['status', 'latency', 'header', 'text', 'json'],
  numericSources: ['status', 'latency'],
  // No user info, no query values: this text goes into alarm descriptions, dashboards and pages.
  target: (check) => `${check.method} ${displayUrl(check.url)}`,
  run: runHttp,
});
