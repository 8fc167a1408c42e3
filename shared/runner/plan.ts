/**
 * How many runner invocations a region needs each minute, with how much memory and for how long:
 * one plan read by the CDK app (schedules, memory, timeout), the runner (its shard's timetable)
 * and `watchpost cost` (Lambda time). Deterministic: the same config gives the same plan.
 *
 * - Shards: a check runs in shard `jumpHash(id, shards)`. A shard holds at most
 *   {@link RUNNER_LIMITS}.maxInFlight runs a minute, all of them in flight at once if need be, so
 *   a target that hangs until its timeout never delays another run: every run of the shard is
 *   over by its latest start + its longest run, well before the Lambda's timeout.
 * - Memory: the smallest that holds the shard's peak memory with headroom and lets it start its
 *   runs within {@link RUNNER_LIMITS}.paceWindowMs at half a CPU's use (Lambda's CPU share
 *   follows memory: 1,769 MB is one vCPU). Lambda bills GB-seconds: past that, memory buys
 *   nothing for a pass that mostly waits. The figures per run are measured by
 *   `npm run bench -- scale` ({@link RUNNER_MEASURED}).
 */
import type { ValidatedCheck, ValidatedConfig } from '../config/types';
import { ms } from '../duration';
import { CHECK_BACKOFF } from './run-check';
import { TAIL_MS } from './budget';
import { SCHEDULE_DEFAULTS, shardOf, timetable } from './schedule';

/** The sizing rules. */
export const RUNNER_LIMITS = {
  /** Runs a shard has in flight at once (and so at most per minute): sockets stay far below Lambda's 1,024 files. */
  maxInFlight: 400,
  /** Shards are sized for this share of maxInFlight on average: hashing is not perfectly even. */
  fill: 0.8,
  /** Shards per region: one EventBridge Scheduler schedule each (64,000 one-minute checks). */
  maxShards: 200,
  /** A shard's starts are paced over at most this (the CPU rule below). */
  paceWindowMs: 20_000,
  /** Share of the shard's CPU its probes may use, so timings are not skewed by a busy event loop. */
  cpuUse: 0.5,
  /** Lambda gives one full vCPU at this memory, a proportional share below. */
  fullCpuMb: 1_769,
  minMemoryMb: 256,
  maxMemoryMb: 3_008,
  /** Peak memory × this is what the function gets. */
  memoryHeadroom: 1.5,
} as const;

/**
 * Per-run figures measured by `npm run bench -- scale` (HTTP checks on loopback, fresh
 * connection each, real shard runner code); re-measure and update them when the runner changes.
 */
export const RUNNER_MEASURED = {
  /** CPU time of one run (probe, assertions, result), ms. */
  cpuMsPerRun: 2,
  /** Resident memory of a runner process before its pass (Node, bundle, SDK clients), MB. */
  baseRssMb: 90,
  /** Extra resident memory per run in flight, MB. */
  rssMbPerRun: 0.3,
} as const;

/** What the expected (not worst) duration of a pass assumes. */
export const PASS_ASSUMPTIONS = {
  /** A healthy run's duration when its timeout is longer (a target a continent away, TLS included), ms. */
  healthyRunMs: 1_000,
  /** Claiming the pass, storing and publishing when AWS answers as usual, ms. */
  tailMs: 400,
} as const;

export interface RegionRunnerPlan {
  region: string;
  /** Enabled checks that run in this region. */
  checks: number;
  /** Runs a minute on average (a 5m check counts 1/5). */
  runsPerMinute: number;
  /** Runs in the busiest minute (every 5m check due at once): what the shards are sized for. */
  peakRunsPerMinute: number;
  /** Runner invocations a minute: one schedule per shard. */
  shards: number;
  /** Equal to `shards` (a duplicated delivery is claimed away in its first milliseconds). */
  invocationsPerMinute: number;
  /** Peak runs of the fullest shard. */
  largestShardRuns: number;
  memoryMb: number;
  /** The runner function's timeout: the latest start + the longest run + the store/publish tail, ≥ 60 s. */
  timeoutSeconds: number;
  /** Concurrency of each pass (runs in flight at once). */
  maxInFlight: number;
  /** Least gap between two starts in a shard (CPU pacing), ms. */
  paceMs: number;
  /** The busiest host's politeness spread, ms. */
  hostSpreadMs: number;
  /** Billed duration of an invocation when every target answers as usual (mean over shards), ms. */
  expectedBilledMsPerInvocation: number;
  /** Billed duration when every target hangs until its timeout (the slowest shard), ms. */
  worstBilledMsPerInvocation: number;
  /** What the figures assume, in words (printed by `watchpost cost`). */
  assumptions: string[];
}

/** A run's longest duration: every attempt to its timeout, with the backoff between attempts. */
export function worstRunMs(check: ValidatedCheck): number {
  let backoff = 0;
  for (let i = 0; i < check.retries; i++)
    backoff += Math.min(CHECK_BACKOFF.capMs, CHECK_BACKOFF.baseMs * CHECK_BACKOFF.factor ** i);
  return ms(check.timeout) * (check.retries + 1) + backoff;
}

const peakRuns = (c: ValidatedCheck) => Math.max(1, Math.round(60_000 / Math.min(60_000, ms(c.frequency))));
const meanRuns = (c: ValidatedCheck) => 60_000 / ms(c.frequency);
const roundUp = (n: number, step: number) => Math.ceil(n / step) * step;

