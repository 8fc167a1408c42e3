/**
 * The `multistep` kind against a small shop API on loopback (node http, port 0): log in, add to
 * cart, read the cart — values passed between steps, per-step assertions and timings, the
 * failing step named, cookies, secrets, and config diagnostics.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, validateConfig } from '../shared/config/validate';
import { runCheck } from '../shared/runner/run-check';
import type { SecretResolver } from '../shared/secrets';
import type { CheckResult } from '../shared/types';

const base = { project: 'test', homeRegion: 'eu-central-1', regions: ['eu-central-1'] };
const API_KEY = 'k3y-very-secret-9f2';
const secrets: SecretResolver = async (name) => {
  if (name === 'shop-api-key') return API_KEY;
  throw new Error(`no secret ${name}`);
};

let server: http.Server;
let shop: string;
const sockets = new Set<Socket>();
const seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }> = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const json = (status: number, value: unknown, headers: Record<string, string | string[]> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(value));
      };
      const authed = req.headers.authorization === 'Bearer tok-123';
      const url = new URL(req.url!, 'http://x');
      if (req.method === 'POST' && url.pathname === '/api/login') {
        if (req.headers['x-api-key'] !== API_KEY) return json(403, { error: 'bad api key' });
        const creds = JSON.parse(body || '{}');
        if (creds.user !== 'probe') return json(401, { error: 'who are you' });
        return json(
          200,
          { token: 'tok-123', user: { id: 7, name: 'Probe' } },
          {
            'set-cookie': ['sid=abc123; Path=/; HttpOnly', 'theme=dark; Expires=Wed, 21 Oct 2099 07:28:00 GMT; Path=/'],
          },
        );
      }
      if (req.method === 'POST' && url.pathname === '/api/cart') {
        if (!authed) return json(401, { error: 'no token' });
        const item = JSON.parse(body || '{}');
        if (item.sku === 'BROKEN') return json(500, { error: 'cart service down' });
        return json(201, { cartId: 'c-42', items: [item], qtyType: typeof item.qty });
      }
      if (req.method === 'GET' && url.pathname.startsWith('/api/cart/')) {
        if (!authed) return json(401, { error: 'no token' });
        const session = /(?:^|; )sid=abc123(?:;|$)/.test(req.headers.cookie ?? '') ? 'yes' : 'no';
        return json(
          200,
          { id: url.pathname.split('/').pop(), items: [{ sku: 'A-1', qty: 1 }] },
          { 'x-session': session },
        );
      }
      if (url.pathname === '/api/not-json') {
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end('<html>maintenance</html>');
      }
      if (url.pathname === '/api/hang') return; // never answers
      json(404, { error: 'not found' });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  shop = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});

const status = (target: number) => ({ source: 'status', comparison: 'equals', target });
const json = (property: string, comparison: string, target?: unknown) => ({
  source: 'json',
  property,
  comparison,
  ...(target !== undefined ? { target } : {}),
});

/** The flow of the issue: log in, add to cart, read the cart. */
function cartFlow(over: { sku?: string; readUrl?: string; readAssertions?: unknown[] } = {}) {
  return [
    {
      name: 'login',
      request: {
        url: `${shop}/api/login`,
        method: 'POST',
        headers: { 'x-api-key': { secret: 'shop-api-key' } },
        body: { user: 'probe' },
      },
      assertions: [status(200), json('$.token', 'exists')],
      extract: { token: '$.token' },
    },
    {
      name: 'add-to-cart',
      request: {
        url: `${shop}/api/cart`,
        method: 'POST',
        headers: { authorization: 'Bearer {{vars.token}}' },
        body: {
          sku: over.sku ?? 'A-1',
          qty: '{{steps.login.json.user.id}}',
          note: 'for user {{steps.login.json.user.name}}',
        },
      },
      assertions: [status(201), json('$.qtyType', 'equals', 'number')],
    },
    {
      name: 'read-cart',
      request: {
        url: over.readUrl ?? `${shop}/api/cart/{{steps.add-to-cart.json.cartId}}`,
        headers: { authorization: 'Bearer {{steps.login.json.token}}' },
      },
      assertions: over.readAssertions ?? [
        status(200),
        json('$.items.length', 'equals', 1),
        { source: 'header', property: 'x-session', comparison: 'equals', target: 'yes' },
      ],
    },
  ];
}

