/**
 * The heartbeat endpoint under a flood: rate limits per source and per check run before any
 * token is read or compared, a valid ping still gets through, and memory stays bounded.
 * Real HTTP on loopback (sources 127.0.0.x via localAddress) and the Lambda adapter with the
 * function URL's sourceIp; the limits' clock is frozen so the counts are exact, not timed.
 */
import http from 'node:http';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from '../functions/heartbeat/index';
import type { ValidatedConfig } from '../shared/config/types';
import { parseConfig } from '../shared/config/validate';
import type { Log } from '../shared/log';
import { handlePing, heartbeatTokens, MIN_TOKEN_LENGTH } from '../shared/probes/heartbeat/endpoint';
import { PingLimits, sourceKey } from '../shared/probes/heartbeat/limits';
import { startPingServer, type PingServer } from '../shared/probes/heartbeat/local-server';
import { PingStore } from '../shared/probes/heartbeat/ping-store';
import { runCheck } from '../shared/runner/run-check';
import type { SecretResolver } from '../shared/secrets';
import { startEmbeddedStore, type EmbeddedStore } from '../shared/store/embedded';

const TOKENS: Record<string, string> = { 'hb/nightly': 'tok-nightly-5b2c7e9a1f40', 'hb/weak': 'short-tok' };
let reads = 0;
const secrets: SecretResolver = async (name) => {
  reads++;
  const v = TOKENS[name];
  if (v === undefined) throw new Error(`no secret ${name}`);
  return v;
};
const raw = {
  project: 'test',
  homeRegion: 'eu-central-1',
  regions: ['eu-central-1'],
  checks: [
    { id: 'nightly', kind: 'heartbeat', period: '1d', grace: '1h', token: { secret: 'hb/nightly' } },
    { id: 'weak', kind: 'heartbeat', period: '1d', grace: '1h', token: { secret: 'hb/weak' } },
  ],
};

function capture(): Log & { lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> } {
  const lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    void lines.push({ level, message, fields });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** One POST from a given loopback address, on its own connection. */
function post(
  port: number,
  path: string,
  token: string,
  localAddress: string,
): Promise<{ status: number; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        localAddress,
        agent: false,
        headers: { authorization: `Bearer ${token}` },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] as string | undefined }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

let config: ValidatedConfig;
let embedded: EmbeddedStore;
beforeAll(async () => {
  config = parseConfig(raw);
  embedded = await startEmbeddedStore({ inMemory: true });
});
afterAll(async () => {
  await embedded?.close();
});
const pingStore = () => new PingStore({ client: embedded.client, tableName: embedded.tableName });

