/**
 * Nothing secret leaves: a loopback server reflects credentials in every way the issue lists,
 * and `watchpost run` (table and --json), the stored history and the local dashboard's
 * /api/state are searched for every encoded form of every secret.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alarmSpecs } from '../shared/alarms/specs';
import { startDashboard } from '../shared/cli/dashboard';
import { openLocalStore } from '../shared/cli/local';
import { ConfigError, parseConfig } from '../shared/config/validate';
import { probeKind } from '../shared/probes/registry';
import type { CheckResult } from '../shared/types';
import { readBody, startHttpServer, type TestServer } from './helpers/http-servers';

const BIN = join(__dirname, '..', 'bin', 'watchpost.mjs');
// Quotes, backslashes, slashes, plus, space, ampersand, equals: every encoding differs from the value.
const TOKEN = 't0k"en\\x/y+z w=Q9&r';
const API_KEY = 'key/with+plus&amp=42 "q"';
const PASSWORD = 'pa ss:w"rd\\9/x';
const INLINE_KEY = 'inline-query-key-8842';
const env = {
  ...process.env,
  NO_COLOR: '1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  WATCHPOST_SECRET_SHOP_TOKEN: `Bearer ${TOKEN}`,
  WATCHPOST_SECRET_SHOP_API_KEY: API_KEY,
  WATCHPOST_SECRET_SHOP_PASSWORD: PASSWORD,
};

/** The forms the issue lists, computed here independently of the redactor. */
function encodings(v: string): string[] {
  const json = (s: string) => JSON.stringify(s).slice(1, -1);
  const enc = encodeURIComponent(v);
  return [
    v,
    enc,
    enc.toLowerCase(),
    encodeURI(v),
    enc.replace(/%20/g, '+'),
    new URLSearchParams({ q: v }).toString().slice(2),
    json(v),
    json(json(v)),
  ];
}

