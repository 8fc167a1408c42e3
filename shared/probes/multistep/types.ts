import type { CheckCommon } from '../../config/types';
import type { Assertion } from '../../types';
import type { HttpCheck } from '../http/types';

/**
 * The request of one step: the fields of an `http` check. `url`, header and query values and `body` may
 * take values from earlier steps: `{{steps.<step>.json.<path>}}`, `{{steps.<step>.header.<name>}}`,
 * `{{steps.<step>.status}}`, `{{steps.<step>.text}}`, and extracted `{{vars.<name>}}`.
 * In a JSON body, a string that is exactly one `{{…}}` takes the value with its type (a number stays a number).
 */
export type MultistepRequest = Pick<
  HttpCheck,
  'url' | 'method' | 'headers' | 'query' | 'auth' | 'body' | 'followRedirects' | 'maxRedirects' | 'tls' | 'maxBodyBytes'
>;

/** One step of a flow. */
export interface MultistepStep {
  /**
   * Unique within the check: letters, digits, `-`, `_`. Names the step in templates, timings (`<name>.total`) and
   * errors.
   */
  name: string;
  request: MultistepRequest;
  /**
   * Assertions on this step's response, with the sources of `http`: status, latency, header, text, json.
   * @default []
   */
  assertions?: Assertion[];
  /**
   * Values to keep for later steps, name → JSON path into this step's response body,
   * e.g. `{ token: '$.token' }` → `{{vars.token}}`. A path with no value fails the step.
   * `{ path, secret: true }` marks the value secret (a session token): it is scrubbed from the
   * result in every form, wherever a later step puts it (URL, header, body).
   * @default {}
   * @example { token: { path: '$.token', secret: true }, cartId: '$.cart.id' }
   */
  extract?: Record<string, string | MultistepExtract>;
}

/** An extracted value with options. */
export interface MultistepExtract {
  /** JSON path into the step's response body, e.g. `$.token`. */
  path: string;
  /** Scrub the value from the result like a configured secret. @default false */
  secret?: boolean;
}

/**
 * An ordered flow of HTTP requests (log in, add to cart, read the cart). A failing step stops
 * the flow and the result names it: `step 2 "add-to-cart": …`.
 * @example
 * { id: 'shop-cart', kind: 'multistep', steps: [
 *   { name: 'login', request: { url: 'https://shop.example.com/api/login', method: 'POST',
 *       body: { user: 'probe', password: '…' } },
 *     assertions: [status.equals(200)], extract: { token: '$.token' } },
 *   { name: 'add-to-cart', request: { url: 'https://shop.example.com/api/cart', method: 'POST',
 *       headers: { authorization: 'Bearer {{vars.token}}' }, body: { sku: 'A-1', qty: 1 } },
 *     assertions: [status.equals(201)] },
 *   { name: 'read-cart', request: { url: 'https://shop.example.com/api/cart/{{steps.add-to-cart.json.cartId}}',
 *       headers: { authorization: 'Bearer {{vars.token}}' } },
 *     assertions: [json('$.items.length').equals(1)] },
 * ] }
 */
export interface MultistepCheck extends CheckCommon {
  kind: 'multistep';
  /** The steps, run in order; at most 20. */
  steps: MultistepStep[];
  /** Keep cookies a response sets and send them on later steps to the same host. @default true */
  cookies?: boolean;
}

declare module '../../config/types' {
  interface CheckKinds {
    multistep: MultistepCheck;
  }
}
