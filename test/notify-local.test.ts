/**
 * Local pages (`npm start`): a state change prints the SMS line and, with notify.localEmail,
 * sends the email over SMTP (nodemailer) to a real SMTP server on loopback (npm smtp-server).
 * A failing server is printed, never thrown; flapping is decided in memory.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ValidatedConfig } from '../shared/config/types';
import { parseConfig } from '../shared/config/validate';
import { localPages } from '../shared/notify/local';
import type { CheckResult, CheckStatus } from '../shared/types';
import { failedResult, minuteAt, REFUSED } from './helpers/results';

let smtp: SMTPServer;
let port: number;
const received: Array<{ from: string; to: string[]; data: string; user?: string }> = [];
const PASS = 'smtp-pass-L0CAL';
process.env.WATCHPOST_SECRET_LOCAL_SMTP = PASS;

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    onAuth(auth, _session, cb) {
      if (auth.username === 'me' && auth.password === PASS) return cb(null, { user: 'me' });
      cb(new Error('bad credentials'));
    },
    onData(stream, session, cb) {
      let data = '';
      stream.on('data', (c: Buffer) => (data += c.toString('utf8')));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data,
          user: session.user as string | undefined,
        });
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  port = (smtp.server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((r) => smtp.close(() => r())));

const configWith = (smtpPort: number): ValidatedConfig =>
  parseConfig({
    project: 'shop',
    homeRegion: 'eu-central-1',
    regions: ['eu-central-1'],
    notify: {
      localEmail: {
        smtp: { host: '127.0.0.1', port: smtpPort, user: 'me', pass: { secret: 'local-smtp' } },
        from: 'watchpost@localhost',
        to: ['me@localhost'],
      },
      flapping: { changes: 3, window: '10m' },
    },
    checks: [{ id: 'shop-cart', kind: 'http', url: 'https://shop.example.com/cart' }],
  });

const result = (status: CheckStatus, minute: number): CheckResult => {
  const r = failedResult({ region: 'local', scheduledAt: minuteAt(minute), status, error: REFUSED });
  if (status !== 'fail') delete r.error;
  return r;
};

describe('local pages', () => {
  it('prints the SMS line and emails the page over SMTP', async () => {
    const lines: string[] = [];
    const pages = localPages({
      config: configWith(port),
      out: (s) => lines.push(s),
      dashboardUrl: 'http://127.0.0.1:4320/',
    });
    pages.announce(result('fail', 2), { status: 'pass', since: '2026-03-01T13:00:00.000Z' });
    await pages.idle();
    pages.announce(result('pass', 14), { status: 'fail', since: '2026-03-01T14:02:00.000Z' });
    await pages.idle();
    expect(lines.filter((l) => l.includes('page'))).toEqual([
      '        page DOWN shop-cart local connection refused since 14:02Z - connect ECONNREFUSED 127.0.0.1:9',
      '        page OK shop-cart after 12m',
    ]);
    expect(received).toHaveLength(2);
    expect(received[0]).toMatchObject({ from: 'watchpost@localhost', to: ['me@localhost'], user: 'me' });
    expect(received[0]!.data).toContain('Subject: DOWN shop-cart local connection refused since 14:02Z [shop]');
    expect(received[0]!.data).toContain('Dashboard: http://127.0.0.1:4320/');
    expect(received[1]!.data).toContain('Subject: OK shop-cart after 12m [shop]');
    expect(lines.join('\n')).not.toContain(PASS);
  });

  it('prints an SMTP failure and carries on', async () => {
    const lines: string[] = [];
    const pages = localPages({ config: configWith(1), out: (s) => lines.push(s) });
    pages.announce(result('fail', 30));
    await pages.idle();
    expect(lines[0]).toMatch(/page DOWN shop-cart/);
    expect(lines[1]).toMatch(/^ +email not sent: .*ECONNREFUSED/);
  });

  it('sends one FLAPPING page, then stays quiet while it flaps', async () => {
    const lines: string[] = [];
    const emails: string[] = [];
    const pages = localPages({
      config: configWith(port),
      out: (s) => lines.push(s),
      sendEmail: async (m) => void emails.push(m.subject),
    });
    const flips: Array<[CheckStatus, number]> = [
      ['fail', 40],
      ['pass', 41],
      ['fail', 42],
      ['pass', 43],
      ['fail', 44],
    ];
    let prev: { status: CheckStatus; since: string } = { status: 'pass', since: '2026-03-01T13:00:00.000Z' };
    for (const [status, minute] of flips) {
      const r = result(status, minute);
      pages.announce(r, prev);
      await pages.idle();
      prev = { status, since: r.scheduledAt };
    }
    expect(emails).toEqual([
      'DOWN shop-cart local connection refused since 14:40Z [shop]',
      'OK shop-cart after 1m [shop]',
      'FLAPPING shop-cart 3 changes in 10m, now DOWN local connection refused [shop]',
    ]);
    expect(lines.filter((l) => l.includes('flapping:'))).toHaveLength(2);
  });
});