function cli(args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

let srv: TestServer;
let dir: string;
const sessions: string[] = [];
const received: Record<string, string[]> = { bearer: [], apiKey: [], basic: [], session: [] };

/** Every form of every secret the server saw or handed out. */
function forbidden(): string[] {
  const basic = Buffer.from(`probe:${PASSWORD}`).toString('base64');
  const values = [`Bearer ${TOKEN}`, TOKEN, API_KEY, PASSWORD, `probe:${PASSWORD}`, basic, INLINE_KEY, ...sessions];
  return [...new Set(values.flatMap(encodings))];
}

function expectClean(text: string, where: string): void {
  for (const form of forbidden())
    if (text.includes(form)) throw new Error(`${where} holds the secret form ${JSON.stringify(form)}`);
}

const CHECKS = [
  {
    id: 'echo-token',
    kind: 'http',
    url: '',
    headers: { authorization: { secret: 'shop/token' } },
    assertions: [
      { source: 'json', property: '$', comparison: 'equals', target: 'something else' },
      { source: 'text', comparison: 'contains', target: 'nope' },
      { source: 'header', property: 'x-echo', comparison: 'equals', target: 'nope' },
    ],
  },
  {
    id: 'redirect',
    kind: 'http',
    url: '',
    headers: { authorization: { secret: 'shop/token' } },
    assertions: [{ source: 'status', comparison: 'equals', target: 201 }],
  },
  { id: 'loop', kind: 'http', url: '', headers: { authorization: { secret: 'shop/token' } } },
  {
    id: 'query',
    kind: 'http',
    url: '',
    query: { api_key: { secret: 'shop/api-key' } },
    assertions: [{ source: 'text', comparison: 'equals', target: 'x' }],
  },
  {
    id: 'basic',
    kind: 'http',
    url: '',
    auth: { username: 'probe', password: { secret: 'shop/password' } },
    assertions: [{ source: 'text', comparison: 'equals', target: 'x' }],
  },
  { id: 'inline-query', kind: 'http', url: '', assertions: [{ source: 'status', comparison: 'equals', target: 200 }] },
  {
    id: 'session',
    kind: 'multistep',
    steps: [
      {
        name: 'login',
        request: { url: '', method: 'POST' },
        extract: { session: { path: '$.session', secret: true } },
      },
      {
        name: 'cart',
        request: { url: '', headers: { 'x-session': '{{vars.session}}' } },
        assertions: [{ source: 'json', property: '$.cart', comparison: 'equals', target: 'nope' }],
      },
    ],
  },
];

function configFor(origin: string) {
  const c = structuredClone(CHECKS) as Array<Record<string, any>>;
  const paths: Record<string, string> = {
    'echo-token': '/echo',
    redirect: '/redirect',
    loop: '/loop/start',
    query: '/query?page=2',
    basic: '/basic',
    'inline-query': `/inline?api_key=${INLINE_KEY}`,
  };
  for (const ch of c) if (ch.kind === 'http') ch.url = `${origin}${paths[ch.id]}`;
  const flow = c.find((ch) => ch.id === 'session')!;
  flow.steps[0].request.url = `${origin}/login`;
  flow.steps[1].request.url = `${origin}/cart/{{vars.session}}?s={{vars.session}}`;
  return { project: 'redact', homeRegion: 'eu-central-1', regions: ['eu-central-1'], checks: c };
}

beforeAll(async () => {
  srv = await startHttpServer(async (req, res) => {
    const url = req.url ?? '/';
    const bearer = /^Bearer (.*)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    if (bearer) received.bearer!.push(bearer);
    const enc = encodeURIComponent(bearer ?? '');
    if (url === '/echo') {
      // Only the credential, as a key, JSON-escaped inside a value, and in a header.
      res.writeHead(200, { 'content-type': 'application/json', 'x-echo': bearer ?? '' });
      return void res.end(JSON.stringify({ [bearer ?? '']: 1, echo: bearer, note: `you sent ${bearer}` }));
    }
    if (url === '/redirect') return void res.writeHead(302, { location: `/landing/${enc}?t=${enc}` }).end();
    if (url.startsWith('/landing/')) return void res.writeHead(200).end('landed');
    if (url.startsWith('/loop/')) return void res.writeHead(302, { location: `/loop/${enc}` }).end();
    if (url.startsWith('/query')) {
      const key = new URL(url, 'http://x').searchParams.get('api_key') ?? '';
      received.apiKey!.push(key);
      return void res.writeHead(200).end(`url ${url} key ${key} json ${JSON.stringify({ key })}`);
    }
    if (url === '/basic') {
      const b64 = String(req.headers.authorization ?? '').replace(/^Basic /, '');
      const pair = Buffer.from(b64, 'base64').toString('utf8');
      received.basic!.push(pair);
      return void res
        .writeHead(200)
        .end(
          `header ${req.headers.authorization} pair ${pair} pass ${pair.slice(6)} ${encodeURIComponent(pair.slice(6))}`,
        );
    }
    if (url.startsWith('/inline')) return void res.writeHead(200).end('ok');
    if (url === '/login') {
      await readBody(req);
      const session = `s"e\\ss/${randomBytes(6).toString('hex')}+`;
      sessions.push(session);
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ session }));
    }
    if (url.startsWith('/cart/')) {
      const session = String(req.headers['x-session']);
      received.session!.push(session);
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ cart: `cart of ${session} at ${url}`, [session]: true }));
    }
    res.writeHead(404).end();
  });
  dir = mkdtempSync(join(tmpdir(), 'wp-redact-'));
  writeFileSync(join(dir, 'watchpost.config.json'), JSON.stringify(configFor(srv.origin), null, 2));
});
afterAll(async () => {
  await srv?.close();
});

