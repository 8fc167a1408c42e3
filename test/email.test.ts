/**
 * The email kind against a real mail system on loopback: Postfix (SMTP + submission with
 * STARTTLS and AUTH) delivering to Maildir, Dovecot (IMAP + IMAPS) reading it. The fixture
 * starts and stops both; see test/helpers/mail-system.ts.
 */
import net from 'node:net';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../shared/config/validate';
import type { ValidatedCheck } from '../shared/config/types';
import { runCheck } from '../shared/runner/run-check';
import type { CheckResult } from '../shared/types';
import { makeTag, PROBE_HEADER } from '../shared/probes/email/message';
import { startMailSystem, type MailSystem, type MailUser } from './helpers/mail-system';

let mail: MailSystem;
/** Secret name → value, read by the runner's resolver. */
const secrets = new Map<string, string>();
const resolve = async (name: string) => {
  const v = secrets.get(name);
  if (v === undefined) throw new Error(`no secret ${name}`);
  return v;
};

beforeAll(async () => {
  mail = await startMailSystem();
  for (const [name, u] of Object.entries(mail.users)) secrets.set(name, u.pass);
  secrets.set('wrong', 'not-the-password');
}, 60_000);

afterAll(async () => {
  await mail?.stop();
});

/** An email check from submission (STARTTLS + AUTH) to IMAPS, both trusting the test CA. */
function emailCheck(over: Record<string, unknown> = {}, user: keyof MailSystem['users'] = 'probe'): ValidatedCheck {
  const u = mail.users[user];
  const raw = {
    id: 'mail-roundtrip',
    kind: 'email',
    timeout: '15s',
    smtp: { ...mail.submission, auth: { user: u.user, pass: { secret: user } }, tls: { ca: mail.caFile } },
    imap: { ...mail.imaps, secure: true, auth: { user: u.user, pass: { secret: user } }, tls: { ca: mail.caFile } },
    from: u.user,
    to: u.user,
    ...over,
  };
  return parseConfig({ project: 'mailtest', homeRegion: 'eu-central-1', regions: ['eu-central-1'], checks: [raw] })
    .checks[0]!;
}

const runIt = (check: ValidatedCheck) => runCheck(check, { region: 'local', secrets: resolve });

async function withMailbox<T>(user: MailUser, fn: (c: ImapFlow) => Promise<T>): Promise<T> {
  const c = await mail.imapClient(user);
  try {
    await c.mailboxOpen('INBOX');
    return await fn(c);
  } finally {
    await c.logout().catch(() => c.close());
  }
}

/** UID, flags and probe header of every message in the user's INBOX. */
function listMailbox(user: MailUser) {
  return withMailbox(user, async (c) => {
    const out: Array<{ uid: number; flags: string[]; subject: string; probe?: string }> = [];
    if (!c.mailbox || c.mailbox.exists === 0) return out;
    for await (const m of c.fetch('1:*', { uid: true, flags: true, envelope: true, headers: [PROBE_HEADER] })) {
      const probe = /x-watchpost-probe:\s*(\S+)/i.exec(m.headers?.toString() ?? '')?.[1];
      out.push({
        uid: m.uid,
        flags: [...(m.flags ?? [])].sort(),
        subject: m.envelope?.subject ?? '',
        ...(probe ? { probe } : {}),
      });
    }
    return out;
  });
}

function expectNoSecrets(r: CheckResult) {
  const text = JSON.stringify(r);
  for (const u of Object.values(mail.users)) expect(text).not.toContain(u.pass);
  expect(text).not.toContain('not-the-password');
}

function rawMessage(opts: { subject: string; probe?: string; messageId?: string }): string {
  return [
    `From: someone@${mail.domain}`,
    `To: ${mail.users.probe.user}`,
    `Subject: ${opts.subject}`,
    `Message-ID: ${opts.messageId ?? `<${Math.random().toString(36).slice(2)}@example.test>`}`,
    'Date: Fri, 20 Nov 2026 10:00:00 +0000',
    ...(opts.probe ? [`${PROBE_HEADER}: ${opts.probe}`] : []),
    '',
    'hello',
    '',
  ].join('\r\n');
}

