/**
 * The one way a probe opens a connection: name lookup, TCP connect (trying the next address
 * when one fails hard, e.g. `localhost` → ::1 refused while 127.0.0.1 listens), then optionally
 * a TLS handshake; each phase timed (`dns`, `connect`, `tls`), the abort signal honoured in
 * every phase, and every failure a classified {@link CheckError}. Used by http (as undici's
 * connector), tcp and tls.
 */
import * as dns from 'node:dns';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { CheckError } from '../../types';
import { certFactsOf, certificateError, type CertFacts } from './certs';
import {
  connectError,
  connectTimeoutError,
  dnsError,
  fail,
  handshakeError,
  hostPort,
  where,
  type ConnectPhase,
} from './errors';
import { now, round } from './timing';

/** The TLS step of a connection. */
export interface TlsStep {
  /** The name the certificate must cover, sent as SNI unless it is an IP address. @default the host */
  servername?: string;
  /** Roots to trust (see `trustContext`). @default node's */
  secureContext?: tls.SecureContext;
  /**
   * `true`: trust and host name are judged here and a bad certificate is a `TLS` error saying why.
   * `false`: any certificate is accepted (insecure, or a kind that judges the certificate itself);
   * `authorized` then reflects trust only.
   */
  verify: boolean;
  /** Where a CA is added in the kind at hand, for hints. @default 'tls.ca' */
  caField?: string;
  ALPNProtocols?: string[];
}

/** What to connect to, and within what. */
export interface ConnectOptions {
  /** A name or an IP address (no brackets). */
  host: string;
  port: number;
  /** How messages name the target. @default host:port */
  label?: string;
  /** Stops the attempt in whatever phase it is (the timeout). */
  signal: AbortSignal;
  /** ms the attempt may take (for messages; the signal does the stopping). */
  timeoutMs: number;
  /** @default dns.lookup */
  lookup?: net.LookupFunction;
  /** Shake hands after the TCP connect. */
  tls?: TlsStep;
  /** Told when a phase begins (and the address once connected). */
  onPhase?: (phase: ConnectPhase, remoteAddress?: string) => void;
}

/** Rounded ms of the phases that ran (a failed phase included, up to its failure). */
export interface ConnectTimings {
  dns?: number;
  connect?: number;
  tls?: number;
}

export type ConnectResult =
  | {
      ok: true;
      /** The TCP socket; with TLS, talk over `tlsSocket`. The caller destroys both. */
      socket: net.Socket;
      tlsSocket?: tls.TLSSocket;
      remoteAddress: string;
      timings: ConnectTimings;
      /** The peer certificate's facts (with TLS). */
      certificate?: CertFacts;
      session?: TlsSession;
    }
  | {
      ok: false;
      error: CheckError;
      phase: ConnectPhase;
      timings: ConnectTimings;
      remoteAddress?: string;
      /** Set when the handshake finished and the certificate was rejected. */
      certificate?: CertFacts;
      session?: TlsSession;
    };

/** What a finished handshake agreed on. */
export interface TlsSession {
  protocol: string | null;
  cipher?: string;
}

/** A connection attempt under way. */
export interface Connection {
  /** Settles (never rejects) when connected, failed, aborted or cancelled. */
  readonly result: Promise<ConnectResult>;
  /** Ends the attempt now (it settles as a timeout of the current phase); sockets are destroyed. */
  cancel(): void;
}

type Addr = { address: string; family: number };

function addressesOf(address: string | dns.LookupAddress[] | undefined, family: number | undefined): Addr[] {
  if (Array.isArray(address)) return address.map((a) => ({ address: a.address, family: a.family }));
  if (typeof address === 'string') return [{ address, family: family ?? net.isIP(address) }];
  return [];
}

const noop = () => {};

