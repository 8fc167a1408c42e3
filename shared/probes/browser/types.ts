import type { BrowserContext, Page } from 'playwright-core';
import type { CheckCommon } from '../../config/types';
import type { Duration } from '../../duration';
import type { MaybeSecret } from '../../types';

/** Options every step may carry. */
interface StepOptions {
  /** How long this step may wait (for a selector, text or URL). @default "5s" */
  timeout?: Duration;
}

/**
 * One step of a browser journey: exactly one action. Selectors are Playwright selectors
 * (`#add`, `text=Add to cart`, `role=button[name="Checkout"]`, `data-testid=cart`).
 * Values typed into fields may be secret references; every filled field is masked in screenshots.
 */
export type BrowserStep = StepOptions &
  (
    | { /** Opens a URL (absolute http/https). */ goto: string }
    | { /** Clicks the element. */ click: string }
    | { /** Types a value into a field (cleared first). */ fill: { selector: string; value: MaybeSecret } }
    | { /** Presses a key, e.g. `Enter`, `Tab`, `Control+A`. */ press: string }
    | { /** Waits until the element is visible. */ waitFor: string }
    | { /** Waits until the page shows this text. */ expectText: string }
    | { /** Waits until the URL matches: a substring, or `/regex/`. */ expectUrl: string }
    | { /** Saves a screenshot under this name (kept as an artifact). */ screenshot: string }
  );

/** What a journey script receives. */
export interface BrowserScriptContext {
  /** A fresh page in a fresh browser context. */
  page: Page;
  context: BrowserContext;
  /** The check's `secrets` resolved: name → value (scrubbed from the result, masked in artifacts). */
  secrets: Record<string, string>;
  /** The check's `vars`. */
  vars: Record<string, string>;
  /** Names a step so a failure and the timings say where it happened: `await step('add to cart', async () => …)`. */
  step<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

/**
 * A journey script: `export default (async ({ page }) => { … }) satisfies BrowserScript`.
 * Throwing (or a failing Playwright wait) fails the run with the script's file:line.
 */
export type BrowserScript = (ctx: BrowserScriptContext) => Promise<void>;

/**
 * A browser check: a real Chromium walks a journey (declarative `steps`, or a `script`) and
 * measures what a customer sees: each step's time, and per navigation TTFB, FCP, LCP, CLS, TBT.
 * @example
 * { id: 'shop-cart-ui', kind: 'browser', timeout: '30s', steps: [
 *   { goto: 'https://shop.example.com/' }, { click: 'text=Add to cart' }, { expectText: 'Cart (1)' } ] }
 * @example
 * { id: 'checkout-ui', kind: 'browser', script: './checks/checkout.ts', secrets: { password: { secret: 'shop-pw' } } }
 */
export interface BrowserCheck extends CheckCommon {
  kind: 'browser';
  /** The journey, in order. Give `steps` or `script`. */
  steps?: BrowserStep[];
  /** A journey script (path relative to the config file) whose default export is a {@link BrowserScript}. */
  script?: string;
  /** Values a script reads as `secrets.<name>`. @default {} */
  secrets?: Record<string, MaybeSecret>;
  /** Plain values a script reads as `vars.<name>`. @default {} */
  vars?: Record<string, string>;
  /** Viewport in CSS pixels. @default { width: 1280, height: 800 } */
  viewport?: { width: number; height: number };
  /** A run whose slowest Largest Contentful Paint is above this is `degraded` (LCP_SLOW). @default "2.5s" */
  lcpAfter?: Duration;
  /** Keep a screenshot and a trace when a run fails. @default true */
  artifacts?: boolean;
}

declare module '../../config/types' {
  interface CheckKinds {
    browser: BrowserCheck;
  }
}