describe('email round trip against Postfix + Dovecot', () => {
  it('passes with its timings, metrics and hops, and leaves the mailbox empty', async () => {
    const r = await runIt(emailCheck());
    expect(r.error, mail.logs()).toBeUndefined();
    expect(r.status).toBe('pass');
    for (const k of ['smtpConnect', 'smtpAccept', 'transit', 'imapConnect', 'fetch', 'total']) {
      expect(typeof r.timings[k], k).toBe('number');
      expect(r.timings[k]!, k).toBeGreaterThanOrEqual(0);
    }
    expect(Object.keys(r.metrics).sort()).toEqual(['SmtpAcceptTime', 'TransitTime']);
    expect(r.metrics.TransitTime).toBe(r.timings.transit);
    const d = r.details as Record<string, any>;
    expect(d.tag).toMatch(/^mail-roundtrip\.[0-9a-z]+-[0-9a-f]{12}$/);
    expect(d.queueId).toMatch(/^[0-9A-F]+$/);
    expect(d.smtpTls).toMatch(/^TLSv1\.[23]$/);
    expect(d.imapTls).toMatch(/^TLSv1\.[23]$/);
    expect(d.idle).toBe(true);
    expect(d.hops).toEqual([expect.objectContaining({ by: `mail.${mail.domain}`, with: 'ESMTPSA' })]);
    expect(d.cleanup).toEqual({ deleted: 'expunged', swept: 0 });
    expect(await listMailbox(mail.users.probe)).toEqual([]);
  });

  it('works MX-style: port 25 without AUTH, IMAP with STARTTLS; asserts on the delivered copy', async () => {
    const r = await runIt(
      emailCheck({
        smtp: { ...mail.smtp, tls: { ca: mail.caPem } },
        imap: {
          ...mail.imap,
          starttls: 'required',
          auth: { user: mail.users.probe.user, pass: { secret: 'probe' } },
          tls: { ca: mail.caFile },
        },
        assertions: [
          { source: 'header', property: 'x-watchpost-probe', comparison: 'matches', target: '^mail-roundtrip\\.' },
          { source: 'hops', comparison: 'equals', target: 1 },
          { source: 'subject', comparison: 'contains', target: 'watchpost probe' },
          { source: 'auth', property: 'dkim', comparison: 'notExists' },
        ],
      }),
    );
    expect(r.error, mail.logs()).toBeUndefined();
    expect(r.status).toBe('pass');
    expect(r.assertions.map((a) => a.pass)).toEqual([true, true, true, true]);
    expect((r.details as any).hops[0].with).toBe('ESMTPS');
  });

  it('wrong SMTP password: AUTH, saying SMTP and the user, never the password', async () => {
    const r = await runIt(
      emailCheck({
        smtp: {
          ...mail.submission,
          auth: { user: mail.users.probe.user, pass: { secret: 'wrong' } },
          tls: { ca: mail.caFile },
        },
      }),
    );
    expect(r.status).toBe('fail');
    expect(r.error?.code).toBe('AUTH');
    expect(r.error?.message).toMatch(
      new RegExp(
        `^SMTP login failed for user ${mail.users.probe.user} at 127\\.0\\.0\\.1:${mail.submission.port}: 535`,
      ),
    );
    expectNoSecrets(r);
  });

  it('wrong IMAP password: AUTH, saying IMAP, and nothing was sent', async () => {
    const before = await listMailbox(mail.users.probe);
    const r = await runIt(
      emailCheck({
        imap: {
          ...mail.imaps,
          secure: true,
          auth: { user: mail.users.probe.user, pass: { secret: 'wrong' } },
          tls: { ca: mail.caFile },
        },
      }),
    );
    expect(r.error?.code).toBe('AUTH');
    expect(r.error?.message).toMatch(
      new RegExp(`^IMAP login failed for user ${mail.users.probe.user} at 127\\.0\\.0\\.1:${mail.imaps.port}`),
    );
    expect(r.timings.smtpAccept).toBeUndefined();
    expectNoSecrets(r);
    expect(await listMailbox(mail.users.probe)).toEqual(before);
  });

  it('SMTP down: CONNECT_REFUSED naming SMTP and host:port', async () => {
    const port = await closedPort();
    const r = await runIt(
      emailCheck({
        smtp: { host: '127.0.0.1', port, auth: { user: mail.users.probe.user, pass: { secret: 'probe' } } },
      }),
    );
    expect(r.error).toEqual({
      code: 'CONNECT_REFUSED',
      message: `SMTP server 127.0.0.1:${port} refused the connection`,
    });
  });

  it('IMAP down: CONNECT_REFUSED naming IMAP and host:port', async () => {
    const port = await closedPort();
    const r = await runIt(
      emailCheck({
        imap: {
          host: '127.0.0.1',
          port,
          secure: true,
          auth: { user: mail.users.probe.user, pass: { secret: 'probe' } },
        },
      }),
    );
    expect(r.error).toEqual({
      code: 'CONNECT_REFUSED',
      message: `IMAP server 127.0.0.1:${port} refused the connection`,
    });
  });

  it('a recipient the server rejects: REJECTED with the server’s words', async () => {
    const r = await runIt(emailCheck({ to: `nobody@${mail.domain}` }));
    expect(r.error?.code).toBe('REJECTED');
    expect(r.error?.message).toContain(`rejected the recipient <nobody@${mail.domain}> (RCPT TO): 550 5.1.1`);
    expect(r.error?.message).toContain('User unknown');
  });

  it('a message that never arrives: NOT_DELIVERED from the probe itself, inside the timeout', async () => {
    // Postfix accepts mail for held@ and puts it on hold.
    const r = await runIt(emailCheck({ timeout: '3s' }, 'held'));
    expect(r.error?.code, JSON.stringify(r)).toBe('NOT_DELIVERED');
    expect(r.error?.message).toMatch(/^the message was accepted by 127\.0\.0\.1:\d+ \(queue id [0-9A-F]+\) but /);
    expect(r.error?.message).toMatch(/ but did not arrive in held@watchpost\.test\/INBOX at 127\.0\.0\.1:\d+ within /);
    expect(r.timings.smtpAccept).toBeGreaterThanOrEqual(0);
    expect(r.timings.transit).toBeUndefined();
    expect(r.metrics).toEqual({ SmtpAcceptTime: r.timings.smtpAccept });
    expect(r.durationMs).toBeLessThan(3_000 + 500);
  });

  it('an SMTP server that stalls: TIMEOUT for that phase, not NOT_DELIVERED', async () => {
    const sockets = new Set<net.Socket>();
    const stall = net.createServer((sock) => void sockets.add(sock)); // accepts, never greets
    await new Promise<void>((r) => stall.listen(0, '127.0.0.1', r));
    const port = (stall.address() as net.AddressInfo).port;
    try {
      const r = await runIt(emailCheck({ timeout: '2s', smtp: { host: '127.0.0.1', port, starttls: 'off' } }));
      expect(r.error?.code).toBe('TIMEOUT');
      expect(r.error?.message).toContain(`SMTP server 127.0.0.1:${port} did not finish connecting`);
    } finally {
      for (const sock of sockets) sock.destroy();
      await new Promise((r) => stall.close(r));
    }
  });

  it('an untrusted certificate: TLS, on the SMTP side (STARTTLS) and on the IMAP side (IMAPS)', async () => {
    const smtp = await runIt(
      emailCheck({ smtp: { ...mail.submission, auth: { user: mail.users.probe.user, pass: { secret: 'probe' } } } }),
    );
    expect(smtp.error?.code).toBe('TLS');
    expect(smtp.error?.message).toMatch(
      new RegExp(`^SMTP TLS with 127\\.0\\.0\\.1:${mail.submission.port} failed: .*(certificate|issuer)`, 'i'),
    );
    const imap = await runIt(
      emailCheck({
        imap: { ...mail.imaps, secure: true, auth: { user: mail.users.probe.user, pass: { secret: 'probe' } } },
      }),
    );
    expect(imap.error?.code).toBe('TLS');
    expect(imap.error?.message).toMatch(
      new RegExp(`^IMAP TLS with 127\\.0\\.0\\.1:${mail.imaps.port} failed: .*(certificate|issuer)`, 'i'),
    );
  });

  it('cleanup: deletes its own message and stale ones of this check, and leaves everything else', async () => {
    const hour = 3_600_000;
    const staleTag = makeTag('mail-roundtrip', Date.now() - hour);
    const seeded = [
      { subject: 'a real message' },
      { subject: 'a real message someone flagged deleted', flags: ['\\Deleted'] },
      { subject: 'another check’s old probe', probe: makeTag('other-check', Date.now() - hour) },
      { subject: 'a look-alike id', probe: makeTag('mail-roundtrip-2', Date.now() - hour) },
      { subject: 'a live run of this check elsewhere', probe: makeTag('mail-roundtrip', Date.now() - 5_000) },
      { subject: `watchpost probe ${staleTag} (subject only, no header)` },
      { subject: 'a dead run of this check', probe: staleTag },
    ];
    await withMailbox(mail.users.probe, async (c) => {
      for (const m of seeded) await c.append('INBOX', rawMessage(m), (m as { flags?: string[] }).flags ?? []);
    });
    const before = await listMailbox(mail.users.probe);
    expect(before).toHaveLength(seeded.length);

    const r = await runIt(emailCheck());
    expect(r.error, mail.logs()).toBeUndefined();
    expect((r.details as any).cleanup).toEqual({ deleted: 'expunged', swept: 1 });
    const after = await listMailbox(mail.users.probe);
    expect(after).toEqual(before.filter((m) => m.probe !== staleTag));

    // Leave the mailbox empty for the other tests.
    await withMailbox(mail.users.probe, async (c) => {
      await c.messageDelete('1:*');
    });
  });

  it('three checks in parallel on one mailbox each find their own message', async () => {
    const ids = ['par-a', 'par-b', 'par-c'];
    const results = await Promise.all(ids.map((id) => runIt(emailCheck({ id }, 'other'))));
    for (const [i, r] of results.entries()) {
      expect(r.error, `${ids[i]}: ${JSON.stringify(r.error)}`).toBeUndefined();
      expect((r.details as any).tag.startsWith(`${ids[i]}.`)).toBe(true);
      expect((r.details as any).cleanup.deleted).toBe('expunged');
    }
    expect(await listMailbox(mail.users.other)).toEqual([]);
  });
});

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}
