// One probe run that also reads how long the bench target really held the request.
import { runCheck } from '../shared/runner/run-check';
import { envSecrets } from '../shared/secrets';
import type { ValidatedCheck } from '../shared/config/types';

export async function ttfbAndHeld(check: ValidatedCheck): Promise<{ ttfb: number; held: number }> {
  const r = await runCheck(
    { ...check, assertions: [{ source: 'header', property: 'x-server-delay-ms', comparison: 'exists' }] },
    { region: 'local', secrets: envSecrets },
  );
  return { ttfb: r.timings.ttfb ?? NaN, held: Number(r.assertions[0]?.actual) };
}
