/**
 * The ping endpoint on a laptop: a node HTTP server that feeds {@link handlePing}, the same
 * function the Lambda function URL runs, writing to the embedded store. `npm start` serves it.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ValidatedConfig } from '../../config/types';
import { ms } from '../../duration';
import { silentLog, type Log } from '../../log';
import type { SecretResolver } from '../../secrets';
import { handlePing, heartbeatTokens, MAX_PING_BODY_BYTES, type PingResponse } from './endpoint';
import { PingLimits } from './limits';
import { PingStore } from './ping-store';

export interface PingServerOptions {
  /** 0 picks a free port. @default 0 */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  config: ValidatedConfig;
  client: DynamoDBClient | DynamoDBDocumentClient;
  tableName: string;
  /** Resolves token secrets (locally `envSecrets`: `WATCHPOST_SECRET_<NAME>`). Read on every ping. */
  secrets: SecretResolver;
  /** @default silent */
  log?: Log;
  /**
   * Rate limits per source address and per check, before authentication (see `limits.ts`);
   * `false` turns them off. @default new PingLimits() — the same as in AWS
   */
  limits?: PingLimits | false;
}

export interface PingServer {
  /** `http://127.0.0.1:<port>`; pings go to `${url}/ping/<id>`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Reads a body up to the cap; past it, stops reading and reports `tooLarge`. */
function readBody(req: IncomingMessage, cap: number): Promise<{ body?: Buffer; tooLarge?: boolean }> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > cap) {
      req.resume();
      resolve({ tooLarge: true });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > cap) {
        done = true;
        resolve({ tooLarge: true });
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!done) resolve({ body: Buffer.concat(chunks) });
      done = true;
    });
    req.on('error', () => {
      if (!done) resolve({ body: Buffer.concat(chunks) });
      done = true;
    });
  });
}

export async function startPingServer(opts: PingServerOptions): Promise<PingServer> {
  const log = opts.log ?? silentLog;
  const store = new PingStore({
    client: opts.client,
    tableName: opts.tableName,
    retentionMs: ms(opts.config.retention),
  });
  const deps = {
    checks: heartbeatTokens(opts.config),
    // Locally secrets come from the environment: cheap, so read fresh each time (a changed token counts at once).
    secrets: opts.secrets,
    store,
    limits: opts.limits === false ? undefined : (opts.limits ?? new PingLimits()),
    log,
  };

  const server = createServer(async (req, res) => {
    const send = (r: PingResponse) => {
      if (res.headersSent) return;
      res.writeHead(r.statusCode, { ...r.headers, connection: 'close' });
      res.end(r.body);
    };
    try {
      const { body, tooLarge } = await readBody(req, MAX_PING_BODY_BYTES);
      // Let handlePing answer (413) with a body one byte over the cap, without keeping it all.
      const r = await handlePing(
        {
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          headers: req.headers,
          body: tooLarge ? new Uint8Array(MAX_PING_BODY_BYTES + 1) : body,
          source: req.socket.remoteAddress,
        },
        deps,
      );
      send(r);
      if (tooLarge) req.socket.destroySoon?.();
    } catch (e) {
      log.error('ping server failed', { error: (e as Error).message });
      send({ statusCode: 500, headers: { 'content-type': 'application/json' }, body: '{"error":"internal error"}\n' });
    }
  });
  // A slow or stuck client cannot hold a connection for long.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    port: addr.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
