/**
 * One browser run: a fresh Chromium and profile, the journey (steps or script), web vitals per
 * navigation, console errors and failed requests counted, and on failure a masked screenshot and
 * a redacted trace. In AWS the runner hands due browser checks to the region's browser runner
 * Lambda (shared/probes/browser/remote.ts); everything else is the same code.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { redactText } from '../../redact';
import type { CheckError } from '../../types';
import { displayUrl } from '../http/display-url';
import type { ProbeContext, ProbeOutcome } from '../types';
import { keepArtifacts, redactTraceZip, runKey } from './artifacts';
import { BrowserSetupError, chromiumBinary, cleanUp, QUIET_FLAGS, runFolder } from './chromium';
import type { ValidatedBrowserCheck } from './index';
import { outcomeFrom, type BrowserFacts } from './outcome';
import { invokeBrowserRunner, runsRemotely, secretValues } from './remote';
import { runScript, ScriptError } from './script';
import { describeStep, runStep, StepFailed } from './steps';
import { READ_VITALS, VITALS_INIT_SCRIPT, type Vitals } from './vitals';

/** Chrome's network errors, in the words every kind uses (README "Error codes"). */
const NET_CODES: Array<[RegExp, CheckError['code']]> = [
  [/ERR_NAME_NOT_RESOLVED|ERR_NAME_RESOLUTION_FAILED/, 'DNS'],
  [/ERR_CONNECTION_REFUSED/, 'CONNECT_REFUSED'],
  [/ERR_CONNECTION_TIMED_OUT|ERR_TIMED_OUT/, 'CONNECT_TIMEOUT'],
  [/ERR_CERT_|ERR_SSL_|ERR_BAD_SSL/, 'TLS'],
  [/ERR_CONNECTION_RESET|ERR_CONNECTION_CLOSED|ERR_EMPTY_RESPONSE/, 'RESET'],
  [/net::ERR_/, 'NETWORK'],
];

export async function runBrowser(check: ValidatedBrowserCheck, ctx: ProbeContext): Promise<ProbeOutcome> {
  if (runsRemotely()) return invokeBrowserRunner(check, ctx);
  return outcomeFrom(check, await runJourney(check, ctx));
}

/**
 * Runs the journey in a local Chromium and returns plain facts (serialisable: the browser Lambda
 * returns them). At the check's timeout it answers at once with the step it was in; closing the
 * browser and removing its files go on behind.
 */
export function runJourney(check: ValidatedBrowserCheck, ctx: ProbeContext): Promise<BrowserFacts> {
  const started = performance.now();
  const facts: BrowserFacts = { steps: [], navigations: [], consoleErrors: [], failedRequests: [], artifacts: [] };
  const progress = { current: 'launching Chromium', stepStarted: started };
  const work = journey(check, ctx, facts, progress, started);
  const timedOut = new Promise<BrowserFacts>((resolve) => {
    const onAbort = () => {
      const steps = [...facts.steps];
      if (progress.current.startsWith('step ') && steps.length < (check.steps?.length ?? Infinity))
        steps.push({
          name: progress.current.replace(/^step \d+ /, ''),
          ms: Math.round(performance.now() - progress.stepStarted),
        });
      resolve({
        ...facts,
        steps,
        error: {
          code: 'TIMEOUT',
          message: `${progress.current}: did not finish within the check's timeout ${check.timeout}`,
        },
        totalMs: Math.round(performance.now() - started),
      });
    };
    if (ctx.signal.aborted) onAbort();
    else ctx.signal.addEventListener('abort', onAbort, { once: true });
    // Once the journey is over, however it ended (a rejection is the race's to report, not this chain's).
    work.then(
      () => ctx.signal.removeEventListener('abort', onAbort),
      () => ctx.signal.removeEventListener('abort', onAbort),
    );
  });
  return Promise.race([work, timedOut]);
}

