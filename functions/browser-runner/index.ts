/**
 * The browser runner Lambda (one per region with browser checks): runs one browser check per
 * invocation in `@sparticuz/chromium` and returns the run's facts to the runner that invoked it
 * (shared/probes/browser/remote.ts). It reads no config, table or secret of its own: the runner
 * sends the check with its secrets resolved and says which values are secret, so they are
 * scrubbed from everything kept (screenshots mask the fields, traces are redacted).
 *
 * Chromium's files (brotli-packed in the bundle's `chromium/`) are unpacked into /tmp on the
 * first run of a container; every run's profile and temp files are removed after it.
 */
import type { Context } from 'aws-lambda';
import { addSecret, redact } from '../../shared/redact';
import { runJourney } from '../../shared/probes/browser/run';
import type { BrowserRunRequest } from '../../shared/probes/browser/remote';
import type { BrowserFacts } from '../../shared/probes/browser/outcome';

/** Time kept back from the Lambda deadline to answer the runner (and keep the artifacts). */
const ANSWER_MARGIN_MS = 5_000;

export async function handler(event: BrowserRunRequest, context?: Context): Promise<BrowserFacts> {
  for (const v of event.secrets ?? []) addSecret(v);
  const left = (context?.getRemainingTimeInMillis() ?? event.timeoutMs + ANSWER_MARGIN_MS) - ANSWER_MARGIN_MS;
  const timeoutMs = Math.max(1_000, Math.min(event.timeoutMs, left));
  const facts = await runJourney(event.check, {
    signal: AbortSignal.timeout(timeoutMs),
    timeoutMs,
    region: event.region,
  });
  return redact(facts, event.secrets);
}
