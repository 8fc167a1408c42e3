/**
 * In AWS, the runner does not start Chromium itself: it hands each due browser check to the
 * region's browser runner Lambda (functions/browser-runner), at most
 * `WATCHPOST_BROWSER_CONCURRENCY` at once, and turns the facts it returns into the outcome.
 * The payload carries the check with its secrets resolved (read by the runner, as for every
 * kind) and which values are secret, so the browser runner redacts traces and needs no grants.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { awsClient } from '../../aws-clients';
import { redactText } from '../../redact';
import type { ProbeContext, ProbeOutcome } from '../types';
import type { ValidatedBrowserCheck } from './index';
import { outcomeFrom, type BrowserFacts } from './outcome';

/** The browser runner's function name; set on the runner by the CDK app when the region has browser checks. */
export const BROWSER_FUNCTION_ENV = 'WATCHPOST_BROWSER_FUNCTION';
export const BROWSER_CONCURRENCY_ENV = 'WATCHPOST_BROWSER_CONCURRENCY';

export const runsRemotely = (): boolean => Boolean(process.env[BROWSER_FUNCTION_ENV]);

/** What the runner sends the browser runner. */
export interface BrowserRunRequest {
  check: ValidatedBrowserCheck;
  region: string;
  timeoutMs: number;
  /** Values to scrub from everything the run keeps (the check's resolved secrets and typed values). */
  secrets: string[];
}

let lambda: LambdaClient | undefined;
let running = 0;
const waiting: Array<() => void> = [];

async function slot(): Promise<() => void> {
  const limit = Math.max(1, Number(process.env[BROWSER_CONCURRENCY_ENV] ?? 10) || 10);
  if (running >= limit) await new Promise<void>((r) => waiting.push(r));
  running++;
  return () => {
    running--;
    waiting.shift()?.();
  };
}

/** The values of a resolved check that came from secrets or are typed into fields. */
export function secretValues(check: ValidatedBrowserCheck): string[] {
  const out = Object.values(check.secrets ?? {}).filter((v): v is string => typeof v === 'string');
  for (const st of check.steps ?? []) if ('fill' in st && typeof st.fill.value === 'string') out.push(st.fill.value);
  return out.filter((v) => v.length >= 4);
}

export async function invokeBrowserRunner(check: ValidatedBrowserCheck, ctx: ProbeContext): Promise<ProbeOutcome> {
  const release = await slot();
  try {
    // The invoke waits as long as the run may take; the signal ends it at the check's deadline.
    lambda ??= awsClient(LambdaClient, { requestTimeoutMs: 15 * 60_000 });
    const request: BrowserRunRequest = {
      check,
      region: ctx.region,
      timeoutMs: ctx.timeoutMs,
      secrets: secretValues(check),
    };
    const res = await lambda.send(
      new InvokeCommand({ FunctionName: process.env[BROWSER_FUNCTION_ENV], Payload: JSON.stringify(request) }),
      { abortSignal: ctx.signal },
    );
    const text = res.Payload ? Buffer.from(res.Payload).toString('utf8') : '';
    if (res.FunctionError) {
      const why = (JSON.parse(text || '{}') as { errorMessage?: string }).errorMessage ?? res.FunctionError;
      return failed('INTERNAL', `the browser runner failed: ${redactText(why)}; the next run starts a fresh browser`);
    }
    return outcomeFrom(check, JSON.parse(text) as BrowserFacts);
  } catch (e) {
    if (ctx.signal.aborted) return failed('TIMEOUT', `the browser run did not finish within ${ctx.timeoutMs}ms`);
    return failed('INTERNAL', `cannot reach the browser runner: ${redactText((e as Error).message)}`);
  } finally {
    release();
  }
}

const failed = (code: string, message: string): ProbeOutcome => ({ error: { code, message }, timings: {} });
