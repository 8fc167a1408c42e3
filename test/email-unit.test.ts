/**
 * The email kind's parts that need no mail system: config validation, the alarm, the message
 * and header parsing, and the SMTP side's error mapping against npm `smtp-server` (the real
 * Postfix + Dovecot round trip is in email.test.ts).
 */
import net from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../shared/config/validate';
import { emailKind } from '../shared/probes/email';
import { smtpError } from '../shared/probes/email/errors';
import { isOurs } from '../shared/probes/email/imap';
import {
  bodyText,
  composeMessage,
  makeTag,
  parseAuthResults,
  parseHeaders,
  parseReceived,
  parseTag,
} from '../shared/probes/email/message';
import { reserveMs } from '../shared/probes/email/probe';
import { queueIdOf, SmtpSession } from '../shared/probes/email/smtp';
import { registry } from '../shared/probes/registry';

const base = {
  id: 'mail',
  kind: 'email',
  smtp: { host: 'smtp.example.com', port: 587, auth: { user: 'probe@example.com', pass: { secret: 'smtp-pass' } } },
  imap: { host: 'imap.example.com', port: 993, auth: { user: 'probe@example.com', pass: { secret: 'imap-pass' } } },
  from: 'probe@example.com',
  to: 'probe@example.com',
};
const validate = (check: Record<string, unknown>) =>
  validateConfig({ project: 'shop', homeRegion: 'eu-central-1', regions: ['eu-central-1'], checks: [check] });
const messages = (r: ReturnType<typeof validate>) =>
  r.diagnostics.map((d) => `${d.path}: ${d.message}${d.hint ? ` — hint: ${d.hint}` : ''}`);

describe('email config', () => {
  it('is registered and fills its defaults', () => {
    expect(registry.get('email')).toBe(emailKind);
    const r = validate(base);
    expect(r.ok, JSON.stringify(r.diagnostics)).toBe(true);
    if (!r.ok) return;
    const c = r.config.checks[0] as any;
    expect(c.timeout).toBe('1m');
    expect(c.frequency).toBe('1m');
    expect(c.imap.mailbox).toBe('INBOX');
    expect(c.smtp.starttls).toBeUndefined(); // applied at run time: "required" unless secure
  });

  it('refuses a password written inline, with a hint', () => {
    const r = validate({ ...base, imap: { ...base.imap, auth: { user: 'u', pass: 'hunter2' } } });
    expect(messages(r)).toEqual([
      'checks[0] "mail".imap.auth.pass: a password may not be written into the config — hint: write { secret: ' +
        '"mail-probe" } and set WATCHPOST_SECRET_MAIL_PROBE locally (Secrets Manager in AWS)',
    ]);
  });

  it('wants transitAfter and acceptAfter below the timeout', () => {
    const r = validate({ ...base, timeout: '30s', transitAfter: '30s', acceptAfter: '1m' });
    expect(messages(r)).toEqual([
      'checks[0] "mail".acceptAfter: "1m" is not below the timeout "30s" — hint: the wait ends at the timeout: a ' +
        'slower message is NOT_DELIVERED, not degraded',
      'checks[0] "mail".transitAfter: "30s" is not below the timeout "30s" — hint: the wait ends at the timeout: a ' +
        'slower message is NOT_DELIVERED, not degraded',
    ]);
    expect(validate({ ...base, timeout: '30s', transitAfter: '10s', acceptAfter: '2s' }).ok).toBe(true);
  });

  it('collects every other problem with its path', () => {
    const r = validate({
      ...base,
      smtp: {
        host: '',
        port: 70000,
        secure: true,
        starttls: 'required',
        auth: { user: 'u', pass: { secret: 's' } },
        tls: { ca: 'x.pem', insecure: true },
      },
      imap: { ...base.imap, starttls: 'sometimes', folder: 'INBOX' },
      to: 'not an address',
    });
    expect(messages(r)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^checks\[0\] "mail"\.smtp\.host: expected a host name or IP address, got ""/),
        expect.stringMatching(/^checks\[0\] "mail"\.smtp\.port: expected an integer from 1 to 65535/),
        expect.stringMatching(
          /^checks\[0\] "mail"\.imap\.starttls: expected one of "required", "opportunistic", "off"/,
        ),
        expect.stringMatching(/^checks\[0\] "mail"\.imap\.folder: unknown key/),
        expect.stringMatching(/^checks\[0\] "mail"\.to: expected an email address/),
      ]),
    );
    const cross = validate({
      ...base,
      smtp: { ...base.smtp, secure: true, starttls: 'required', tls: { ca: 'x.pem', insecure: true } },
    });
    expect(messages(cross)).toEqual([
      'checks[0] "mail".smtp.starttls: has no effect with secure: true (TLS from the first byte) — hint: remove one ' +
        'of them',
      'checks[0] "mail".smtp.tls: sets both ca and insecure: true — hint: keep ca (verify against it) or insecure ' +
        '(verify nothing)',
    ]);
  });

  it('takes assertions on its own sources', () => {
    expect(
      validate({
        ...base,
        assertions: [
          { source: 'auth', property: 'dkim', comparison: 'equals', target: 'pass' },
          { source: 'transit', comparison: 'lessThan', target: 5000 },
        ],
      }).ok,
    ).toBe(true);
    expect(
      messages(validate({ ...base, assertions: [{ source: 'transit', comparison: 'lessThan', target: '5s' }] }))[0],
    ).toMatch(/expected a number/);
    expect(messages(validate({ ...base, assertions: [{ source: 'header', comparison: 'exists' }] }))[0]).toMatch(
      /property: is required/,
    );
  });

  it('adds a transit alarm through the alarm seam', () => {
    const r = validate({ ...base, name: 'O365 → Gmail', timeout: '50s', transitAfter: '20s' });
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
    expect(emailKind.alarms!(r.config.checks[0] as any)).toEqual([
      {
        name: 'transit',
        metric: 'TransitTime',
        statistic: 'Maximum',
        comparison: 'GreaterThanThreshold',
        threshold: 20_000,
        acrossRegions: 'max',
        severity: 'warning',
        description: 'O365 → Gmail: mail sent via smtp.example.com takes longer than 20s to arrive at imap.example.com',
        treatMissingData: 'notBreaching',
        // Its page quotes the result's TRANSIT_SLOW reason when the regions carry one.
        code: 'TRANSIT_SLOW',
      },
    ]);
    const noThreshold = validate({ ...base, timeout: '50s' });
    if (!noThreshold.ok) throw new Error('invalid');
    expect(emailKind.alarms!(noThreshold.config.checks[0] as any)[0]!.threshold).toBe(25_000);
    expect(emailKind.metrics!.map((m) => m.name)).toEqual(['TransitTime', 'SmtpAcceptTime']);
  });

  it('keeps back a little of the timeout to report its own phase first', () => {
    expect(reserveMs(3_000)).toBe(150);
    expect(reserveMs(20_000)).toBe(400);
    expect(reserveMs(120_000)).toBe(1_000);
  });
});