const flowCheck = (fields: Record<string, unknown>) =>
  parseConfig({ ...base, checks: [{ id: 'shop-cart', kind: 'multistep', timeout: '5s', ...fields }] }).checks[0]!;
const run = (fields: Record<string, unknown>): Promise<CheckResult> =>
  runCheck(flowCheck(fields), { region: 'eu-central-1', secrets });
const stepsOf = (r: CheckResult) =>
  r.details!.steps as Array<{
    name: string;
    status: string;
    error?: { code: string };
    assertions?: Array<{ pass: boolean }>;
    url?: string;
    statusCode?: number;
  }>;

describe('multistep kind: a healthy flow', () => {
  it('runs every step, passing values along, with per-step and total timings', async () => {
    seen.length = 0;
    const r = await run({
      steps: cartFlow(),
      assertions: [{ source: 'latency', comparison: 'lessThan', target: 5000 }],
    });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('pass');
    expect(r.kind).toBe('multistep');
    expect(r.assertions).toEqual([expect.objectContaining({ source: 'latency', pass: true })]);
    for (const step of ['login', 'add-to-cart', 'read-cart']) {
      expect(r.timings[`${step}.total`]).toBeTypeOf('number');
      expect(r.timings[`${step}.ttfb`]).toBeTypeOf('number');
    }
    expect(r.timings.total).toBeGreaterThanOrEqual(r.timings['login.total']!);
    const steps = stepsOf(r);
    expect(steps.map((s) => [s.name, s.status, s.statusCode])).toEqual([
      ['login', 'pass', 200],
      ['add-to-cart', 'pass', 201],
      ['read-cart', 'pass', 200],
    ]);
    expect(steps[2]!.url).toBe(`${shop}/api/cart/c-42`);
    expect(steps.every((s) => s.assertions!.every((a) => a.pass))).toBe(true);

    // What went over the wire: the extracted token, the typed JSON value, the filled string.
    const add = seen.find((x) => x.url === '/api/cart')!;
    expect(add.headers.authorization).toBe('Bearer tok-123');
    expect(JSON.parse(add.body)).toEqual({ sku: 'A-1', qty: 7, note: 'for user Probe' });
    // Cookies from login travel to later steps.
    expect(seen.find((x) => x.url === '/api/cart/c-42')!.headers.cookie).toBe('sid=abc123; theme=dark');
  });

  it('never shows a secret header value, resolved by the runner', async () => {
    const r = await run({ steps: cartFlow() });
    expect(r.status).toBe('pass');
    expect(JSON.stringify(r)).not.toContain(API_KEY);
    const bad = await runCheck(flowCheck({ steps: cartFlow() }), {
      region: 'eu-central-1',
      secrets: async () => 'wrong-key-value',
    });
    expect(bad.error!.message).toMatch(/^step 1 "login": assertion failed: status equals 200, got 403/);
    expect(JSON.stringify(bad)).not.toContain('wrong-key-value');
  });

  it('cookies: false keeps no session between steps', async () => {
    const r = await run({ steps: cartFlow(), cookies: false });
    expect(r.status).toBe('fail');
    expect(r.error!.message).toContain('step 3 "read-cart": assertion failed: header x-session equals "yes", got "no"');
  });
});

