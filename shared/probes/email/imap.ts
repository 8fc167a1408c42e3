/**
 * The receiving side: one IMAP session (imapflow) that opens the mailbox before anything is
 * sent, IDLEs, and notes when the server announces each new message, so that arrival is seen
 * the moment the server reports it and attributed to the announcement of that very message.
 */
import type { ConnectionOptions } from 'node:tls';
import { ImapFlow } from 'imapflow';
import { PROBE_HEADER, SUBJECT_PREFIX, headerValues, parseHeaders, parseTag } from './message';
import type { StartTls } from './types';

export interface ImapSettings {
  host: string;
  port: number;
  secure: boolean;
  starttls: StartTls;
  user: string;
  pass: string;
  mailbox: string;
  tls: ConnectionOptions;
  budgetMs: number;
}

/** What identifies our message in the delivered copy. */
export interface Wanted {
  tag: string;
  messageIds: string[];
}

export interface Found {
  uid: number;
  source: Buffer;
  /** ms since epoch the server announced the message (EXISTS), or when a search found it. */
  seenAt: number;
  /** Duration of the FETCH of the whole message, ms. */
  fetchMs: number;
  /**
   * How arrival was seen: `IDLE` pushed the announcement, `EXISTS` came with the answer to a
   * command (e.g. the search right after sending), `SEARCH` found it with no announcement.
   */
  seenBy: 'IDLE' | 'EXISTS' | 'SEARCH';
}

/** A search finds candidates; only the header (or our Message-ID) decides what is ours. */
export function isOurs(source: Buffer | string, wanted: Wanted): boolean {
  const headers = parseHeaders(source);
  if (headerValues(headers, PROBE_HEADER).some((v) => v.trim() === wanted.tag)) return true;
  return headerValues(headers, 'message-id').some((v) => wanted.messageIds.includes(v.trim()));
}

/** While IDLE, re-search this often anyway, in case a server fails to announce a message. */
export const SAFETY_SEARCH_MS = 10_000;

export class ImapWatcher {
  readonly client: ImapFlow;
  /** EXISTS announcements since the mailbox was opened, counts kept in step with expunges. */
  private announced: Array<{ at: number; count: number; idle: boolean }> = [];
  private changes = 0;
  private wake: (() => void) | undefined;
  private uidNext = 1;
  closed = false;
  /** Logged in with the mailbox selected. */
  ready = false;
  supportsIdle = false;
  /** The command of the wait in flight and since when: a stalled SEARCH or FETCH is not a late message. */
  busy: { command: 'search' | 'fetch'; since: number } | undefined;

  constructor(private readonly s: ImapSettings) {
    const timeout = Math.max(1, Math.round(s.budgetMs));
    this.client = new ImapFlow({
      host: s.host,
      port: s.port,
      secure: s.secure,
      ...(s.secure || s.starttls === 'opportunistic' ? {} : { doSTARTTLS: s.starttls === 'required' }),
      servername: s.tls.servername,
      auth: { user: s.user, pass: s.pass },
      tls: s.tls,
      logger: process.env.WATCHPOST_IMAP_DEBUG ? (console as never) : false,
      // We IDLE ourselves, right after SELECT: automatic IDLE waits 15 s.
      disableAutoIdle: true,
      // Past the probe's own phase deadline: the probe's timer decides and names the phase.
      connectionTimeout: timeout + 1_000,
      greetingTimeout: timeout + 1_000,
      socketTimeout: timeout + 5_000,
      clientInfo: { name: 'watchpost' },
    });
    // imapflow emits 'error' for a lost connection; without a listener that would crash the process.
    this.client.on('error', () => {
      this.closed = true;
      this.wake?.();
    });
    this.client.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    this.client.on('exists', (e: { count: number }) => {
      this.announced.push({ at: Date.now(), count: e.count, idle: this.client.idling });
      this.changes++;
      this.wake?.();
    });
    this.client.on('expunge', (e: { seq?: number }) => {
      if (typeof e.seq !== 'number') return;
      for (const a of this.announced) if (e.seq <= a.count) a.count--;
    });
  }

  /** Connect, (STARTTLS,) log in, SELECT the mailbox. */
  async open(): Promise<void> {
    await this.client.connect();
    const box = await this.client.mailboxOpen(this.s.mailbox);
    this.uidNext = box.uidNext;
    this.supportsIdle = this.client.capabilities.has('IDLE');
    this.ready = true;
  }

  tlsProtocol(): string | undefined {
    const socket = (this.client as unknown as { socket?: { getProtocol?: () => string | null } }).socket;
    return socket?.getProtocol?.() ?? undefined;
  }

  /** Starts IDLE (any later command ends it). Never rejects: a broken connection shows in the next command. */
  idle(): void {
    if (this.closed) return;
    this.client.idle().catch(() => undefined);
  }

