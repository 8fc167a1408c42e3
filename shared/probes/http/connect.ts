/**
 * undici's `connect` hook for the http probe: a fresh TCP (and TLS) connection per hop, with
 * each phase timed (dns, connect, tls) and each failure classified where it happens, so a
 * message can say "certificate of shop.example.com expired on …" rather than "fetch failed".
 */
import * as dns from 'node:dns';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { CheckError } from '../../types';
import { certificateError, certificateNames, connectError, dnsError, fail, handshakeError, HopError, type Phase } from './errors';

/** What a hop connects to. */
export interface Target {
  /** Host without IPv6 brackets. */
  host: string;
  port: number;
  https: boolean;
  /** 4 or 6 for an IP literal (no name lookup), 0 for a name. */
  ipFamily: number;
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
  /** The socket while it is still ours (connecting, handshaking). */
  socket?: net.Socket;
  /** Ends a connection attempt still in progress (set by {@link openConnection}). */
  cancel?: () => void;
}

export interface ConnectOptions {
  lookup: net.LookupFunction;
  secureContext?: tls.SecureContext;
  insecure: boolean;
}

/** undici's connector callback. */
export type ConnectCallback = (...args: [null, net.Socket] | [Error, null]) => void;

const noop = () => {};
const now = () => performance.now();

export function targetOf(url: URL): Target {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const https = url.protocol === 'https:';
  return { host, port: url.port ? Number(url.port) : https ? 443 : 80, https, ipFamily: net.isIP(host), label: url.host };
}

type Addr = { address: string; family: number };

function normalizeAddresses(address: string | dns.LookupAddress[] | undefined, family: number | undefined): Addr[] {
  if (Array.isArray(address)) return address.map((a) => ({ address: a.address, family: a.family }));
  if (typeof address === 'string') return [{ address, family: family ?? net.isIP(address) }];
  return [];
}

/**
 * Opens the connection for one hop and calls back with the socket (or a {@link HopError}).
 * Times are written into `st` as each phase ends.
 */
export function openConnection(target: Target, opts: ConnectOptions, st: HopState, cb: ConnectCallback): void {
  let done = false;
  const finish = (err: CheckError | null, socket: net.Socket | null) => {
    if (done) return;
    done = true;
    st.socket = undefined;
    if (err || st.closed || !socket) {
      socket?.destroy();
      cb(new HopError(err ?? fail('TIMEOUT', 'aborted')), null);
    } else {
      st.phase = 'headers';
      st.ready = now();
      // undici reads with 'readable' + read(), so this sees its first chunk and changes no flow.
      socket.once('data', (chunk: Buffer) => {
        const m = /^HTTP\/(\d(?:\.\d)?) /.exec(chunk.toString('latin1', 0, 12));
        if (m) st.httpVersion = m[1];
      });
      cb(null, socket);
    }
  };
  st.cancel = () => {
    const s = st.socket;
    finish(null, null);
    s?.destroy();
  };

  const handshake = (raw: net.Socket) => {
    st.phase = 'tls';
    const t = now();
    const sock = tls.connect({
      socket: raw,
      // SNI only for names; identity is checked against `host` (names and IP literals alike).
      servername: target.ipFamily ? undefined : target.host,
      host: target.host,
      secureContext: opts.secureContext,
      // Verified below instead, so the message can describe the certificate (expiry date,
      // names): with rejectUnauthorized the socket is gone before we could read it.
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    });
    st.socket = sock;
    const onError = (err: NodeJS.ErrnoException) => {
      sock.removeListener('secureConnect', onSecure);
      finish(handshakeError(target.label, st.remoteAddress, err), null);
    };
    const onSecure = () => {
      st.tls = now() - t;
      sock.removeListener('error', onError);
      const cert = sock.getPeerCertificate();
      const validTo = cert.valid_to ? new Date(cert.valid_to) : undefined;
      const cn = (v: unknown) => (Array.isArray(v) ? v.join(', ') : typeof v === 'string' ? v : undefined);
      st.tlsDetails = {
        protocol: sock.getProtocol(),
        cipher: sock.getCipher()?.name,
        subject: cn(cert.subject?.CN),
        issuer: cn(cert.issuer?.CN),
        validTo: validTo && !Number.isNaN(validTo.getTime()) ? validTo.toISOString() : undefined,
        daysToExpiry: validTo && !Number.isNaN(validTo.getTime()) ? Math.floor((validTo.getTime() - Date.now()) / 86_400_000) : undefined,
      };
      if (!opts.insecure && !sock.authorized) {
        const reason = String(sock.authorizationError ?? 'UNKNOWN');
        const facts = {
          subject: st.tlsDetails.subject,
          issuer: st.tlsDetails.issuer,
          validTo,
          validFrom: cert.valid_from ? new Date(cert.valid_from) : undefined,
          names: certificateNames(cert.subjectaltname, st.tlsDetails.subject),
        };
        finish(certificateError(target.host, reason, facts), sock);
        return;
      }
      finish(null, sock);
    };
    sock.once('error', onError);
    sock.once('secureConnect', onSecure);
  };

  const attempt = (addrs: Addr[], i: number, t: number) => {
    if (st.closed) return finish(null, null);
    st.phase = 'connect';
    const { address, family } = addrs[i]!;
    const sock = net.connect({ host: address, port: target.port, family: family || undefined, noDelay: true });
    st.socket = sock;
    const onError = (err: NodeJS.ErrnoException) => {
      sock.removeListener('connect', onConnect);
      // Try the next address on a hard failure (e.g. "localhost" → ::1 refused, 127.0.0.1 listens).
      if (i + 1 < addrs.length && !st.closed && err.code !== 'ETIMEDOUT') return attempt(addrs, i + 1, t);
      finish(connectError(target.label, address, err), null);
    };
    const onConnect = () => {
      st.connect = now() - t;
      st.remoteAddress = address;
      sock.removeListener('error', onError);
      if (st.closed) return finish(null, sock);
      if (target.https) {
        // Errors after this point belong to the TLS socket; keep the raw one from throwing.
        sock.on('error', noop);
        handshake(sock);
      } else finish(null, sock);
    };
    sock.once('error', onError);
    sock.once('connect', onConnect);
  };

  if (st.closed) return finish(null, null);
  if (target.ipFamily) {
    st.dns = 0;
    attempt([{ address: target.host, family: target.ipFamily }], 0, now());
    return;
  }
  st.phase = 'dns';
  const t = now();
  try {
    opts.lookup(target.host, { all: true }, (err, address, family) => {
      if (done) return;
      st.dns = now() - t;
      if (err) return finish(dnsError(target.host, err), null);
      const addrs = normalizeAddresses(address as string | dns.LookupAddress[], family);
      if (!addrs.length) return finish(fail('DNS', `cannot resolve ${target.host}: no addresses`), null);
      attempt(addrs, 0, now());
    });
  } catch (e) {
    finish(dnsError(target.host, e as NodeJS.ErrnoException), null);
  }
}
