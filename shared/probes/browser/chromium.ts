/**
 * Which Chromium a browser check runs, and how it is started. Locally: Debian's chromium (or
 * `WATCHPOST_CHROMIUM`); in AWS Lambda: `@sparticuz/chromium`, whose package ships the binary
 * (unpacked into /tmp on first use). Every run gets a fresh profile folder that is removed after
 * it, crash or not: Chromium leaves profiles and crash dumps behind, and Lambda's /tmp fills up.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Environment variable naming the Chromium (or Chrome) binary to run. */
export const CHROMIUM_ENV = 'WATCHPOST_CHROMIUM';
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/chrome'];

/** Flags for a headless Chromium that makes no connection of its own (updates, sync, safe browsing). */
export const QUIET_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
  '--disable-quic',
  '--no-first-run',
  '--no-default-browser-check',
  '--metrics-recording-only',
  '--mute-audio',
];

/** Where the browser runner's bundle keeps @sparticuz/chromium's packed files (infra/browser-runner.ts). */
export const LAMBDA_CHROMIUM_DIR = 'chromium';

const inLambda = () => Boolean(process.env.AWS_LAMBDA_FUNCTION_NAME);

/** The Chromium to start and its extra flags; a clear error when there is none. */
export async function chromiumBinary(): Promise<{ executablePath: string; args: string[] }> {
  const chosen = process.env[CHROMIUM_ENV];
  if (chosen) {
    if (!existsSync(chosen)) throw new BrowserSetupError(`${CHROMIUM_ENV}=${chosen}: no such file`);
    return { executablePath: chosen, args: [] };
  }
  if (inLambda()) {
    // Imported only here: the package unpacks a 60 MB binary on first use.
    const { default: sparticuz } = await import('@sparticuz/chromium');
    sparticuz.setGraphicsMode = false;
    const packed = join(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), LAMBDA_CHROMIUM_DIR);
    return { executablePath: await sparticuz.executablePath(packed), args: sparticuz.args };
  }
  const found = CANDIDATES.find((p) => existsSync(p));
  if (!found)
    throw new BrowserSetupError(
      `no Chromium found (looked for ${CANDIDATES.join(', ')})`,
      `install Debian's chromium (apt-get install chromium) or set ${CHROMIUM_ENV} to a Chromium binary`,
    );
  return { executablePath: found, args: [] };
}

/** Chromium is missing or cannot start: the check fails as INTERNAL-free `BROWSER`, with a hint. */
export class BrowserSetupError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(hint ? `${message} — hint: ${hint}` : message);
    this.name = 'BrowserSetupError';
  }
}

/** A fresh folder for one run's profile, traces and temp files. */
export async function runFolder(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'watchpost-browser-'));
}

/**
 * Removes a run's folder and anything Chromium left in the temp folder from earlier runs that
 * crashed (profiles and core dumps named by Chromium or Playwright).
 */
export async function cleanUp(folder: string): Promise<void> {
  // Chromium may still be writing its profile as it exits (ENOTEMPTY): retried, and never a failure of the run.
  await rm(folder, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }).catch(() => undefined);
  if (!inLambda()) return;
  const dir = tmpdir();
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(
    names
      .filter((n) => /^(playwright[_-]|\.org\.chromium\.|core\.|watchpost-browser-)/.test(n))
      .map((n) => rm(join(dir, n), { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined)),
  );
}