async function journey(
  check: ValidatedBrowserCheck,
  ctx: ProbeContext,
  facts: BrowserFacts,
  progress: { current: string; stepStarted: number },
  started: number,
): Promise<BrowserFacts> {
  const deadline = Date.now() + ctx.timeoutMs;
  const folder = await runFolder();
  let context: BrowserContext | undefined;
  const stop = () => void context?.close().catch(() => undefined);
  ctx.signal.addEventListener('abort', stop, { once: true });
  // The figures of each document the journey saw (a click may navigate too).
  const docs = new Map<number, Vitals>();
  try {
    const bin = await chromiumBinary();
    // Loaded on the first browser run only: the runner Lambda never loads it (it invokes the browser runner).
    const { chromium } = await import('playwright-core');
    context = await chromium.launchPersistentContext(join(folder, 'profile'), {
      executablePath: bin.executablePath,
      args: [...QUIET_FLAGS, ...bin.args],
      headless: true,
      // watchpost dev stops on Ctrl-C itself (aborting the run closes the browser): Playwright's own
      // handlers would exit the process with 130 before results are stored.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      viewport: check.viewport,
      timeout: Math.max(1, deadline - Date.now()),
      tracesDir: folder,
      downloadsPath: folder,
    });
    facts.timings = { launch: Math.round(performance.now() - started) };
    if (check.artifacts) await context.tracing.start({ screenshots: false, snapshots: true, sources: false });
    await context.addInitScript(VITALS_INIT_SCRIPT);
    const page = context.pages()[0] ?? (await context.newPage());
    watchPage(page, facts);
    const filled = new Set<string>(['input[type=password]']);
    const shoot = async (name: string) => {
      facts.shots ??= {};
      facts.shots[`${name}.png`] = await screenshot(page, filled, secretValues(check));
    };
    let doc = 0;
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) doc++;
    });
    const readVitals = async () => {
      await page.evaluate(TWO_FRAMES);
      docs.set(doc, (await page.evaluate(READ_VITALS)) as Vitals);
    };
    const timed = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
      progress.current = `step ${facts.steps.length + 1} ${label}`;
      const t0 = performance.now();
      progress.stepStarted = t0;
      let ok = false;
      try {
        const value = await fn();
        ok = true;
        return value;
      } finally {
        const took = Math.round(performance.now() - t0);
        facts.steps.push({ name: label, ms: took });
        facts.timings![`step${facts.steps.length}`] = took;
        // Between a script's steps, a failure is the script's; inside one it stays the step's.
        if (ok && check.script) progress.current = 'script';
        await readVitals().catch(() => undefined);
      }
    };
    if (check.steps) {
      for (const step of check.steps) {
        if ('fill' in step) filled.add(step.fill.selector);
        const res = await timed(describeStep(step), () =>
          runStep(page, step, Math.max(1, deadline - Date.now()), shoot),
        );
        if (res.status !== undefined && res.status >= 400)
          throw new StepFailed(`the page answered HTTP ${res.status}`, 'HTTP_STATUS');
      }
    } else {
      await runScript(check, page, context, (name, fn) => timed(JSON.stringify(name), fn));
    }
    progress.current = 'reading the page';
    facts.title = await page.title();
    facts.url = displayUrl(page.url());
  } catch (e) {
    facts.error = classify(e, progress.current, ctx, check);
    if (context && check.artifacts && !ctx.signal.aborted) await keepFailure(check, ctx, context, facts);
  } finally {
    facts.navigations = [...docs.values()].filter((v) => v.ttfb !== undefined || v.fcp !== undefined);
    ctx.signal.removeEventListener('abort', stop);
    await context?.close().catch(() => undefined);
    await cleanUp(folder);
  }
  if (facts.shots && !ctx.signal.aborted) await keep(check, ctx, facts, facts.shots);
  delete facts.shots;
  facts.totalMs = Math.round(performance.now() - started);
  return facts;
}