describe('nothing secret leaves (a credential-reflecting server)', () => {
  let results: CheckResult[] = [];
  let runOut = '';

  it('watchpost run --json: no form of any secret, though the server reflected each', { timeout: 60_000 }, async () => {
    const r = await cli(['run', '--config', 'watchpost.config.json', '--json', '--data', 'data'], dir);
    runOut = r.stdout + r.stderr;
    results = JSON.parse(r.stdout) as CheckResult[];
    expect(results.map((x) => x.checkId)).toEqual(CHECKS.map((c) => c.id));
    // The secrets really went out (so a clean output means something).
    expect(received.bearer!.length).toBeGreaterThanOrEqual(4);
    for (const b of received.bearer!) expect(b).toBe(TOKEN);
    expect(received.apiKey).toContain(API_KEY);
    expect(received.basic).toContain(`probe:${PASSWORD}`);
    expect(received.session!.length).toBeGreaterThan(0);
    expect(received.session!.every((s) => sessions.includes(s))).toBe(true);
    expectClean(runOut, 'run --json');
    const byId = new Map(results.map((x) => [x.checkId, x]));
    // What was reflected is there, masked: proof that it was seen and scrubbed.
    expect(JSON.stringify(byId.get('echo-token')!.assertions[0]!.actual)).toContain('***');
    expect(byId.get('loop')!.error!.code).toBe('REDIRECT_LOOP');
    expect(byId.get('loop')!.error!.message).toContain('/loop/***');
    expect(byId.get('redirect')!.details!.finalUrl).toBe(srv.url('/landing/***?t=…'));
    expect(JSON.stringify(byId.get('session')!.details)).toContain('/cart/***');
    expect(byId.get('session')!.error!.code).toBe('ASSERTION');
  });

  it('the run table, the stored history and the local dashboard hold none either', { timeout: 90_000 }, async () => {
    const table = await cli(['run', '--config', 'watchpost.config.json', '--data', 'data'], dir);
    expect(table.stdout).toContain('REDIRECT_LOOP');
    expectClean(table.stdout + table.stderr, 'run table');
    // The checks whose stored results held the most reflected forms.
    for (const id of ['echo-token', 'loop', 'basic', 'session']) {
      const h = await cli(['history', id, '--json', '--data', 'data'], dir);
      expect(h.status).toBe(0);
      expect((JSON.parse(h.stdout) as unknown[]).length).toBe(2);
      expectClean(h.stdout + h.stderr, `history ${id}`);
    }
    const config = parseConfig(configFor(srv.origin));
    const local = await openLocalStore(join(dir, 'data'), config);
    const dash = await startDashboard({ port: 0, config, store: local.store });
    try {
      const state = await (await fetch(`${dash.url}api/state`)).text();
      expect(state).toContain('"echo-token"');
      expectClean(state, 'dashboard /api/state');
      // The target column: no query values, no inline key.
      const targets = (JSON.parse(state) as { checks: Array<{ id: string; target: string }> }).checks.map(
        (c) => c.target,
      );
      expect(targets).toContain(`GET ${srv.url('/inline?api_key=…')}`);
    } finally {
      await dash.close();
      await local.close();
    }
  });
});

describe('secrets in URLs', () => {
  const base = { project: 'p', homeRegion: 'eu-central-1', regions: ['eu-central-1'] };
  const problems = (checks: unknown[]): string[] => {
    try {
      parseConfig({ ...base, checks });
      return [];
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      return e.diagnostics.map((d) => `${d.path}: ${d.message}${d.hint ? ` — hint: ${d.hint}` : ''}`);
    }
  };

  it('user:pass@ in a URL is a validation error that names the secret form', () => {
    expect(problems([{ id: 'a', kind: 'http', url: 'https://probe:hunter2@shop.example.com/' }])).toEqual([
      'checks[0] "a".url: must not carry credentials (user:pass@…): they would be shipped in the Lambda asset and ' +
        'shown in alarms' +
        ' — hint: write auth: { username: "…", password: { secret: "name" } } (and query: { key: { secret: "name" } ' +
        '} for a token in the query)',
    ]);
    const flow = {
      id: 'f',
      kind: 'multistep',
      steps: [{ name: 's', request: { url: 'https://u:p@shop.example.com/{{vars.x}}' } }],
    };
    expect(problems([flow])[0]).toMatch(/^checks\[0\] "f"\.steps\[0\]\.request\.url: must not carry credentials/);
    expect(
      problems([
        { id: 'b', kind: 'http', url: 'https://shop.example.com/', auth: { username: 'u', password: 'inline' } },
      ]),
    ).toEqual([
      'checks[0] "b".auth.password: the password must not be written inline — hint: store it in AWS Secrets Manager ' +
        '(locally: WATCHPOST_SECRET_<NAME>) and write { secret: "name" }',
    ]);
  });

  it('a multistep extract is a JSON path or { path, secret }, each checked', () => {
    const flow = (extract: unknown) => ({
      id: 'f',
      kind: 'multistep',
      steps: [{ name: 's', request: { url: 'https://shop.example.com/' }, extract }],
    });
    expect(problems([flow({ a: '$.a', b: { path: '$.b', secret: true } })])).toEqual([]);
    expect(problems([flow({ t: { path: '$.a[', secret: 'yes' } })])).toEqual([
      'checks[0] "f".steps[0].extract.t.path: cannot read "$.a[" at "[" — write paths like $.items[0].price',
      'checks[0] "f".steps[0].extract.t.secret: expected true or false, got "yes"',
    ]);
    expect(problems([flow({ t: { path: '$.t', secrt: true } })])).toEqual([
      'checks[0] "f".steps[0].extract.t.secrt: unknown key — hint: did you mean "secret"?',
    ]);
  });

  it('query values and user info stay out of targets, alarm names and descriptions', () => {
    const config = parseConfig({
      ...base,
      checks: [
        {
          id: 'q',
          kind: 'http',
          url: `https://shop.example.com/api?api_key=${INLINE_KEY}&v=2`,
          query: { token: { secret: 't' } },
        },
        {
          id: 'm',
          kind: 'multistep',
          steps: [{ name: 's', request: { url: `https://shop.example.com/x?api_key=${INLINE_KEY}` } }],
        },
      ],
    });
    expect(probeKind('http').target(config.checks[0]!)).toBe('GET https://shop.example.com/api?api_key=…&v=…');
    const specs = JSON.stringify(alarmSpecs(config));
    expect(specs).toContain('shop.example.com');
    expect(specs).not.toContain(INLINE_KEY);
  });
});

