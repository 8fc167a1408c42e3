/** The declarative steps: what each does, how it is named in results, and how long it may wait. */
import type { Page } from 'playwright-core';
import { displayUrl } from '../http/display-url';
import { ms } from '../../duration';
import type { BrowserStep } from './types';

/** Wait per step unless the step sets `timeout`. */
export const STEP_TIMEOUT_MS = 5_000;

/** The step's action and its argument, for results: `click "#add"`, `goto https://shop/…`. */
export function describeStep(step: BrowserStep): string {
  if ('goto' in step) return `goto ${displayUrl(step.goto)}`;
  if ('fill' in step) return `fill ${JSON.stringify(step.fill.selector)}`;
  const [action, arg] = Object.entries(step).find(([k]) => k !== 'timeout')!;
  return `${action} ${JSON.stringify(arg)}`;
}

/** A step that did not do what it says within its wait: a failed step, not a broken browser. */
export class StepFailed extends Error {
  constructor(
    message: string,
    readonly code: 'STEP' | 'HTTP_STATUS' = 'STEP',
  ) {
    super(message);
    this.name = 'StepFailed';
  }
}

/** `/regex/flags` or a substring. */
export function urlMatcher(pattern: string): (url: URL) => boolean {
  const re = /^\/(.+)\/([a-z]*)$/.exec(pattern);
  if (re) {
    const rx = new RegExp(re[1]!, re[2]);
    return (u) => rx.test(u.href);
  }
  return (u) => u.href.includes(pattern);
}

const within = (t: number) => `within ${t >= 1000 ? `${Math.round(t / 100) / 10}s` : `${t}ms`}`;

/**
 * Runs one step. Returns the main document's HTTP status for `goto`, a screenshot name for
 * `screenshot`. Throws {@link StepFailed} when the page does not do what the step expects in time.
 */
export async function runStep(
  page: Page,
  step: BrowserStep,
  waitMs: number,
  shoot: (name: string) => Promise<void>,
): Promise<{ status?: number }> {
  const t = step.timeout ? Math.min(ms(step.timeout), waitMs) : Math.min(STEP_TIMEOUT_MS, waitMs);
  const timedOut = (e: unknown) => (e as Error)?.name === 'TimeoutError';
  try {
    if ('goto' in step) {
      const res = await page.goto(step.goto, { waitUntil: 'load', timeout: waitMs });
      return { status: res?.status() };
    }
    if ('click' in step) await page.locator(step.click).first().click({ timeout: t });
    else if ('fill' in step)
      await page.locator(step.fill.selector).first().fill(String(step.fill.value), { timeout: t });
    else if ('press' in step) await page.keyboard.press(step.press);
    else if ('waitFor' in step) await page.locator(step.waitFor).first().waitFor({ state: 'visible', timeout: t });
    else if ('expectText' in step) {
      await page
        .getByText(step.expectText)
        .first()
        .waitFor({ state: 'visible', timeout: t })
        .catch((e) => {
          throw timedOut(e) ? new StepFailed(`not found ${within(t)}`) : e;
        });
    } else if ('expectUrl' in step) {
      await page.waitForURL(urlMatcher(step.expectUrl), { timeout: t, waitUntil: 'commit' }).catch((e) => {
        throw timedOut(e) ? new StepFailed(`the URL is ${displayUrl(page.url())}, not matching ${within(t)}`) : e;
      });
    } else if ('screenshot' in step) await shoot(step.screenshot);
    return {};
  } catch (e) {
    if (e instanceof StepFailed) throw e;
    if (timedOut(e)) {
      const what = 'goto' in step ? 'the page did not load' : 'waitFor' in step ? 'not visible' : 'not found';
      throw new StepFailed(`${what} ${within('goto' in step ? waitMs : t)}`);
    }
    throw e;
  }
}