function watchPage(page: Page, facts: BrowserFacts) {
  // A resource that fails to load is also a console error in Chrome: it counts once, as a failed request.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
      facts.consoleErrors.push(redactText(m.text()).slice(0, 300));
  });
  page.on('pageerror', (e) => facts.consoleErrors.push(redactText(`${e.name}: ${e.message}`).slice(0, 300)));
  // A missing favicon is noise, not a broken page.
  const counted = (url: string) => !/\/favicon\.ico(\?|$)/.test(url);
  page.on('requestfailed', (r) => {
    if (counted(r.url())) facts.failedRequests.push(`${displayUrl(r.url())} ${r.failure()?.errorText ?? ''}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && counted(r.url())) facts.failedRequests.push(`${displayUrl(r.url())} HTTP ${r.status()}`);
  });
}

const MASKED = 'data-watchpost-masked';
/** Lets pending paints (and their LCP entries) happen before the figures are read. */
const TWO_FRAMES = 'new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))';

/**
 * A screenshot with every filled field, every password field and every field holding a secret
 * (a script's `secrets`) masked.
 */
async function screenshot(page: Page, filled: Set<string>, secrets: string[]): Promise<Uint8Array> {
  // In the page (no DOM types here): mark the fields whose value holds a secret.
  const mark = `for (const el of document.querySelectorAll('input, textarea'))
    if (${JSON.stringify(secrets)}.some((v) => el.value.includes(v))) el.setAttribute(${JSON.stringify(MASKED)}, '')`;
  if (secrets.length) await page.evaluate(mark).catch(() => undefined);
  const mask = [...filled, `[${MASKED}]`].map((sel) => page.locator(sel));
  return page.screenshot({ mask, maskColor: '#5b6470', timeout: 5_000, animations: 'disabled' });
}

async function keepFailure(
  check: ValidatedBrowserCheck,
  ctx: ProbeContext,
  context: BrowserContext,
  facts: BrowserFacts,
) {
  const files: Record<string, Uint8Array> = {};
  const page = context.pages()[0];
  if (page) {
    const filled = new Set<string>(['input[type=password]']);
    for (const st of check.steps ?? []) if ('fill' in st) filled.add(st.fill.selector);
    const shot = await screenshot(page, filled, secretValues(check)).catch(() => undefined);
    if (shot) files['failure.png'] = shot;
  }
  const tracePath = join(await runFolder(), 'trace.zip');
  try {
    await context.tracing.stop({ path: tracePath });
    files['trace.zip'] = redactTraceZip(await readFile(tracePath), secretValues(check));
  } catch {
    /* no trace: the screenshot still tells */
  } finally {
    await cleanUp(join(tracePath, '..'));
  }
  await keep(check, ctx, facts, files);
}

async function keep(
  check: ValidatedBrowserCheck,
  ctx: ProbeContext,
  facts: BrowserFacts,
  files: Record<string, Uint8Array>,
) {
  if (!Object.keys(files).length) return;
  const r = await keepArtifacts(runKey(check.id, ctx.region), files);
  facts.artifacts.push(...r.kept);
  if (r.error) facts.artifactError = r.error;
}

/** What went wrong, named by the step: a failed step, a script error, Chrome's network error, the deadline. */
function classify(e: unknown, current: string, ctx: ProbeContext, check: ValidatedBrowserCheck): CheckError {
  const msg = redactText(e instanceof Error ? e.message : String(e))
    .split('\n')[0]!
    .replace(/^\w+\.\w+: /, '');
  if (ctx.signal.aborted)
    return { code: 'TIMEOUT', message: `${current}: did not finish within the check's timeout ${check.timeout}` };
  if (e instanceof BrowserSetupError) return { code: 'BROWSER', message: e.message };
  if (e instanceof StepFailed) return { code: e.code, message: `${current}: ${e.message}` };
  if (e instanceof ScriptError) {
    const where = `${current.startsWith('step ') ? `${current}: ` : ''}${e.location}`;
    // A Playwright wait or navigation that failed inside a script is the page's failure, not the script's.
    const net = NET_CODES.find(([re]) => re.test(msg));
    if (net) return { code: net[1], message: `${where}: ${msg}` };
    return { code: e.timedOut ? 'STEP' : 'SCRIPT', message: `${where}: ${msg}` };
  }
  for (const [re, code] of NET_CODES) if (re.test(msg)) return { code, message: `${current}: ${msg}` };
  if (/Target (page, context or browser )?(has been )?closed|Browser closed|crash/i.test(msg))
    return {
      code: 'INTERNAL',
      message: `${current}: the browser crashed or closed (${msg}); the next run starts a fresh one`,
    };
  return { code: 'STEP', message: `${current}: ${msg}` };
}
