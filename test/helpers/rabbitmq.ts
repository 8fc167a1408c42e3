/**
 * A private RabbitMQ node (Debian's rabbitmq-server) for tests: its own temp dir, node name,
 * free ports (AMQP, distribution, epmd, management), the management plugin enabled offline via
 * the enabled_plugins file, statistics collected every 250 ms so queue depth shows up fast.
 * Started without systemd; `stop()` ends the node and the epmd it started (epmd outlives nodes).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
const EPMD = existsSync('/usr/bin/epmd') ? '/usr/bin/epmd' : 'epmd';

export const rabbitAvailable = (): boolean => existsSync(SERVER);

export interface RabbitNode {
  /** Management API base, `http://127.0.0.1:<port>`. */
  url: string;
  amqpPort: number;
  /** The default admin user (guest/guest, allowed on loopback). */
  admin: { username: string; password: string };
  /** Calls the management API as admin; throws on a non-2xx answer. */
  api(method: string, path: string, body?: unknown): Promise<unknown>;
  createVhost(vhost: string): Promise<void>;
  /** A user with the `monitoring` tag and empty permissions on the vhosts (enough to read queue stats). */
  createMonitor(username: string, password: string, vhosts: string[]): Promise<void>;
  declareQueue(vhost: string, queue: string): Promise<void>;
  /** Publishes through the default exchange; `timestamp` (epoch s) sets the message property. */
  publish(vhost: string, queue: string, payload: string, opts?: { timestamp?: number }): Promise<void>;
  /** Waits until the management API reports `ready` messages ready in the queue (stats lag). */
  waitForReady(vhost: string, queue: string, ready: number, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** Free TCP ports on loopback (listen on 0, read, close). */
async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  const ports: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    servers.push(s);
    ports.push((s.address() as net.AddressInfo).port);
  }
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

const sleep = (msv: number) => new Promise((r) => setTimeout(r, msv));
const enc = encodeURIComponent;

export async function startRabbit(opts: { startTimeoutMs?: number } = {}): Promise<RabbitNode> {
  if (!rabbitAvailable())
    throw new Error(`${SERVER} not found — run scripts/install-test-deps.sh as root (installs rabbitmq-server)`);
  const dir = mkdtempSync(join(tmpdir(), 'watchpost-rabbit-'));
  const [amqpPort, distPort, epmdPort, mgmtPort] = await freePorts(4);
  const node = `wp${process.pid}x${Math.random().toString(36).slice(2, 8)}@localhost`;
  const home = join(dir, 'home');
  spawnSync('mkdir', ['-p', home, join(dir, 'mnesia'), join(dir, 'log')]);
  writeFileSync(join(home, '.erlang.cookie'), `WATCHPOSTTEST${Math.random().toString(36).slice(2, 14).toUpperCase()}`, {
    mode: 0o600,
  });
  writeFileSync(join(dir, 'enabled_plugins'), '[rabbitmq_management].\n');
  writeFileSync(join(dir, 'env.conf'), '');
  writeFileSync(
    join(dir, 'rabbitmq.conf'),
    [
      `listeners.tcp.default = 127.0.0.1:${amqpPort}`,
      `management.tcp.port = ${mgmtPort}`,
      'management.tcp.ip = 127.0.0.1',
      'management.rates_mode = none',
      'collect_statistics_interval = 250',
      '',
    ].join('\n'),
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    RABBITMQ_CONF_ENV_FILE: join(dir, 'env.conf'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_PID_FILE: join(dir, 'rabbit.pid'),
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_PORT: String(amqpPort),
    RABBITMQ_DIST_PORT: String(distPort),
    ERL_EPMD_PORT: String(epmdPort),
    ERL_CRASH_DUMP: join(dir, 'erl_crash.dump'),
  };
  const out = openSync(join(dir, 'server.out'), 'a');
  const child: ChildProcess = spawn(SERVER, [], { env, cwd: dir, detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });

  const url = `http://127.0.0.1:${mgmtPort}`;
  const admin = { username: 'guest', password: 'guest' };
  const auth = `Basic ${Buffer.from(`${admin.username}:${admin.password}`).toString('base64')}`;

  const api = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${url}/api${path}`, {
      method,
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
    return text ? JSON.parse(text) : undefined;
  };

  const stop = async () => {
    const beamPid = (() => {
      try {
        return Number(readFileSync(join(dir, 'rabbit.pid'), 'utf8').trim()) || undefined;
      } catch {
        return undefined;
      }
    })();
    // The wrapper script and the VM share the group we started: TERM asks for a clean shutdown.
    if (!exited && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
    for (let i = 0; i < 40 && !exited; i++) await sleep(250);
    // A throwaway node: do not wait for a slow shutdown.
    for (const pid of [beamPid, child.pid ? -child.pid : undefined]) {
      if (pid === undefined) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    // epmd outlives the node; ours listens on our private port only. It refuses while the node is registered.
    for (let i = 0; i < 20; i++) {
      const r = spawnSync(EPMD, ['-port', String(epmdPort), '-kill'], { encoding: 'utf8', timeout: 5_000 });
      // "Killing not allowed - living nodes in database." until epmd notices the node is gone.
      if (!/living nodes/i.test(`${r.stdout}${r.stderr}`)) break;
      await sleep(250);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 60_000);
  for (;;) {
    if (exited) {
      const log = (() => {
        try {
          return readFileSync(join(dir, 'server.out'), 'utf8').slice(-2000);
        } catch {
          return '';
        }
      })();
      await stop();
      throw new Error(`rabbitmq-server exited during start:\n${log}`);
    }
    try {
      const res = await fetch(`${url}/api/overview`, {
        headers: { authorization: auth },
        signal: AbortSignal.timeout(2_000),
      });
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`rabbitmq-server did not start within ${opts.startTimeoutMs ?? 60_000}ms`);
    }
    await sleep(250);
  }

  return {
    url,
    amqpPort,
    admin,
    api,
    async createVhost(vhost) {
      await api('PUT', `/vhosts/${enc(vhost)}`);
      await api('PUT', `/permissions/${enc(vhost)}/${enc(admin.username)}`, {
        configure: '.*',
        write: '.*',
        read: '.*',
      });
    },
    async createMonitor(username, password, vhosts) {
      await api('PUT', `/users/${enc(username)}`, { password, tags: 'monitoring' });
      for (const v of vhosts)
        await api('PUT', `/permissions/${enc(v)}/${enc(username)}`, { configure: '', write: '', read: '' });
    },
    async declareQueue(vhost, queue) {
      await api('PUT', `/queues/${enc(vhost)}/${enc(queue)}`, { durable: false, auto_delete: false });
    },
    async publish(vhost, queue, payload, o = {}) {
      const r = (await api('POST', `/exchanges/${enc(vhost)}/amq.default/publish`, {
        properties: o.timestamp !== undefined ? { timestamp: o.timestamp } : {},
        routing_key: queue,
        payload,
        payload_encoding: 'string',
      })) as { routed?: boolean };
      if (!r?.routed) throw new Error(`message to ${vhost}/${queue} was not routed`);
    },
    async waitForReady(vhost, queue, ready, timeoutMs = 15_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const q = (await api('GET', `/queues/${enc(vhost)}/${enc(queue)}`)) as Record<string, unknown>;
        if (q.messages_ready === ready) return q;
        if (Date.now() > end)
          throw new Error(`queue ${vhost}/${queue} has ${String(q.messages_ready)} ready, waited for ${ready}`);
        await sleep(100);
      }
    },
    stop,
  };
}
