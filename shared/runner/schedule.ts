/**
 * Which checks are due at a tick, and when in the minute each run starts. The runner is invoked
 * once a minute (once per shard, shared/runner/plan.ts); each check gets a deterministic phase
 * from its id so that a 5m check fires in a fixed minute of five.
 *
 * Start times (the region's timetable, the same every minute):
 * - politeness: the one-minute-or-slower checks aimed at one host start `hostGapMs` apart (in
 *   hash order), spread over at most `spreadMs`; a host with one check starts at :00. A pass is
 *   spread only as much as its busiest host needs, not 20 s always.
 * - pacing: within a shard, two starts are at least `paceMs` apart, so the shard's CPU (a share
 *   of a vCPU that follows its memory) is never so busy that it skews the timings it measures.
 * Sub-minute checks keep their phase in their period.
 */
import type { ValidatedCheck, ValidatedConfig } from '../config/types';
import { ms } from '../duration';
import { probeKind } from '../probes/registry';

export interface DueRun {
  check: ValidatedCheck;
  /** When this run is scheduled (ms since epoch): tick + its place in the minute. */
  scheduledAt: number;
}

/** FNV-1a, 32 bit: stable across processes and platforms. */
export function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Jump consistent hash (Lamping & Veach): key → bucket in [0, buckets), moving the fewest keys when buckets grows. */
export function jumpHash(key: number, buckets: number): number {
  let k = BigInt.asUintN(64, BigInt(key) * 0x9e3779b97f4a7c15n);
  let b = -1;
  let j = 0;
  while (j < buckets) {
    b = j;
    k = BigInt.asUintN(64, k * 2862933555777941757n + 1n);
    j = Math.floor((b + 1) * (2 ** 31 / Number((k >> 33n) + 1n)));
  }
  return b;
}

/** One of a region's runner invocations per minute: shard `index` of `count`. */
export interface ShardRef {
  index: number;
  count: number;
}

/** The shard a check runs in: adding or removing a check moves no other; a new shard takes about 1/count. */
export const shardOf = (checkId: string, count: number): number =>
  count <= 1 ? 0 : jumpHash(stableHash(checkId), count);

export interface ScheduleOptions {
  /** The longest the runs at one host are spread over. @default 20000 */
  spreadMs?: number;
  /** Gap between two starts at one host (politeness). @default 200 */
  hostGapMs?: number;
  /** Only the checks of this shard. @default the whole region */
  shard?: ShardRef;
  /** Least gap between two starts of this pass (CPU pacing, from the plan). @default 0 */
  paceMs?: number;
}

export const SCHEDULE_DEFAULTS = { spreadMs: 20_000, hostGapMs: 200 } as const;

/**
 * The host a check talks to, for politeness: the first `scheme://host` or `@server` in its
 * target text (the kind's own description), else none (a check of its own).
 */