describe('multistep kind: a failing step stops the flow and is named', () => {
  it('assertion failure in step 2: ASSERTION, later steps skipped, no timings for them', async () => {
    const r = await run({ steps: cartFlow({ sku: 'BROKEN' }) });
    expect(r.status).toBe('fail');
    expect(r.error!.code).toBe('ASSERTION');
    expect(r.error!.message).toMatch(/^step 2 "add-to-cart": assertion failed: status equals 201, got 500/);
    expect(r.details!.failedStep).toBe('add-to-cart');
    expect(stepsOf(r).map((s) => s.status)).toEqual(['pass', 'fail', 'skipped']);
    expect(stepsOf(r)[1]!.assertions![0]).toMatchObject({ pass: false, actual: 500 });
    expect(Object.keys(r.timings).some((k) => k.startsWith('read-cart.'))).toBe(false);
    expect(r.timings['add-to-cart.total']).toBeTypeOf('number');
  });

  it('connection refused in step 3: CONNECT_REFUSED naming the step', async () => {
    const s = http.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const deadPort = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    const r = await run({
      steps: cartFlow({ readUrl: `http://127.0.0.1:${deadPort}/api/cart/{{steps.add-to-cart.json.cartId}}` }),
    });
    expect(r.error!.code).toBe('CONNECT_REFUSED');
    expect(r.error!.message).toMatch(/^step 3 "read-cart": /);
    expect(stepsOf(r).map((s) => s.status)).toEqual(['pass', 'pass', 'fail']);
  });

  it('a hanging step: TIMEOUT naming the step, within the timeout', async () => {
    const started = Date.now();
    const r = await run({ timeout: '1s', steps: cartFlow({ readUrl: `${shop}/api/hang` }) });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(r.status).toBe('fail');
    expect(r.error!.code).toBe('TIMEOUT');
    expect(r.error!.message).toMatch(/^step 3 "read-cart": /);
  });

  it('a value to extract that is not there: ASSERTION at the extracting step', async () => {
    const steps = cartFlow();
    steps[0]!.extract = { token: '$.accessToken' };
    const r = await run({ steps });
    expect(r.error!.code).toBe('ASSERTION');
    expect(r.error!.message).toBe('step 1 "login": cannot extract "token": the response has nothing at $.accessToken');
  });

  it('a template with no value: ASSERTION at the step that needs it', async () => {
    const steps = cartFlow({ readUrl: `${shop}/api/cart/{{steps.add-to-cart.json.basketId}}` });
    const r = await run({ steps });
    expect(r.error!.code).toBe('ASSERTION');
    expect(r.error!.message).toContain('step 3 "read-cart": {{steps.add-to-cart.json.basketId}} has no value');
  });

  it('a body that is not JSON where JSON is asserted: INVALID_JSON', async () => {
    const r = await run({
      steps: [{ name: 'home', request: { url: `${shop}/api/not-json` }, assertions: [json('$.ok', 'equals', true)] }],
    });
    expect(r.error!.code).toBe('INVALID_JSON');
    expect(r.error!.message).toMatch(/^step 1 "home": /);
  });
});

