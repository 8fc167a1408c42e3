/**
 * Rate limits of the ping endpoint. Everything here runs BEFORE a token is read or compared,
 * so a throttled request costs a map lookup: no secret read, no store read, no digest.
 *
 * Three token buckets, all in memory (in AWS per Lambda instance; reserved concurrency bounds
 * the number of instances):
 * - per source address: requests that did not authenticate. A good ping gives its token back,
 *   so a host running many healthy jobs is never throttled; a guesser is, after `burst`.
 * - per check, across all sources: failed attempts at one check id, so a flood from many
 *   addresses cannot guess at a token faster than `perCheck` either. An address that
 *   authenticated for a check before keeps its own lane past this bucket (a distributed flood
 *   does not crowd out the job that usually pings from there).
 * - per check, after authentication: accepted pings, so a runaway job loop cannot run up
 *   DynamoDB writes.
 * Memory is bounded: sources and trusted lanes are capped (least recently used go first);
 * check buckets exist only for configured ids.
 */
import { isIP } from 'node:net';

/** A rate: `burst` at once, refilled at `perMinute`. */
export interface Rate {
  perMinute: number;
  burst: number;
}

/** Token buckets by key, at most `maxKeys` of them (the least recently used is dropped). */
export class Buckets {
  private readonly map = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly rate: Rate,
    private readonly maxKeys = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token: 0 when granted, else the whole seconds until one is available (at least 1). */
  take(key: string): number {
    const b = this.refill(key);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - b.tokens) * 60) / this.rate.perMinute));
  }

  /** Gives back a token taken by {@link take} (the attempt turned out well). */
  give(key: string): void {
    const b = this.map.get(key);
    if (b) b.tokens = Math.min(this.rate.burst, b.tokens + 1);
  }

  /** Keys held (for tests and metrics): never more than `maxKeys`. */
  get size(): number {
    return this.map.size;
  }

  private refill(key: string): { tokens: number; at: number } {
    const t = this.now();
    let b = this.map.get(key);
    if (b) {
      this.map.delete(key); // re-inserted below: Map order is recency order
      b.tokens = Math.min(this.rate.burst, b.tokens + (Math.max(0, t - b.at) / 60_000) * this.rate.perMinute);
      b.at = t;
    } else {
      b = { tokens: this.rate.burst, at: t };
      if (this.map.size >= this.maxKeys) this.map.delete(this.map.keys().next().value!);
    }
    this.map.set(key, b);
    return b;
  }
}

/**
 * The key of a source address: IPv4 as is, IPv6 by its /64 (one host usually holds a whole
 * /64, so keying single addresses would give it 2^64 buckets). IPv4-mapped IPv6 is IPv4.
 */
export function sourceKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const a = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  if (isIP(a) !== 6) return a;
  const [head = '', tail] = a.toLowerCase().split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups =
    tail === undefined ? left : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export interface PingLimitOptions {
  /** Unauthenticated requests per source address. @default 30 a minute, bursts of 20 */
  perSource?: Rate;
  /** Failed attempts per check id across all sources. @default 60 a minute, bursts of 30 */
  perCheck?: Rate;
  /** Accepted pings per check (after authentication). @default 60 a minute, bursts of 10 */
  accepted?: Rate;
  /** Most source addresses (and check × source lanes) remembered. @default 10000 */
  maxSources?: number;
  /** @default Date.now */
  now?: () => number;
}

/** Why a request was throttled; `retryAfter` in seconds (the `Retry-After` header). */
export interface Throttle {
  by: 'source' | 'check' | 'pings';
  retryAfter: number;
}

/** What {@link PingLimits.admit} took, to give back on a good token. */
export interface Ticket {
  source: string;
  checkId?: string;
  tookCheck: boolean;
}

/** The endpoint's limits. One instance per process (per Lambda instance). */
export class PingLimits {
  private readonly sources: Buckets;
  private readonly checks: Buckets;
  private readonly accepted: Buckets;
  /** `checkId source` pairs that authenticated, least recently used first. */
  private readonly trusted = new Map<string, true>();
  private readonly maxSources: number;
  private readonly now: () => number;
  private dropped = 0;
  private lastReport = -Infinity;

  constructor(opts: PingLimitOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.maxSources = opts.maxSources ?? 10_000;
    this.sources = new Buckets(opts.perSource ?? { perMinute: 30, burst: 20 }, this.maxSources, this.now);
    // Keyed by configured check ids only (see admit): as large as the config, no larger.
    this.checks = new Buckets(opts.perCheck ?? { perMinute: 60, burst: 30 }, Number.MAX_SAFE_INTEGER, this.now);
    this.accepted = new Buckets(opts.accepted ?? { perMinute: 60, burst: 10 }, Number.MAX_SAFE_INTEGER, this.now);
  }

  /**
   * Before authentication: a {@link Throttle} to answer 429 with, or a ticket to go on with.
   * `checkId` only for a configured, enabled check (unknown ids are limited per source alone:
   * there is no token to guess and nothing to spend).
   */
  admit(source: string, checkId: string | undefined): Ticket | Throttle {
    const wait = this.sources.take(source);
    if (wait) return this.throttled('source', wait);
    if (checkId === undefined) return { source, tookCheck: false };
    if (this.trusted.has(`${checkId} ${source}`)) return { source, checkId, tookCheck: false };
    const checkWait = this.checks.take(checkId);
    if (!checkWait) return { source, checkId, tookCheck: true };
    this.sources.give(source);
    return this.throttled('check', checkWait);
  }

  /**
   * After a good token: gives back what {@link admit} took, opens the source's own lane for
   * this check, and takes from the check's budget of accepted pings.
   */
  authenticated(ticket: Ticket, checkId: string): Throttle | undefined {
    this.sources.give(ticket.source);
    if (ticket.tookCheck) this.checks.give(checkId);
    const lane = `${checkId} ${ticket.source}`;
    this.trusted.delete(lane);
    this.trusted.set(lane, true);
    if (this.trusted.size > this.maxSources) this.trusted.delete(this.trusted.keys().next().value!);
    const wait = this.accepted.take(checkId);
    return wait ? this.throttled('pings', wait) : undefined;
  }

  /** Source addresses and lanes held: at most `maxSources` each, whatever the flood. */
  get tracked(): { sources: number; lanes: number } {
    return { sources: this.sources.size, lanes: this.trusted.size };
  }

  /**
   * Requests throttled since the last report, at most one report a minute (a flood must not
   * turn into a flood of log lines: they cost money too). `undefined` when it is not time yet.
   */
  report(): number | undefined {
    const t = this.now();
    if (t - this.lastReport < 60_000) return undefined;
    this.lastReport = t;
    const n = this.dropped;
    this.dropped = 0;
    return n;
  }

  private throttled(by: Throttle['by'], retryAfter: number): Throttle {
    this.dropped += 1;
    return { by, retryAfter };
  }
}

/** Whether `admit` said no. */
export const isThrottle = (v: Ticket | Throttle): v is Throttle => 'retryAfter' in v;
