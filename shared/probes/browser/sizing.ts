/**
 * The browser runner's size and a run's billed time, measured (bench/browser.ts, docs/kinds/browser.md):
 * the CDK app deploys with these and `watchpost cost` prices browser runs with the same figures.
 */
export const BROWSER_RUNNER = {
  memoryMb: 2048,
  ephemeralMb: 1024,
  architecture: 'x86_64',
  /** Billed seconds of one journey of a few steps, Chromium start included (bench: 4–6 s). */
  runSeconds: 6,
} as const;

/** Lambda's x86_64 price per GB-s over arm64's (0.0000166667 / 0.0000133334 in us-east-1). */
export const X86_OVER_ARM = 1.25;