describe('multistep kind: config diagnostics', () => {
  const diagnose = (steps: unknown, extra: Record<string, unknown> = {}) => {
    const v = validateConfig({ ...base, checks: [{ id: 'flow', kind: 'multistep', steps, ...extra }] });
    return v.ok ? [] : v.diagnostics;
  };
  const P = 'checks[0] "flow".steps';

  it('a valid flow has no diagnostics and gets defaults', () => {
    expect(diagnose(cartFlow())).toEqual([]);
    const c = flowCheck({ steps: cartFlow() }) as any;
    expect(c.timeout).toBe('5s');
    expect(c.cookies).toBe(true);
    expect(c.steps[2].request.method).toBe('GET');
    expect((flowCheck({ steps: cartFlow(), timeout: undefined }) as any).timeout).toBe('30s');
  });

  it('step names must be unique', () => {
    const steps = cartFlow();
    steps[2]!.name = 'login';
    const d = diagnose(steps);
    expect(d).toContainEqual(
      expect.objectContaining({ path: `${P}[2].name`, message: 'duplicate step name "login", also used by steps[0]' }),
    );
  });

  it('templates may only refer to earlier steps and earlier extracted variables', () => {
    const d = diagnose([
      { name: 'a', request: { url: `${shop}/x/{{steps.b.json.id}}`, headers: { h: '{{steps.a.status}}' } } },
      {
        name: 'b',
        request: { url: `${shop}/y`, body: { t: '{{vars.token}}', u: ['{{steps.nope.text}}'] } },
        extract: { token: '$.token' },
      },
      { name: 'c', request: { url: `${shop}/z?v={{vars.tokn}}` } },
    ]);
    expect(d).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          path: `${P}[0].request.url`,
          message: '{{steps.b.json.id}} refers to step "b", which runs later (steps[1])',
        }),
        expect.objectContaining({
          path: `${P}[0].request.headers.h`,
          message: '{{steps.a.status}} refers to its own step',
        }),
        expect.objectContaining({
          path: `${P}[1].request.body.t`,
          message: '{{vars.token}} is extracted by steps[1] "b", which does not run before this step',
        }),
        expect.objectContaining({
          path: `${P}[1].request.body.u[0]`,
          message: expect.stringContaining('no step "nope"'),
        }),
        expect.objectContaining({
          path: `${P}[2].request.url`,
          message: '{{vars.tokn}}: no earlier step extracts "tokn"',
          hint: 'did you mean "token"?',
        }),
      ]),
    );
    expect(d).toHaveLength(5);
  });

  it('bad template syntax, extract paths and variable names are reported where they are', () => {
    const d = diagnose([
      { name: 'a', request: { url: `${shop}/x` }, extract: { 'cart-id': '$.id', ok: '$.items[' } },
      {
        name: 'b',
        request: { url: `${shop}/{{steps.a.jsn.id}}`, headers: { x: '{{secret.key}}', y: '{{steps.a.header}}' } },
      },
    ]);
    const byPath = Object.fromEntries(d.map((x) => [x.path, x]));
    expect(byPath[`${P}[0].extract.ok`]!.message).toContain('$.items[');
    // The path error stops validation before the cross-step rules; fix it and look again.
    const d2 = diagnose([
      { name: 'a', request: { url: `${shop}/x` }, extract: { 'cart-id': '$.id' } },
      {
        name: 'b',
        request: { url: `${shop}/{{steps.a.jsn.id}}`, headers: { x: '{{secret.key}}', y: '{{steps.a.header}}' } },
      },
    ]);
    const by2 = Object.fromEntries(d2.map((x) => [x.path, x]));
    expect(by2[`${P}[0].extract["cart-id"]`]!.message).toContain('not a variable name');
    expect(by2[`${P}[1].request.url`]!.message).toBe('{{steps.a.jsn.id}}: unknown source "jsn"');
    expect(by2[`${P}[1].request.headers.x`]!.message).toContain('unknown template');
    expect(by2[`${P}[1].request.headers.y`]!.message).toContain('needs a header name');
  });

  it('step requests and assertions are checked like http checks', () => {
    const d = diagnose([
      {
        name: 'a',
        request: { url: 'shop.test/login', metod: 'POST' },
        assertions: [
          { source: 'rcode', comparison: 'equals', target: 'NOERROR' },
          { source: 'status', comparison: 'equals', target: '200' },
        ],
      },
      { name: 'b b', request: { url: `${shop}/x`, method: 'FETCH' } },
    ]);
    const byPath = Object.fromEntries(d.map((x) => [x.path, x]));
    expect(byPath[`${P}[0].request.url`]!.hint).toContain('include the scheme');
    expect(byPath[`${P}[0].request.metod`]!.hint).toBe('did you mean "method"?');
    expect(byPath[`${P}[0].assertions[0].source`]).toBeDefined();
    expect(byPath[`${P}[0].assertions[1].target`]!.hint).toBe('write 200 without quotes');
    expect(byPath[`${P}[1].name`]).toBeDefined();
    expect(byPath[`${P}[1].request.method`]).toBeDefined();
  });

  it('needs at least one step and at most 20; top-level assertions look at the whole flow', () => {
    expect(diagnose([])).toEqual([expect.objectContaining({ path: P, message: 'needs at least 1 item, got 0' })]);
    const many = Array.from({ length: 21 }, (_, i) => ({ name: `s${i}`, request: { url: `${shop}/` } }));
    expect(diagnose(many)[0]!.message).toContain('at most 20');
    const d = diagnose(cartFlow(), { assertions: [status(200)] });
    expect(d[0]!.path).toBe('checks[0] "flow".assertions[0].source');
  });
});