describe('pages and webhooks', () => {
  it('a webhook receiver echoing the token in its error body: outcome and logged line hold no form of it', async () => {
    const { startHttpsReceiver } = await import('./helpers/https-receiver');
    const { webhookRequests, deliverWebhooks } = await import('../shared/notify/webhooks');
    const { testIncident } = await import('../shared/notify/message');
    const { jsonLog } = await import('../shared/log');
    const rx = await startHttpsReceiver();
    const hookToken = 'hook"tok\\en/77+x y';
    try {
      rx.reply((req) => {
        const sent = String(req.headers.authorization).replace(/^Bearer /, '');
        return {
          status: 400,
          json: {
            [sent]: 'unknown key',
            plain: sent,
            url: `/x/${encodeURIComponent(sent)}`,
            form: new URLSearchParams({ k: sent }).toString(),
          },
        };
      });
      const config = parseConfig({
        project: 'p',
        homeRegion: 'eu-central-1',
        regions: ['eu-central-1'],
        notify: {
          webhooks: [
            { name: 'itsm', format: 'generic', url: `${rx.url}/itsm`, headers: { authorization: { secret: 'itsm' } } },
          ],
        },
        checks: [{ id: 'a', kind: 'http', url: 'https://shop.example.com/' }],
      });
      const incident = testIncident(config, 'critical', '2026-03-01T16:00:00.000Z');
      const { requests } = await webhookRequests(incident, config.notify.webhooks!, async () => `Bearer ${hookToken}`);
      const lines: string[] = [];
      const write = process.stderr.write;
      process.stderr.write = ((chunk: string) =>
        lines.push(String(chunk)) > 0) as unknown as typeof process.stderr.write;
      let outcomes: Awaited<ReturnType<typeof deliverWebhooks>>;
      try {
        outcomes = await deliverWebhooks(requests, {
          dispatcher: rx.agent,
          retries: 0,
          log: jsonLog({ service: 'notifier' }),
        });
      } finally {
        process.stderr.write = write;
      }
      expect(rx.requests[0]!.headers.authorization).toBe(`Bearer ${hookToken}`);
      expect(outcomes[0]).toMatchObject({ ok: false, status: 400 });
      expect(lines.join('')).toContain('webhook not delivered');
      const text = JSON.stringify(outcomes) + lines.join('');
      for (const form of encodings(hookToken)) expect(text).not.toContain(form);
      expect(text).toContain('***');
    } finally {
      await rx.close();
    }
  });
});