/** Memory for a shard of `runs` runs a minute (the rule in the header). */
export function memoryFor(runs: number): number {
  const L = RUNNER_LIMITS;
  const rss = (RUNNER_MEASURED.baseRssMb + runs * RUNNER_MEASURED.rssMbPerRun) * L.memoryHeadroom;
  const cpu = ((runs * RUNNER_MEASURED.cpuMsPerRun) / (L.cpuUse * L.paceWindowMs)) * L.fullCpuMb;
  return Math.min(L.maxMemoryMb, Math.max(L.minMemoryMb, roundUp(Math.max(rss, cpu), 64)));
}

/** Least gap between starts at `memoryMb` so the probes use at most `cpuUse` of the CPU. */
export const paceFor = (memoryMb: number): number =>
  Math.ceil(
    (RUNNER_MEASURED.cpuMsPerRun / (RUNNER_LIMITS.cpuUse * Math.min(1, memoryMb / RUNNER_LIMITS.fullCpuMb))) * 10,
  ) / 10;

/** Too many checks for one region's runners: a config problem, named. */
export class RunnerPlanError extends Error {}

const plans = new WeakMap<ValidatedConfig, Map<string, RegionRunnerPlan>>();

/** The plan of one region (cached per config object). */
export function planRegion(config: ValidatedConfig, region: string): RegionRunnerPlan {
  const cached = plans.get(config)?.get(region);
  if (cached) return cached;
  const L = RUNNER_LIMITS;
  const checks = config.checks.filter((c) => c.enabled && (region === 'local' || c.regions.includes(region)));
  const peak = checks.reduce((n, c) => n + peakRuns(c), 0);
  let shards = Math.max(1, Math.ceil(peak / (L.maxInFlight * L.fill)));
  let loads: number[];
  for (;;) {
    loads = new Array<number>(shards).fill(0);
    for (const c of checks) loads[shardOf(c.id, shards)]! += peakRuns(c);
    if (Math.max(...loads) <= L.maxInFlight || shards >= L.maxShards) break;
    shards++;
  }
  const largest = Math.max(...loads);
  if (largest > L.maxInFlight)
    throw new RunnerPlanError(
      `region ${region}: ${peak} runs a minute need more than ${L.maxShards} runner shards of ${L.maxInFlight} runs; ` +
        'run fewer checks (or less often) in this region, or spread them over more regions',
    );
  const memoryMb = memoryFor(largest);
  const paceMs = paceFor(memoryMb);
  let worstEnd = 0;
  let expectedEnd = 0;
  for (let index = 0; index < shards; index++) {
    const runs = timetable(config, region, { shard: { index, count: shards }, paceMs });
    worstEnd = Math.max(worstEnd, ...runs.map((r) => r.offsetMs + worstRunMs(r.check)));
    expectedEnd += runs.reduce(
      (m, r) => Math.max(m, r.offsetMs + Math.min(ms(r.check.timeout), PASS_ASSUMPTIONS.healthyRunMs)),
      0,
    );
  }
  const tail = TAIL_MS.store + TAIL_MS.publish + TAIL_MS.log;
  const hostSpreadMs = timetable(config, region).reduce(
    (m, r) => (ms(r.check.frequency) >= 60_000 ? Math.max(m, r.offsetMs) : m),
    0,
  );
  const plan: RegionRunnerPlan = {
    region,
    checks: checks.length,
    runsPerMinute: checks.reduce((n, c) => n + meanRuns(c), 0),
    peakRunsPerMinute: peak,
    shards,
    invocationsPerMinute: shards,
    largestShardRuns: largest,
    memoryMb,
    timeoutSeconds: Math.min(900, Math.max(60, Math.ceil((worstEnd + tail + 2_000) / 1000))),
    maxInFlight: L.maxInFlight,
    paceMs,
    hostSpreadMs,
    expectedBilledMsPerInvocation: checks.length
      ? Math.ceil(expectedEnd / shards + PASS_ASSUMPTIONS.tailMs)
      : PASS_ASSUMPTIONS.tailMs,
    worstBilledMsPerInvocation: Math.ceil(worstEnd + tail),
    assumptions: [
      `${shards} invocation(s) a minute: at most ${L.maxInFlight} runs a shard, sized at ${L.fill * 100}% on average`,
      `${memoryMb} MB: peak memory ${RUNNER_MEASURED.baseRssMb} MB + ${RUNNER_MEASURED.rssMbPerRun} MB a run × ` +
        `${L.memoryHeadroom}, and ${RUNNER_MEASURED.cpuMsPerRun} ms CPU a run at ≤ ${L.cpuUse * 100}% of the CPU ` +
        `(measured by npm run bench -- scale)`,
      `runs start at most ${SCHEDULE_DEFAULTS.hostGapMs} ms apart per host ` +
        `(spread ≤ ${SCHEDULE_DEFAULTS.spreadMs} ms) ` +
        `and ${paceMs} ms apart per shard; a healthy run lasts min(timeout, ${PASS_ASSUMPTIONS.healthyRunMs} ms)`,
      `claiming, storing and publishing take ${PASS_ASSUMPTIONS.tailMs} ms when AWS answers as usual`,
    ],
  };
  const byRegion = plans.get(config) ?? new Map<string, RegionRunnerPlan>();
  byRegion.set(region, plan);
  plans.set(config, byRegion);
  return plan;
}

/**
 * Per probe region of the config: invocations a minute, memory, timeout and the expected billed
 * duration per invocation, with what they assume.
 * @example
 * for (const p of planRunners(config)) console.log(p.region, p.shards, p.memoryMb, p.expectedBilledMsPerInvocation)
 */
export function planRunners(config: ValidatedConfig): RegionRunnerPlan[] {
  return config.regions.map((region) => planRegion(config, region));
}