describe('email message', () => {
  it('tags each run uniquely and parses only exact tags back', () => {
    const now = Date.UTC(2026, 0, 2, 3, 4, 5);
    const tag = makeTag('shop-mail', now);
    expect(tag).toMatch(/^shop-mail\.[0-9a-z]+-[0-9a-f]{12}$/);
    expect(makeTag('shop-mail', now)).not.toBe(tag);
    expect(parseTag(tag)).toEqual({ checkId: 'shop-mail', sentAt: now });
    expect(parseTag(`${tag}x`)).toBeUndefined();
    expect(parseTag(`prefix ${tag}`)).toBeUndefined();
    expect(parseTag('shop-mail.abc')).toBeUndefined();
  });

  it('composes a plain message carrying the tag in a header, the subject and the Message-ID', async () => {
    const m = await composeMessage({ checkId: 'shop-mail', from: 'probe@shop.example', to: 'inbox@gmail.example' });
    const text = m.raw.toString();
    const headers = parseHeaders(m.raw);
    const get = (n: string) => headers.find(([k]) => k === n)?.[1];
    expect(get('x-watchpost-probe')).toBe(m.tag);
    expect(get('subject')).toBe(`watchpost probe ${m.tag}`);
    expect(get('message-id')).toBe(`<${m.tag}@shop.example>`);
    expect(get('auto-submitted')).toBe('auto-generated');
    expect(get('content-transfer-encoding')).toBe('7bit');
    expect(bodyText(m.raw)).toContain(`watchpost-nonce: ${m.nonce}`);
    expect(isOurs(m.raw, { tag: m.tag, messageIds: [] })).toBe(true);
    expect(isOurs(text.replace(m.tag, makeTag('shop-mail')), { tag: m.tag, messageIds: [] })).toBe(false);
  });

  it('reads the hops from Received headers, oldest first, with the delay at each', () => {
    const raw = [
      'Received: from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])',
      '        by mx.google.com with SMTPS id a1sor123;',
      '        Fri, 20 Nov 2026 10:00:07 -0800 (PST)',
      'Received: from EUR05-AM6-obe.outbound.protection.outlook.com ' +
        '(mail-am6eur05on2101.outbound.protection.outlook.com [40.107.22.101])',
      '        by mail-sor-f41.google.com with ESMTPS id x2; Fri, 20 Nov 2026 18:00:05 +0000',
      'Received: from AM0PR01MB1234.eurprd01.prod.exchangelabs.com ([fe80::1]) by ' +
        'AM0PR01MB1234.eurprd01.prod.exchangelabs.com',
      ' ([fe80::1%4]) with mapi id 15.20.7000.000; Fri, 20 Nov 2026 18:00:02 +0000',
      'Date: Fri, 20 Nov 2026 18:00:01 +0000',
      'Subject: x',
      '',
      'body',
    ].join('\r\n');
    const hops = parseReceived(parseHeaders(raw));
    expect(hops).toEqual([
      {
        from: 'AM0PR01MB1234.eurprd01.prod.exchangelabs.com',
        by: 'AM0PR01MB1234.eurprd01.prod.exchangelabs.com',
        with: 'mapi',
        at: '2026-11-20T18:00:02.000Z',
        delayMs: 1_000,
      },
      {
        from: 'EUR05-AM6-obe.outbound.protection.outlook.com',
        by: 'mail-sor-f41.google.com',
        with: 'ESMTPS',
        at: '2026-11-20T18:00:05.000Z',
        delayMs: 3_000,
      },
      {
        from: 'mail-sor-f41.google.com',
        by: 'mx.google.com',
        with: 'SMTPS',
        at: '2026-11-20T18:00:07.000Z',
        delayMs: 2_000,
      },
    ]);
  });

  it('reads SPF/DKIM/DMARC verdicts from the topmost Authentication-Results only', () => {
    const raw = [
      'Authentication-Results: mx.google.com;',
      '       dkim=fail (bad signature) header.i=@shop.example header.s=s1;',
      '       dkim=pass header.i=@shop.example header.s=s2 header.b=abc;',
      '       spf=pass (google.com: domain of probe@shop.example designates 40.107.22.101 as permitted sender) ' +
        'smtp.mailfrom=probe@shop.example;',
      '       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=shop.example',
      'Authentication-Results: forged.example; spf=fail; dkim=fail; dmarc=fail',
      '',
      'x',
    ].join('\r\n');
    expect(parseAuthResults(parseHeaders(raw))).toEqual({
      authservId: 'mx.google.com',
      dkim: 'pass',
      spf: 'pass',
      dmarc: 'pass',
    });
    expect(parseAuthResults(parseHeaders('Subject: x\r\n\r\n'))).toBeUndefined();
  });

  it('decodes a body a relay re-encoded', () => {
    const nonce = Buffer.from('watchpost-nonce: abc\r\n').toString('base64');
    const b64 = `Content-Transfer-Encoding: base64\r\n\r\n${nonce}\r\n`;
    expect(bodyText(b64)).toContain('watchpost-nonce: abc');
    expect(bodyText('Content-Transfer-Encoding: quoted-printable\r\n\r\nwatchpost-nonce=3A abc=\r\ndef\r\n')).toContain(
      'watchpost-nonce: abcdef',
    );
  });

  it('finds the queue id in the common servers’ 250 replies', () => {
    expect(queueIdOf('250 2.0.0 Ok: queued as 4F1B2C3D4E')).toBe('4F1B2C3D4E');
    expect(queueIdOf('250 OK id=1tXyZa-000AbC-1d')).toBe('1tXyZa-000AbC-1d');
    expect(queueIdOf('250 2.0.0 OK  1732096800 a640c23a62f3a-aa4f0f1c0c5si12345 - gsmtp')).toBe(
      'a640c23a62f3a-aa4f0f1c0c5si12345',
    );
    expect(queueIdOf('250 Ok')).toBeUndefined();
  });
});

