/**
 * undici's `connect` hook for the http probe, built on the shared network layer: a fresh TCP
 * (and TLS) connection per hop, each phase timed (dns, connect, tls) and each failure classified
 * where it happens, so a message can say "certificate of shop.example.com expired on …" rather
 * than "fetch failed".
 */
import type * as net from 'node:net';
import type * as tls from 'node:tls';
import { connect, fail, NetError, now, type CertFacts, type TlsSession } from '../net';
import type { Phase } from './errors';

/** What a hop connects to. */
export interface Target {
  /** Host without IPv6 brackets. */
  host: string;
  port: number;
  https: boolean;
  /** `host:port` as the URL writes it, for messages. */
  label: string;
}

/** Certificate facts for details (never secret). */
export interface TlsDetails {
  protocol: string | null;
  cipher?: string;
  subject?: string;
  issuer?: string;
  validTo?: string;
  daysToExpiry?: number;
}

/** Mutable state of one hop, shared by the connector and the request handler. */
export interface HopState {
  phase: Phase;
  /** Set once the hop is over (answered, failed or aborted): late callbacks do nothing. */
  closed: boolean;
  dns: number;
  connect: number;
  tls: number;
  /** performance.now() when the connection was handed to undici. */
  ready: number;
  remoteAddress?: string;
  /** From the status line of the response, e.g. `1.1` or `1.0`. */
  httpVersion?: string;
  tlsDetails?: TlsDetails;
  /** Ends a connection attempt still in progress (set by {@link openHopConnection}). */
  cancel?: () => void;
}

export interface HopConnectOptions {
  signal: AbortSignal;
  timeoutMs: number;
  lookup: net.LookupFunction;
  secureContext?: tls.SecureContext;
  insecure: boolean;
}

/** undici's connector callback. */
export type ConnectCallback = (...args: [null, net.Socket] | [Error, null]) => void;

export function targetOf(url: URL): Target {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const https = url.protocol === 'https:';
  return { host, port: url.port ? Number(url.port) : https ? 443 : 80, https, label: url.host };
}

function tlsDetailsOf(session: TlsSession | undefined, cert: CertFacts | undefined): TlsDetails | undefined {
  if (!cert) return undefined;
  const validTo = cert.validTo;
  return {
    protocol: session?.protocol ?? null,
    cipher: session?.cipher,
    subject: cert.subject,
    issuer: cert.issuer?.replace(/^CN=/, ''),
    validTo: validTo?.toISOString(),
    daysToExpiry: validTo ? Math.floor((validTo.getTime() - Date.now()) / 86_400_000) : undefined,
  };
}

/**
 * Opens the connection for one hop and calls back with the socket (or a {@link NetError}).
 * Times and the phase are written into `st` as the connection goes.
 */
export function openHopConnection(target: Target, opts: HopConnectOptions, st: HopState, cb: ConnectCallback): void {
  if (st.closed) {
    cb(new NetError(fail('TIMEOUT', 'aborted')), null);
    return;
  }
  const conn = connect({
    host: target.host,
    port: target.port,
    label: target.label,
    signal: opts.signal,
    timeoutMs: opts.timeoutMs,
    lookup: opts.lookup,
    tls: target.https
      ? { secureContext: opts.secureContext, verify: !opts.insecure, ALPNProtocols: ['http/1.1'] }
      : undefined,
    onPhase: (phase, address) => {
      st.phase = phase;
      if (address) st.remoteAddress = address;
    },
  });
  st.cancel = conn.cancel;
  void conn.result.then((r) => {
    st.dns = r.timings.dns ?? 0;
    st.connect = r.timings.connect ?? 0;
    st.tls = r.timings.tls ?? 0;
    if (r.remoteAddress) st.remoteAddress = r.remoteAddress;
    const details = tlsDetailsOf(r.session, r.certificate);
    if (details) st.tlsDetails = details;
    if (!r.ok || st.closed) {
      if (r.ok) {
        r.tlsSocket?.destroy();
        r.socket.destroy();
      }
      return cb(new NetError(r.ok ? fail('TIMEOUT', 'aborted') : r.error), null);
    }
    const socket = r.tlsSocket ?? r.socket;
    st.phase = 'headers';
    st.ready = now();
    // undici reads with 'readable' + read(), so this sees its first chunk and changes no flow.
    socket.once('data', (chunk: Buffer) => {
      const m = /^HTTP\/(\d(?:\.\d)?) /.exec(chunk.toString('latin1', 0, 12));
      if (m) st.httpVersion = m[1];
    });
    cb(null, socket);
  });
}
