/** Shared bits of the benchmarks: figures, a loopback target in its own process, percentiles. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** One line of the bench table: watchpost's figure beside a baseline from the same run and the target. */
export interface Figure {
  name: string;
  value: string;
  baseline?: string;
  target?: string;
  /** true/false when the figure can be judged against its target. */
  ok?: boolean;
}

export const percentile = (xs: number[], p: number): number => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};
export const median = (xs: number[]) => percentile(xs, 50);
export const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export interface Target {
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts the loopback HTTP target in a child process, so the prober's event loop and CPU are
 * not shared with the server (on two cores: one each). `delayMs` delays the response headers.
 */
export async function startTarget(delayMs = 0): Promise<Target> {
  const child = fork(fileURLToPath(new URL('./target-server.ts', import.meta.url)), [String(delayMs)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`bench target exited with ${code}`)));
  });
  return {
    port,
    child,
    stop: () =>
      new Promise<void>((r) => {
        child.once('exit', () => r());
        child.kill();
      }),
  };
}