describe('email SMTP side against npm smtp-server', () => {
  const servers: SMTPServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  async function serve(opts: ConstructorParameters<typeof SMTPServer>[0]): Promise<number> {
    const server = new SMTPServer({ logger: false, disabledCommands: ['STARTTLS'], allowInsecureAuth: true, ...opts });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return (server.server.address() as net.AddressInfo).port;
  }

  const ctx = (port: number) => ({
    host: '127.0.0.1',
    port,
    user: 'probe@example.com',
    from: 'probe@example.com',
    to: 'inbox@example.com',
  });
  const session = (port: number, over: Partial<ConstructorParameters<typeof SmtpSession>[0]> = {}) =>
    new SmtpSession({
      host: '127.0.0.1',
      port,
      secure: false,
      starttls: 'off',
      user: 'probe@example.com',
      pass: 'right',
      tls: {},
      budgetMs: 5_000,
      ...over,
    });

  async function attempt(port: number, over: Partial<ConstructorParameters<typeof SmtpSession>[0]> = {}) {
    const s = session(port, over);
    const m = await composeMessage({ checkId: 'mail', from: 'probe@example.com', to: 'inbox@example.com' });
    try {
      await s.connect();
      return { accepted: await s.send('probe@example.com', 'inbox@example.com', m.raw) };
    } catch (e) {
      return { error: smtpError(e, ctx(port)) };
    } finally {
      s.close();
    }
  }

  it('sends, and reads the queue id and the accept time', async () => {
    let got = '';
    const port = await serve({
      onAuth: (a, _s, cb) => cb(null, { user: a.username }),
      onData: (stream, _s, cb) => {
        stream.on('data', (d: Buffer) => (got += d.toString()));
        stream.on('end', () => cb(null, 'Ok: queued as ABC123DEF'));
      },
    });
    const r = await attempt(port);
    expect(r.error).toBeUndefined();
    expect(r.accepted).toMatchObject({ response: '250 Ok: queued as ABC123DEF', queueId: 'ABC123DEF' });
    expect(r.accepted!.acceptMs).toBeGreaterThanOrEqual(0);
    expect(got).toContain('X-Watchpost-Probe: mail.');
  });

  it('maps a failed login to AUTH, naming SMTP and the user only', async () => {
    const port = await serve({ onAuth: (_a, _s, cb) => cb(new Error('Invalid username or password')) });
    const r = await attempt(port, { pass: 'secret-value' });
    expect(r.error?.code).toBe('AUTH');
    expect(r.error?.message).toBe(
      `SMTP login failed for user probe@example.com at 127.0.0.1:${port}: 535 Invalid username or password`,
    );
  });

  it('maps a 4xx on RCPT and a 5xx after DATA to REJECTED with the server’s words', async () => {
    const rcpt = await serve({
      authOptional: true,
      onRcptTo: (_a, _s, cb) => cb(Object.assign(new Error('4.2.2 Mailbox full, try later'), { responseCode: 452 })),
    });
    expect((await attempt(rcpt, { user: undefined })).error).toEqual({
      code: 'REJECTED',
      message:
        `SMTP server 127.0.0.1:${rcpt} rejected the recipient <inbox@example.com> (RCPT TO): 452 4.2.2 ` +
        `Mailbox full, try later`,
    });
    const data = await serve({
      authOptional: true,
      onData: (stream, _s, cb) => {
        stream.resume();
        stream.on('end', () => cb(Object.assign(new Error('5.7.1 Message rejected as spam'), { responseCode: 554 })));
      },
    });
    expect((await attempt(data, { user: undefined })).error).toEqual({
      code: 'REJECTED',
      message: `SMTP server 127.0.0.1:${data} rejected the message (DATA): 554 5.7.1 Message rejected as spam`,
    });
  });

  it('maps "STARTTLS required but not offered" to TLS', async () => {
    const port = await serve({ authOptional: true });
    const r = await attempt(port, { user: undefined, starttls: 'required' });
    expect(r.error?.code).toBe('TLS');
    expect(r.error?.message).toMatch(
      new RegExp(`^SMTP server 127\\.0\\.0\\.1:${port} does not offer STARTTLS \\(starttls: "required"\\): 5`),
    );
  });

  it('maps a closed port to CONNECT_REFUSED and TLS on a plain port to TLS with a hint', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const closed = (srv.address() as net.AddressInfo).port;
    await new Promise((r) => srv.close(r));
    expect((await attempt(closed)).error).toEqual({
      code: 'CONNECT_REFUSED',
      message: `SMTP server 127.0.0.1:${closed} refused the connection`,
    });
    const plain = await serve({ authOptional: true });
    const r = await attempt(plain, { secure: true, user: undefined });
    expect(r.error?.code).toBe('TLS');
    expect(r.error?.message).toContain('use smtp.secure: false, with STARTTLS');
  });
});
