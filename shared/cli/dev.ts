/**
 * `watchpost dev` (`npm start`): the monitor on its schedule, locally. Same runner core as the
 * Lambda, results in the embedded store under `.watchpost/`, a live view in the terminal and a
 * local dashboard. `--demo` serves a demo shop on loopback for the example config.
 */
import { DEFAULT_CONFIG_FILE } from '../config/load';
import type { ValidatedConfig } from '../config/types';
import { DEMO_JOB, startDemoForConfig, startDemoJob } from '../demo/target';
import { heartbeatTokens } from '../probes/heartbeat/endpoint';
import { startPingServer } from '../probes/heartbeat/local-server';
import { PingStore } from '../probes/heartbeat/ping-store';
import { storeWithRollups } from '../rollups/store';
import { recordLocalResult } from '../incidents/recorder';
import { IncidentStore } from '../incidents/store';
import { formatDuration, ms } from '../duration';
import { jsonLog } from '../log';
import { randomBytes } from 'node:crypto';
import { ackUrl } from '../notify/ack';
import { localPages } from '../notify/local';
import type { DashboardOnCall } from './dashboard-oncall';
import { redactText } from '../redact';
import { runPass } from '../runner/run-pass';
import { envSecrets } from '../secrets';
import type { CheckResult, CheckStatus } from '../types';
import { buildSiteFiles } from '../status/site/build';
import { liveSite } from '../status/site/live';
import { startDashboard } from './dashboard';
import { c, noteContext, resultNote, statusWord } from './format';
import { DEFAULT_DATA_DIR, LOCAL_REGION, openLocalStore, shareWithOtherCommands, type LocalStore } from './local';
import { setMaxListeners } from 'node:events';
import { parseFlags } from './args';
import { CliError, EXIT, loadValidConfig } from './main';

const clock = (t: number | string) => new Date(t).toISOString().slice(11, 19);

