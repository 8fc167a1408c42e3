/**
 * The sending side: one SMTP session over nodemailer's SMTPConnection (not a transport), so the
 * phases can be timed: connect (+ STARTTLS + AUTH), then end of DATA → the server's 250.
 */
import { Readable } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { StartTls } from './types';

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  starttls: StartTls;
  user?: string;
  pass?: string;
  tls: ConnectionOptions;
  /** ms the whole session may take (connection, greeting and socket timeouts). */
  budgetMs: number;
}

export interface Accepted {
  /** End of DATA (the message's last byte handed to the socket) → the 250 reply, ms. */
  acceptMs: number;
  /** ms since epoch of the 250 reply. */
  acceptedAt: number;
  /** The server's final reply, e.g. `250 2.0.0 Ok: queued as 4F1B2C`. */
  response: string;
  /** The server's queue id, when its reply names one (Postfix, Exim, Exchange…). */
  queueId?: string;
  /** A Message-ID the server gave the message instead of ours (Microsoft 365, SES). */
  serverMessageId?: string;
}

/** Queue ids as the common servers report them in the 250 reply to DATA. */
export function queueIdOf(response: string): string | undefined {
  const m =
    /queued as ([A-Za-z0-9]+)/i.exec(response) ?? // Postfix
    /\bid=([A-Za-z0-9-]+)/i.exec(response) ?? // Exim
    /\[([A-Za-z0-9]{6,}@[^\]\s]+)\]/.exec(response) ?? // Exchange Online: <InternalId> in brackets
    /\s([A-Za-z0-9._-]{6,})\s+-\s+gsmtp\b/i.exec(response); // Gmail: "OK  <time> <id> - gsmtp"
  return m?.[1];
}

export class SmtpSession {
  readonly conn: SMTPConnection;
  /** Rejects the operation in flight; errors are emitted as events, not handed to callbacks. */
  private fail: ((e: unknown) => void) | undefined;
  closed = false;

  constructor(private readonly s: SmtpSettings) {
    // A second past the probe's own phase deadline: the probe's timer decides and names the phase,
    // nodemailer's timers are only a backstop.
    const timeout = Math.max(1, Math.round(s.budgetMs)) + 1_000;
    this.conn = new SMTPConnection({
      host: s.host,
      port: s.port,
      secure: s.secure,
      requireTLS: !s.secure && s.starttls === 'required',
      ignoreTLS: !s.secure && s.starttls === 'off',
      servername: s.tls.servername,
      tls: s.tls,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      socketCloseTimeout: 0,
      logger: false,
    });
    this.conn.on('error', (e: unknown) => this.fail?.(e));
    this.conn.on('end', () => {
      this.closed = true;
    });
  }

  /** TCP (+ TLS) + greeting + EHLO (+ STARTTLS + EHLO) + AUTH. */
  connect(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.fail = reject;
      this.conn.connect((err?: unknown) => {
        if (err) return reject(err);
        if (!this.s.user) return resolve();
        this.conn.login({ user: this.s.user, pass: this.s.pass ?? '' }, (e?: unknown) => (e ? reject(e) : resolve()));
      });
    });
  }

  /** The TLS protocol in use, e.g. `TLSv1.3`, or undefined for plain text. */
  tlsProtocol(): string | undefined {
    const socket = (this.conn as unknown as { _socket?: { getProtocol?: () => string | null } })._socket;
    return socket?.getProtocol?.() ?? undefined;
  }

  /** MAIL FROM, RCPT TO, DATA, the message, and the final reply. */
  send(from: string, to: string, raw: Buffer): Promise<Accepted> {
    return new Promise<Accepted>((resolve, reject) => {
      this.fail = reject;
      let dataEndAt: number | undefined;
      const source = Readable.from([raw]);
      source.once('end', () => {
        dataEndAt = Date.now();
      });
      this.conn.send({ from, to: [to] }, source, (err, info) => {
        if (err) return reject(err);
        const acceptedAt = Date.now();
        const response = String(info?.response ?? '');
        const out: Accepted = { acceptMs: acceptedAt - (dataEndAt ?? acceptedAt), acceptedAt, response };
        const queueId = queueIdOf(response);
        if (queueId) out.queueId = queueId;
        if (info?.serverMessageId) out.serverMessageId = info.serverMessageId;
        resolve(out);
      });
    });
  }

  /** QUIT, without waiting for the answer. */
  quit(): void {
    this.fail = undefined;
    if (this.closed) return;
    try {
      this.conn.quit();
    } catch {
      /* already gone */
    }
  }

  close(): void {
    this.fail = undefined;
    this.closed = true;
    try {
      this.conn.close();
    } catch {
      /* already gone */
    }
  }
}