  /** Resolves on the next announcement, after `ms`, or when the connection goes. */
  private nextChange(since: number, ms: number): Promise<void> {
    if (this.changes !== since || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }

  /** The server's announcement (EXISTS) of the message now at sequence number `seq`. */
  private announcement(seq: number): { at: number; idle: boolean } | undefined {
    return this.announced.find((a) => a.count >= seq);
  }

  /**
   * Searches the messages that arrived since SELECT (UID ≥ UIDNEXT then) for our tag, in the
   * probe header, the Message-ID or the subject (servers differ in what they index), and
   * fetches each candidate until one is ours by its header.
   */
  private async findOnce(wanted: Wanted, notOurs: Set<number>): Promise<Found | undefined> {
    this.busy = { command: 'search', since: Date.now() };
    const uids =
      (await this.client.search(
        {
          uid: `${this.uidNext}:*`,
          or: [
            { header: { [PROBE_HEADER]: wanted.tag } },
            { subject: wanted.tag },
            ...wanted.messageIds.map((id) => ({ header: { 'message-id': id } })),
          ],
        },
        { uid: true },
      )) || [];
    for (const uid of uids) {
      if (notOurs.has(uid) || uid < this.uidNext) continue;
      const started = Date.now();
      this.busy = { command: 'fetch', since: started };
      const msg = await this.client.fetchOne(String(uid), { uid: true, source: true }, { uid: true });
      const fetchMs = Date.now() - started;
      if (msg === false || !msg?.source) continue;
      if (!isOurs(msg.source, wanted)) {
        notOurs.add(uid);
        continue;
      }
      this.busy = undefined;
      const a = this.announcement(msg.seq);
      return {
        uid,
        source: msg.source,
        seenAt: a?.at ?? started,
        fetchMs,
        seenBy: a ? (a.idle ? 'IDLE' : 'EXISTS') : 'SEARCH',
      };
    }
    this.busy = undefined;
    return undefined;
  }

  /**
   * Waits for our message: one search first (it may already be there: this closes the race
   * between SELECT and IDLE), then IDLE and search again on every announcement.
   * The caller bounds it with its deadline.
   */
  async waitFor(wanted: Wanted): Promise<Found> {
    const notOurs = new Set<number>();
    for (;;) {
      const before = this.changes;
      const found = await this.findOnce(wanted, notOurs);
      if (found) return found;
      if (this.closed)
        throw Object.assign(new Error('IMAP connection closed while waiting for the message'), {
          code: 'EConnectionClosed',
        });
      if (this.changes !== before) continue; // something arrived while we searched
      this.idle();
      await this.nextChange(before, SAFETY_SEARCH_MS);
    }
  }

  /** Deletes exactly these UIDs: UID EXPUNGE where the server has UIDPLUS, so nothing else is expunged. */
  async delete(uids: number[]): Promise<'expunged' | 'flagged'> {
    if (!uids.length) return 'expunged';
    const range = uids.join(',');
    if (this.client.capabilities.has('UIDPLUS')) {
      await this.client.messageDelete(range, { uid: true });
      return 'expunged';
    }
    // Without UIDPLUS a plain EXPUNGE would also remove messages someone else flagged \Deleted:
    // expunge only when ours are the only ones, otherwise leave them flagged for the sweep.
    await this.client.messageFlagsAdd(range, ['\\Deleted'], { uid: true });
    const flagged = (await this.client.search({ deleted: true }, { uid: true })) || [];
    if (flagged.every((u) => uids.includes(u))) {
      await this.client.messageDelete(range, { uid: true });
      return 'expunged';
    }
    return 'flagged';
  }

  /**
   * Probe messages of this check older than `olderThanMs`, left by runs that died or messages
   * that arrived after their run gave up. Only messages whose probe header (or Message-ID) is
   * exactly a tag of this check qualify; nothing else is ever touched.
   */
  async stale(checkId: string, olderThanMs: number, now = Date.now()): Promise<number[]> {
    const uids =
      (await this.client.search(
        { or: [{ header: { [PROBE_HEADER]: `${checkId}.` } }, { subject: `${SUBJECT_PREFIX} ${checkId}.` }] },
        { uid: true },
      )) || [];
    if (!uids.length) return [];
    const out: number[] = [];
    for await (const msg of this.client.fetch(
      uids.join(','),
      { uid: true, headers: [PROBE_HEADER, 'message-id'] },
      { uid: true },
    )) {
      if (!msg.headers) continue;
      const headers = parseHeaders(msg.headers);
      const tags = [
        ...headerValues(headers, PROBE_HEADER),
        ...headerValues(headers, 'message-id').map((v) => /^<([^@>]+)@[^>]*>$/.exec(v.trim())?.[1] ?? ''),
      ];
      const tag = tags.map((t) => parseTag(t)).find((t) => t && t.checkId === checkId);
      if (tag && now - tag.sentAt > olderThanMs) out.push(msg.uid);
    }
    return out;
  }

  /** LOGOUT politely within `ms`, else drop the connection. */
  async logout(ms: number): Promise<void> {
    if (this.closed || !this.ready) return this.close();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.client.logout().catch(() => undefined),
      new Promise<void>((r) => {
        timer = setTimeout(r, Math.max(0, ms));
      }),
    ]);
    clearTimeout(timer);
    this.close();
  }

  close(): void {
    this.closed = true;
    this.wake?.();
    try {
      this.client.close();
    } catch {
      /* already gone */
    }
  }
}