export function targetHost(check: ValidatedCheck): string | undefined {
  let text: string;
  try {
    text = probeKind(check.kind).target(check);
  } catch {
    return undefined;
  }
  const url = /[a-z][a-z0-9+.-]*:\/\/(?:[^@/\s]*@)?([^/\s?#]+)/i.exec(text);
  if (url) return url[1]!.toLowerCase();
  return /@([^\s]+)/.exec(text)?.[1]?.toLowerCase();
}

/** Code-unit order of ids: the same everywhere, unlike localeCompare, and cheap for 10,000 checks. */
const byId = (a: ValidatedCheck, b: ValidatedCheck) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

const runsInRegion = (config: ValidatedConfig, region: string) =>
  config.checks.filter((c) => c.enabled && (region === 'local' || c.regions.includes(region)));

/** One run of the timetable: `offsetMs` after the minute starts. */
export interface PlannedRun {
  check: ValidatedCheck;
  offsetMs: number;
}

interface RegionBase {
  checks: ValidatedCheck[];
  /** Politeness offset of each one-minute-or-slower check, computed over the whole region. */
  offsetOf: Map<string, number>;
  timetables: Map<string, PlannedRun[]>;
  /** Each check's shard, per shard count (jump hashing 10,000 ids is not free). */
  shards: Map<number, Map<string, number>>;
}

const bases = new WeakMap<ValidatedConfig, Map<string, RegionBase>>();

function regionBase(config: ValidatedConfig, region: string, spread: number, gap: number): RegionBase {
  const key = `${region}|${spread}|${gap}`;
  const byKey = bases.get(config) ?? new Map<string, RegionBase>();
  bases.set(config, byKey);
  const hit = byKey.get(key);
  if (hit) return hit;
  const checks = runsInRegion(config, region);
  const hosts = new Map<string, Array<{ c: ValidatedCheck; h: number }>>();
  for (const c of checks) {
    if (ms(c.frequency) < 60_000) continue;
    const host = targetHost(c) ?? `check:${c.id}`;
    const group = hosts.get(host) ?? [];
    if (!group.length) hosts.set(host, group);
    group.push({ c, h: stableHash(`${c.id}#offset`) });
  }
  const offsetOf = new Map<string, number>();
  for (const group of hosts.values()) {
    group.sort((a, b) => a.h - b.h || byId(a.c, b.c));
    const step = group.length > 1 ? Math.min(gap, spread / (group.length - 1)) : 0;
    for (const [i, { c }] of group.entries()) offsetOf.set(c.id, Math.round(i * step));
  }
  const base = { checks, offsetOf, timetables: new Map<string, PlannedRun[]>(), shards: new Map() };
  byKey.set(key, base);
  return base;
}

function shardsOf(base: RegionBase, count: number): Map<string, number> {
  let m = base.shards.get(count);
  if (!m) base.shards.set(count, (m = new Map(base.checks.map((c) => [c.id, shardOf(c.id, count)]))));
  return m;
}

/**
 * Every run a shard may make in a minute (as if every 5m check were due), by start time: the
 * same every minute, so a duplicated invocation schedules exactly the same runs.
 */
export function timetable(config: ValidatedConfig, region: string, opts: ScheduleOptions = {}): PlannedRun[] {
  const spread = Math.max(0, opts.spreadMs ?? SCHEDULE_DEFAULTS.spreadMs);
  const gap = Math.max(0, opts.hostGapMs ?? SCHEDULE_DEFAULTS.hostGapMs);
  const base = regionBase(config, region, spread, gap);
  const { checks, offsetOf, timetables } = base;
  const key = `${opts.shard?.index ?? 0}/${opts.shard?.count ?? 1}|${opts.paceMs ?? 0}`;
  const hit = timetables.get(key);
  if (hit) return hit;
  const runs: PlannedRun[] = [];
  for (const check of checks) {
    if (opts.shard && shardsOf(base, opts.shard.count).get(check.id) !== opts.shard.index) continue;
    const period = ms(check.frequency);
    if (period >= 60_000) runs.push({ check, offsetMs: offsetOf.get(check.id) ?? 0 });
    else {
      const phase = stableHash(`${check.id}#offset`) % period;
      for (let t = phase; t < 60_000; t += period) runs.push({ check, offsetMs: t });
    }
  }
  runs.sort((a, b) => a.offsetMs - b.offsetMs || byId(a.check, b.check));
  const pace = Math.max(0, opts.paceMs ?? 0);
  if (pace > 0) {
    let next = 0;
    for (const r of runs) {
      r.offsetMs = Math.max(r.offsetMs, next);
      next = r.offsetMs + pace;
    }
  }
  timetables.set(key, runs);
  return runs;
}

/**
 * The runs due in the minute that starts at `tick` (floored to the minute) in `region` (and
 * `opts.shard`), sorted by scheduled time. Disabled checks and checks not in the region are skipped.
 */
export function dueRuns(config: ValidatedConfig, region: string, tick: number, opts: ScheduleOptions = {}): DueRun[] {
  const minuteStart = Math.floor(tick / 60_000) * 60_000;
  const minuteIndex = Math.floor(minuteStart / 60_000);
  const out: DueRun[] = [];
  for (const { check, offsetMs } of timetable(config, region, opts)) {
    const period = ms(check.frequency);
    if (period >= 60_000) {
      const minutes = Math.round(period / 60_000);
      if (minuteIndex % minutes !== stableHash(check.id) % minutes) continue;
    }
    out.push({ check, scheduledAt: minuteStart + offsetMs });
  }
  return out;
}