describe('a flood of wrong tokens from one source (real HTTP on loopback)', () => {
  let server: PingServer;
  const log = capture();
  beforeAll(async () => {
    const limits = new PingLimits({ now: () => 1_000_000 }); // frozen: no refill during the test
    server = await startPingServer({
      port: 0,
      config,
      client: embedded.client,
      tableName: embedded.tableName,
      secrets,
      limits,
      log,
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('gets 429 after the source burst, cheaply; the job’s ping from another address is stored', async () => {
    const N = 2_000;
    const before = (await pingStore().state('nightly'))?.pings ?? 0;
    reads = 0;
    const statuses = new Map<number, number>();
    const retryAfter = new Set<string | undefined>();
    let sent = 0;
    let job: Promise<{ status: number }> | undefined;
    // 32 requests in flight from 127.0.0.1; the job pings from 127.0.0.2 a third of the way in.
    const worker = async () => {
      while (sent < N) {
        const i = sent++;
        if (i === Math.floor(N / 3)) job = post(server.port, '/ping/nightly', TOKENS['hb/nightly']!, '127.0.0.2');
        const r = await post(server.port, '/ping/nightly', `guess-${i}-000000000000`, '127.0.0.1');
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status === 429) retryAfter.add(r.retryAfter);
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));

    expect((await job!).status).toBe(200);
    expect((await pingStore().state('nightly'))!.pings).toBe(before + 1);
    // 20 guesses (the source's burst) reached the token check, the rest were throttled.
    expect(Object.fromEntries(statuses)).toEqual({ 404: 20, 429: N - 20 });
    expect([...retryAfter]).toEqual(['2']);
    // Throttled requests read no secret: one read per request that got past the limits.
    expect(reads).toBe(20 + 1);
    // One log line about all the 429s, not thousands.
    expect(log.lines.filter((l) => l.message === 'pings throttled')).toHaveLength(1);
  }, 30_000);
});

describe('a flood from many sources (Lambda adapter, function URL sourceIp)', () => {
  let now = 5_000_000;
  const limits = new PingLimits({ now: () => now, maxSources: 1_000 });
  const lambda = createHandler(() => ({ checks: heartbeatTokens(config), secrets, store: pingStore(), limits }));
  const handler = async (e: LambdaFunctionURLEvent) =>
    (await lambda(e)) as { statusCode: number; headers: Record<string, string> };
  const event = (sourceIp: string, token: string, path = '/ping/nightly') =>
    ({
      rawPath: path,
      headers: { authorization: `Bearer ${token}` },
      requestContext: { http: { method: 'POST', sourceIp } },
    }) as unknown as LambdaFunctionURLEvent;

  it('meets the per-check limit; the job’s usual address keeps its lane; memory stays bounded', async () => {
    expect((await handler(event('203.0.113.7', TOKENS['hb/nightly']!))).statusCode).toBe(200);
    reads = 0;
    const counts = new Map<number, number>();
    for (let i = 0; i < 3_000; i++) {
      const r = await handler(event(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, `guess-${i}-000000000000`));
      counts.set(r.statusCode, (counts.get(r.statusCode) ?? 0) + 1);
    }
    // One guess per address: the per-source limit never bites, the per-check one (burst 30) does.
    expect(Object.fromEntries(counts)).toEqual({ 404: 30, 429: 2_970 });
    expect(reads).toBe(30);
    expect(limits.tracked.sources).toBeLessThanOrEqual(1_000);

    // The job that pinged from 203.0.113.7 before gets through the flood.
    expect((await handler(event('203.0.113.7', TOKENS['hb/nightly']!))).statusCode).toBe(200);
    // A right token from a new address waits with the strangers, told how long.
    const fresh = await handler(event('198.51.100.9', TOKENS['hb/nightly']!));
    expect(fresh).toMatchObject({ statusCode: 429, headers: { 'retry-after': '1' } });
    now += 1_000;
    expect((await handler(event('198.51.100.9', TOKENS['hb/nightly']!))).statusCode).toBe(200);

    // Random ids from many addresses: the same 404, nothing read, memory still bounded.
    reads = 0;
    for (let i = 0; i < 1_500; i++)
      expect((await handler(event(`172.16.${i >> 8}.${i & 255}`, 'x', `/ping/id-${i}`))).statusCode).toBe(404);
    expect(reads).toBe(0);
    expect(limits.tracked).toEqual({ sources: 1_000, lanes: 2 });
  }, 30_000);

  it('counts an IPv6 /64 as one source (and an IPv4-mapped address as IPv4)', async () => {
    expect(sourceKey('2001:db8:1:2::1')).toBe(sourceKey('2001:0db8:0001:0002:ffff:1:2:3'));
    expect(sourceKey('2001:db8:1:2::1')).not.toBe(sourceKey('2001:db8:1:3::1'));
    expect(sourceKey('::ffff:127.0.0.1')).toBe('127.0.0.1');
    const six = new PingLimits({ now: () => 0 });
    const deps = { checks: heartbeatTokens(config), secrets, store: pingStore(), limits: six };
    const codes: number[] = [];
    for (let i = 1; i <= 25; i++) {
      const r = await handlePing(
        { method: 'POST', path: '/ping/no-such', headers: {}, source: `2001:db8:1:2::${i.toString(16)}` },
        deps,
      );
      codes.push(r.statusCode);
    }
    expect(codes.filter((c) => c === 404)).toHaveLength(20);
    expect(codes.slice(20)).toEqual([429, 429, 429, 429, 429]);
  });
});

describe('a token shorter than 16 characters', () => {
  it('fails the check with TOKEN_TOO_SHORT and the endpoint refuses its pings with a logged reason', async () => {
    expect(MIN_TOKEN_LENGTH).toBe(16);
    const check = config.checks.find((c) => c.id === 'weak')!;
    const run = () =>
      runCheck(check, {
        region: 'eu-central-1',
        secrets,
        config,
        state: { table: { client: embedded.client, tableName: embedded.tableName } },
      });
    // The runner never reads heartbeat tokens (least privilege): before a refused ping it cannot know.
    expect((await run()).error?.code).not.toBe('TOKEN_TOO_SHORT');

    const log = capture();
    const res = await handlePing(
      {
        method: 'POST',
        path: '/ping/weak',
        headers: { authorization: `Bearer ${TOKENS['hb/weak']}` },
        source: '127.0.0.1',
      },
      { checks: heartbeatTokens(config), secrets, store: pingStore(), limits: new PingLimits(), log },
    );
    expect(res).toMatchObject({ statusCode: 404, body: '{"error":"not found"}\n' });
    expect((await pingStore().state('weak'))?.pings).toBeUndefined();
    expect(log.lines).toEqual([
      expect.objectContaining({
        level: 'error',
        message: 'heartbeat token too short: pings refused',
        fields: expect.objectContaining({ checkId: 'weak', secret: 'hb/weak', length: 9, minimum: 16 }),
      }),
    ]);
    expect(JSON.stringify(log.lines)).not.toContain(TOKENS['hb/weak']);
    // The endpoint marked the refusal in the ping state: the check now says why no ping arrives.
    const r = await run();
    expect(r.status).toBe('fail');
    expect(r.error).toEqual({
      code: 'TOKEN_TOO_SHORT',
      message:
        'the token of weak (secret "hb/weak") has 9 characters; the ping endpoint refuses tokens shorter than 16 — ' +
        'store a longer one, e.g. openssl rand -hex 16',
    });
  });
});