/** Starts a connection; see {@link openConnection} for the promise alone. */
export function connect(o: ConnectOptions): Connection {
  const label = o.label ?? hostPort(o.host, o.port);
  const ipFamily = net.isIP(o.host);
  const timings: ConnectTimings = {};
  let phase: ConnectPhase = ipFamily ? 'connect' : 'dns';
  let mark = now();
  let remoteAddress: string | undefined;
  let sockets: net.Socket[] = [];
  let settled = false;
  let resolve!: (r: ConnectResult) => void;
  const result = new Promise<ConnectResult>((r) => (resolve = r));

  const enter = (p: ConnectPhase) => {
    phase = p;
    mark = now();
    o.onPhase?.(p, remoteAddress);
  };
  const settle = (r: ConnectResult) => {
    if (settled) return;
    settled = true;
    o.signal.removeEventListener('abort', onAbort);
    resolve(r);
  };
  const failWith = (error: CheckError, certificate?: CertFacts, session?: TlsSession) => {
    if (settled) return;
    if (timings[phase] === undefined) timings[phase] = round(now() - mark);
    settle({ ok: false, error, phase, timings, remoteAddress, ...(certificate ? { certificate, session } : {}) });
    // After settling: destroying a socket may emit 'close' at once, which must not be the verdict.
    // The TLS socket before the TCP one it wraps (the other order crashes node inside OpenSSL).
    for (const s of [...sockets].reverse()) s.destroy();
  };
  function onAbort() {
    failWith(connectTimeoutError(phase, o.host, where(label, remoteAddress), o.timeoutMs));
  }

  const handshake = (raw: net.Socket, step: TlsStep) => {
    enter('tls');
    const name = step.servername ?? o.host;
    const sock = tls.connect({
      socket: raw,
      // SNI may not carry an IP address (RFC 6066); the identity check still uses the name.
      ...(net.isIP(name) ? {} : { servername: name }),
      secureContext: step.secureContext,
      // Judged below, so the message can describe the certificate (expiry date, names): with
      // rejectUnauthorized the socket is gone before it could be read.
      rejectUnauthorized: false,
      checkServerIdentity: (_host, cert) => (step.verify ? tls.checkServerIdentity(name, cert) : undefined),
      ...(step.ALPNProtocols ? { ALPNProtocols: step.ALPNProtocols } : {}),
    });
    sockets.push(sock);
    const at = where(label, remoteAddress);
    sock.on('error', (e) => failWith(handshakeError(at, e)));
    sock.once('close', () =>
      failWith(fail('TLS', `TLS handshake with ${at} failed: the server closed the connection`)),
    );
    sock.once('secureConnect', () => {
      if (settled) return;
      timings.tls = round(now() - mark);
      const certificate = certFactsOf(sock);
      const session: TlsSession = { protocol: sock.getProtocol(), cipher: sock.getCipher()?.name };
      if (step.verify && !sock.authorized) {
        const reason = String(sock.authorizationError ?? 'CERT_UNTRUSTED');
        return failWith(certificateError(name, reason, certificate, step.caField), certificate, session);
      }
      settle({ ok: true, socket: raw, tlsSocket: sock, remoteAddress: remoteAddress!, timings, certificate, session });
    });
  };

  const attempt = (addrs: Addr[], i: number) => {
    if (settled) return;
    const { address, family } = addrs[i]!;
    const sock = net.connect({ host: address, port: o.port, family: family || undefined, noDelay: true });
    sockets.push(sock);
    const onError = (e: NodeJS.ErrnoException) => {
      sock.removeListener('connect', onConnect);
      sock.destroy();
      if (settled) return;
      // The next address on a hard failure; a timeout would only repeat itself.
      if (i + 1 < addrs.length && e.code !== 'ETIMEDOUT') {
        sockets = sockets.filter((s) => s !== sock);
        return attempt(addrs, i + 1);
      }
      failWith(connectError(where(label, address), e));
    };
    const onConnect = () => {
      sock.removeListener('error', onError);
      // Errors after this point belong to the TLS socket or the caller; none may crash the process.
      sock.on('error', noop);
      if (settled) return;
      timings.connect = round(now() - mark);
      remoteAddress = address;
      if (o.tls) return handshake(sock, o.tls);
      settle({ ok: true, socket: sock, remoteAddress: address, timings });
    };
    sock.once('error', onError);
    sock.once('connect', onConnect);
  };

  const connectTo = (addrs: Addr[]) => {
    enter('connect');
    attempt(addrs, 0);
  };

  if (o.signal.aborted) {
    onAbort();
    return { result, cancel: noop };
  }
  o.signal.addEventListener('abort', onAbort, { once: true });
  if (ipFamily) connectTo([{ address: o.host, family: ipFamily }]);
  else {
    o.onPhase?.('dns');
    try {
      (o.lookup ?? (dns.lookup as unknown as net.LookupFunction))(o.host, { all: true }, (err, address, family) => {
        if (settled) return;
        timings.dns = round(now() - mark);
        if (err) return failWith(dnsError(o.host, err));
        const addrs = addressesOf(address as string | dns.LookupAddress[], family);
        if (!addrs.length) return failWith(fail('DNS', `cannot resolve ${o.host}: no addresses`));
        connectTo(addrs);
      });
    } catch (e) {
      failWith(dnsError(o.host, e));
    }
  }
  return { result, cancel: onAbort };
}

/**
 * Connects (and shakes hands) within the signal. Never rejects: a failure is `{ ok: false }`
 * with the phase it happened in. The caller owns the returned sockets (and must destroy them).
 * @example
 * const c = await openConnection({ host: 'shop.test', port: 443, signal, timeoutMs: 5000, tls: { verify: true } });
 * if (!c.ok) return { error: c.error, timings: c.timings };
 */
export function openConnection(o: ConnectOptions): Promise<ConnectResult> {
  return connect(o).result;
}
