/**
 * One attempt of a `multistep` check: each step is one request through the `http` kind's own
 * machinery (runHttp: connections, redirects, TLS, body cap, error codes, phase timings), its
 * assertions evaluated by the one shared evaluator, values extracted for later steps. The first
 * failing step stops the flow and names the result's error.
 */
import { evaluateAssertions } from '../../assertions/evaluate';
import type { ValidatedMultistepCheck } from './index';
import type { AssertionResult, CheckError } from '../../types';
import { displayUrl } from '../http/display-url';
import { now, round } from '../net';
import { runHttp } from '../http/run';
import type { HttpCheck, ValidatedHttpCheck } from '../http';
import type { Observations, ProbeContext, ProbeOutcome } from '../types';
import { CookieJar } from './cookies';
import { fillJson, fillString, TemplateError, type TemplateScope } from './template';

export interface StepDetail {
  name: string;
  status: 'pass' | 'fail' | 'skipped';
  method?: string;
  /** The URL requested (templates filled, no user info, no query values). */
  url?: string;
  statusCode?: number;
  durationMs?: number;
  assertions?: AssertionResult[];
  /** Names of the variables it extracted (not their values). */
  extracted?: string[];
  error?: CheckError;
}

/** The step's request with templates filled, as a complete http check for runHttp. */
/** A validated step: its request's defaults set, assertions and extract too. */
type Step = ValidatedMultistepCheck['steps'][number];

function httpCheckFor(
  check: ValidatedMultistepCheck,
  step: Step,
  scope: TemplateScope,
  jar: CookieJar | undefined,
): { http: ValidatedHttpCheck; url: URL } {
  const req = step.request;
  const urlText = fillString(req.url, scope);
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    throw new TemplateError({
      code: 'ASSERTION',
      message: `the URL "${urlText.slice(0, 200)}" is not valid once its {{…}} are filled`,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TemplateError({
      code: 'ASSERTION',
      message: `the URL "${urlText.slice(0, 200)}" is not http or https once its {{…}} are filled`,
    });
  const headers: Record<string, string> = {};
  // Secret references were resolved by the runner before the probe ran.
  for (const [k, v] of Object.entries(req.headers)) headers[k] = fillString(String(v), scope);
  const query: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.query)) query[k] = fillString(String(v), scope);
  const cookie = jar?.header(url.host);
  if (cookie && !Object.keys(headers).some((k) => k.toLowerCase() === 'cookie')) headers.cookie = cookie;
  const body =
    req.body === undefined
      ? undefined
      : typeof req.body === 'string'
        ? fillString(req.body, scope)
        : (fillJson(req.body, scope) as HttpCheck['body']);
  const http = {
    id: check.id,
    kind: 'http',
    name: `${check.name} / ${step.name}`,
    frequency: check.frequency,
    timeout: check.timeout,
    retries: 0,
    regions: check.regions,
    severity: check.severity,
    tags: check.tags,
    enabled: true,
    assertions: [],
    url: url.href,
    method: req.method,
    headers,
    query,
    ...(req.auth !== undefined ? { auth: req.auth } : {}),
    ...(body !== undefined ? { body } : {}),
    followRedirects: req.followRedirects,
    maxRedirects: req.maxRedirects,
    ...(req.tls !== undefined ? { tls: req.tls } : {}),
    maxBodyBytes: req.maxBodyBytes,
  } as ValidatedHttpCheck;
  return { http, url };
}

export async function runMultistep(check: ValidatedMultistepCheck, ctx: ProbeContext): Promise<ProbeOutcome> {
  const t0 = now();
  const timings: Record<string, number> = {};
  const steps: StepDetail[] = check.steps.map((s) => ({ name: s.name, status: 'skipped' }));
  const scope = { steps: new Map<string, Observations>(), vars: {} as Record<string, unknown> };
  const jar = check.cookies === false ? undefined : new CookieJar();
  let error: CheckError | undefined;

  for (let i = 0; i < check.steps.length && !error; i++) {
    const step = check.steps[i]!;
    const detail = steps[i]!;
    const label = `step ${i + 1} "${step.name}"`;
    const failStep = (e: CheckError) => {
      detail.status = 'fail';
      detail.error = e;
      error = { code: e.code, message: `${label}: ${e.message}` };
    };
    if (ctx.signal.aborted) {
      failStep({ code: 'TIMEOUT', message: `not started: the check's timeout of ${ctx.timeoutMs}ms was reached` });
      break;
    }
    const started = now();
    let prepared: ReturnType<typeof httpCheckFor>;
    try {
      prepared = httpCheckFor(check, step, scope, jar);
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      failStep(e.check);
      break;
    }
    detail.method = prepared.http.method;
    detail.url = displayUrl(prepared.url);

    const outcome = await runHttp(prepared.http, ctx);
    for (const [k, v] of Object.entries(outcome.timings)) timings[`${step.name}.${k}`] = v;
    detail.durationMs = outcome.timings.total ?? round(now() - started);
    if (typeof outcome.details?.statusCode === 'number') detail.statusCode = outcome.details.statusCode;
    if (outcome.error || !outcome.observations) {
      failStep(outcome.error ?? { code: 'INTERNAL', message: 'the http request observed nothing' });
      break;
    }
    const obs = outcome.observations;

    // The one evaluator, on this step's observations.
    const evaluated = evaluateAssertions(step.assertions, obs);
    detail.assertions = evaluated.results;
    if (evaluated.error) {
      failStep(evaluated.error);
      break;
    }

    for (const [name, spec] of Object.entries(step.extract)) {
      const { path, secret } = typeof spec === 'string' ? { path: spec, secret: false } : spec;
      const r = obs.read('json', path);
      if (r.error) {
        failStep({ code: r.error.code, message: `cannot extract "${name}": ${r.error.message}` });
        break;
      }
      if (r.value === undefined) {
        failStep({ code: 'ASSERTION', message: `cannot extract "${name}": the response has nothing at ${path}` });
        break;
      }
      // Before any later step can put it in a URL or header: from now on this run scrubs it.
      if (secret) ctx.secret?.(typeof r.value === 'string' ? r.value : JSON.stringify(r.value));
      scope.vars[name] = r.value;
      (detail.extracted ??= []).push(name);
    }
    if (error) break;

    if (jar) {
      const setCookie = obs.read('header', 'set-cookie').value;
      // Cookies of the host that answered (after redirects) — the final URL is in details.
      const finalUrl = typeof outcome.details?.finalUrl === 'string' ? outcome.details.finalUrl : prepared.url.href;
      jar.store(new URL(finalUrl).host, typeof setCookie === 'string' ? setCookie : undefined);
    }
    scope.steps.set(step.name, obs);
    detail.status = 'pass';
  }

  const total = round(now() - t0);
  timings.total = total;
  const failedAt = steps.findIndex((s) => s.status === 'fail');
  const details: Record<string, unknown> = { steps };
  if (failedAt >= 0) details.failedStep = steps[failedAt]!.name;
  if (error) return { error, timings, details };
  const observations: Observations = {
    read: (source) => (source === 'latency' ? { value: total } : {}),
  };
  return { timings, latencyMs: total, details, observations };
}