export async function devCommand(args: string[]): Promise<number> {
  const { values } = parseFlags('dev', {
    args,
    options: {
      config: { type: 'string', default: DEFAULT_CONFIG_FILE },
      demo: { type: 'boolean', default: false },
      port: { type: 'string', default: '4320' },
      'ping-port': { type: 'string', default: '4321' },
      data: { type: 'string', default: DEFAULT_DATA_DIR },
      concurrency: { type: 'string', default: '16' },
    },
  });
  const port = (flag: 'port' | 'ping-port') => {
    const n = Number(values[flag]);
    if (!/^\d+$/.test(values[flag]!) || n > 65535)
      throw new CliError(`--${flag} must be a port number (0 picks a free one), got "${values[flag]}"`);
    return n;
  };
  const dashboardPort = port('port');
  const pingPort = port('ping-port');
  const demo = values.demo ? await startDemoForConfig() : undefined;
  let config: ValidatedConfig;
  let local: LocalStore;
  try {
    config = await loadValidConfig(values.config!);
    local = await openLocalStore(values.data, config);
  } catch (e) {
    await demo?.close();
    throw e;
  }
  if (local.sharedWithDev) {
    await local.close();
    await demo?.close();
    throw new CliError(
      `watchpost dev is already running (pid ${local.sharedWithDev}) on ${values.data}/ — hint: stop it, or pass ` +
        `--data DIR`,
    );
  }
  const unshare = shareWithOtherCommands(values.data!, local);
  // The status page at /status, rebuilt from the store when results arrive.
  const status = config.statusPage
    ? liveSite(async () => (await buildSiteFiles({ config, client: local.client, tableName: local.tableName })).files)
    : undefined;
  // On-call state lives in the local store; ack links are signed with a key of this session.
  const ackKey = randomBytes(32).toString('base64url');
  // Filled in once the pages exist (they link to the dashboard's URL).
  const oncall: Partial<DashboardOnCall> & { key: string } = { key: ackKey };
  // The table too: the per-check page reads uptime from the daily rollups and incidents.
  const table = { client: local.client, tableName: local.tableName };
  const board = { config, store: local.store, table, status, oncall };
  const dashboard = await startDashboard({ port: dashboardPort, ...board }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'EADDRINUSE') return startDashboard({ port: 0, ...board });
    throw e;
  });

  const log = jsonLog({ command: 'dev' }, 'warn');
  // The same ping endpoint the Lambda function URL serves, for heartbeat checks.
  const heartbeats = heartbeatTokens(config);
  const pings = heartbeats.size
    ? await startPingServer({
        port: pingPort,
        config,
        client: local.client,
        tableName: local.tableName,
        secrets: envSecrets,
        log,
      }).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'EADDRINUSE')
          return startPingServer({
            port: 0,
            config,
            client: local.client,
            tableName: local.tableName,
            secrets: envSecrets,
            log,
          });
        throw e;
      })
    : undefined;

  const checks = config.checks.filter((ch) => ch.enabled);
  const byId = new Map(config.checks.map((ch) => [ch.id, ch]));
  const out = (s: string) => process.stdout.write(`${s}\n`);
  // A state change prints the page's SMS line (and emails it with notify.localEmail), as the notifier would.
  const pages = localPages({
    config,
    out,
    dashboardUrl: dashboard.url,
    style: { label: (s) => c.bold(s), dim: c.dim },
    table: { client: local.client, tableName: local.tableName, latest: (ids) => local.store.latest(ids) },
    ackLink: async (ref, exp) => ackUrl(dashboard.url, ackKey, ref, exp),
  });
  oncall.deps = pages.oncall;
  // Reminders, escalations and held pages come due here (in AWS: the notifier's per-minute sweep).
  const sweeper = setInterval(() => void pages.sweep().catch(() => undefined), 10_000);
  out(c.bold(`watchpost dev — ${checks.length} check${checks.length === 1 ? '' : 's'} from ${values.config}`));
  if (demo) out(c.dim(`demo shop on ${demo.url} (healthy, slow and broken endpoints)`));
  out(c.dim(`results stored in ${values.data}/  ·  dashboard ${dashboard.url}  ·  Ctrl-C to stop`));
  if (status) out(c.dim(`status page ${dashboard.url}status/`));
  if (pings)
    out(
      c.dim(
        `heartbeat pings: ${[...heartbeats.keys()].map((id) => `${pings.url}/ping/${id}`).join(', ')} (header: ` +
          `Authorization: Bearer <token>)`,
      ),
    );
  const demoJob = {
    state: () => new PingStore({ client: local.client, tableName: local.tableName }).state(DEMO_JOB.checkId),
    onFailed: (until: number) =>
      out(
        c.dim(
          `${clock(Date.now())}  demo job: a failure was reported — it stays failed until ${clock(until)}, then ` +
            `succeeds again`,
        ),
      ),
  };
  const stopDemoJob =
    demo && pings && heartbeats.has(DEMO_JOB.checkId) ? await startDemoJob(pings.url, demoJob) : undefined;
  if (stopDemoJob)
    out(
      c.dim(
        `demo job pings ${DEMO_JOB.checkId} every 30 s; make it fail: curl -X POST -H 'Authorization: ` +
          `Bearer ${process.env[DEMO_JOB.tokenEnv]}' ${pings!.url}/ping/${DEMO_JOB.checkId}/fail`,
      ),
    );
  out('');

  const incidents = new IncidentStore(local.client, local.tableName);
  // Last status per check, to announce changes the way a page would.
  const last = new Map<string, { status: CheckStatus; since: string }>();
  const onResult = (r: CheckResult) => {
    status?.invalidate();
    const prev = last.get(r.checkId);
    const changed = prev && prev.status !== r.status;
    const since = !prev || changed ? r.scheduledAt : prev.since;
    last.set(r.checkId, { status: r.status, since });
    const note = resultNote(r, noteContext(byId.get(r.checkId)));
    const took = formatDuration(r.durationMs).padStart(7);
    const word = statusWord(r.status, r.degraded);
    let line = `${c.dim(clock(Date.now()))}  ${word}  ${r.checkId.padEnd(24)} ${took}  ${note}`;
    if (changed) {
      const lasted = formatDuration(Date.parse(r.scheduledAt) - Date.parse(prev.since));
      line += `  ${c.bold(`← was ${prev.status} for ${lasted}`)}`;
    }
    out(redactText(line));
    if (prev ? changed : r.status !== 'pass') pages.announce(r, prev);
    // The status page's and report's incidents (shared/incidents/recorder.ts).
    if (!prev || changed)
      void recordLocalResult(incidents, r, prev).catch((e: Error) =>
        log.warn('incident not recorded', { error: e.message }),
      );
  };
  const concurrency = Number(values.concurrency) || 16;
  const maxTimeout = Math.max(...checks.map((ch) => ms(ch.timeout) * (ch.retries + 1)), 1_000);

  let stopping = false;
  // Ctrl-C aborts every run in flight and every run still waiting for its time in the minute.
  const abort = new AbortController();
  // One listener per run in flight: hundreds of checks are not a leak.
  setMaxListeners(0, abort.signal);
  const inFlight = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    inFlight.add(p);
    p.finally(() => inFlight.delete(p));
  };
  const pass = (tick: number, runs?: Parameters<typeof runPass>[0]['runs']) =>
    runPass({
      config,
      region: LOCAL_REGION,
      tick,
      deadline: Math.floor(tick / 60_000) * 60_000 + 60_000 + maxTimeout,
      concurrency,
      runs,
      waitForSchedule: !runs,
      secrets: envSecrets,
      store: storeWithRollups(local, log),
      table: { client: local.client, tableName: local.tableName },
      storeEachResult: true,
      signal: abort.signal,
      log,
      onResult: (r) => !stopping && onResult(r),
    }).catch((e: Error) => log.error('runner pass failed', { error: e.message }));

  // Every check once right away, then each on its schedule from the next minute on.
  const now = Date.now();
  track(
    pass(
      now,
      checks.map((check) => ({ check, scheduledAt: now })),
    ),
  );
  let timer: NodeJS.Timeout;
  const scheduleNext = () => {
    const next = Math.floor(Date.now() / 60_000) * 60_000 + 60_000;
    timer = setTimeout(() => {
      if (stopping) return;
      const counts = { pass: 0, degraded: 0, fail: 0 };
      for (const s of last.values()) counts[s.status]++;
      out(
        c.dim(
          `── ${clock(next).slice(0, 5)}Z ── ${counts.pass} passing · ${counts.degraded} degraded · ${counts.fail} ` +
            `failing`,
        ),
      );
      track(pass(next));
      scheduleNext();
    }, next - Date.now());
  };
  scheduleNext();

  await new Promise<void>((resolve) => {
    const stop = () => {
      if (stopping) return;
      stopping = true;
      abort.abort();
      out(c.dim('\nstopping…'));
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  clearTimeout(timer!);
  clearInterval(sweeper);
  stopDemoJob?.();
  // Aborted runs end at once and their results are dropped; results already in hand are still stored
  // (usually milliseconds), so nothing is lost. The cap only guards against a hung store.
  let cap: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled([...inFlight, pages.idle()]),
    new Promise((r) => (cap = setTimeout(r, 5_000))),
  ]);
  clearTimeout(cap);
  pages.stop(); // webhook pages still waiting for a retry are printed as not delivered
  unshare();
  await Promise.all([dashboard.close(), pings?.close(), demo?.close()]);
  await local.close();
  return EXIT.ok;
}
