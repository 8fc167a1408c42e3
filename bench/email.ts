/**
 * Email round-trip benchmark against the local Postfix + Dovecot pair: round-trip and transit
 * p50/p95 over repeated runs of the real probe, beside the server's own floor measured in the
 * same run (how long Dovecot takes to announce a new message to an IDLE client: an APPEND on a
 * second connection → EXISTS on the idling one; Dovecot delays that push by 500 ms, compiled in).
 *
 * `npx tsx bench/email.ts` runs it alone; bench/run.ts calls benchEmail().
 */
import { pathToFileURL } from 'node:url';
import { parseConfig } from '../shared/config/validate';
import { runCheck } from '../shared/runner/run-check';
import { mailSystemUnavailable, startMailSystem, type MailSystem } from '../test/helpers/mail-system';

export interface EmailFigure {
  name: string;
  value: string;
  baseline?: string;
  target?: string;
}

const RUNS = Number(process.env.WATCHPOST_BENCH_EMAIL_RUNS ?? 40);
const FLOOR_SAMPLES = 10;

const pct = (xs: number[], p: number): number => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};
const msText = (n: number) => (Number.isFinite(n) ? `${Math.round(n)} ms` : 'n/a');
const p50p95 = (xs: number[]) => `${msText(pct(xs, 50))} / ${msText(pct(xs, 95))}`;

function check(mail: MailSystem) {
  const u = mail.users.probe;
  return parseConfig({
    project: 'bench',
    homeRegion: 'eu-central-1',
    regions: ['eu-central-1'],
    checks: [
      {
        id: 'bench-mail',
        kind: 'email',
        timeout: '20s',
        smtp: { ...mail.submission, auth: { user: u.user, pass: { secret: 'probe' } }, tls: { ca: mail.caFile } },
        imap: {
          ...mail.imaps,
          secure: true,
          auth: { user: u.user, pass: { secret: 'probe' } },
          tls: { ca: mail.caFile },
        },
        from: u.user,
        to: u.user,
      },
    ],
  }).checks[0]!;
}

/** Dovecot's own floor: APPEND on one connection → EXISTS on another that is IDLE. */
async function idleFloor(mail: MailSystem, samples: number): Promise<number[]> {
  const watcher = await mail.imapClient(mail.users.other);
  const writer = await mail.imapClient(mail.users.other);
  const out: number[] = [];
  try {
    await watcher.mailboxOpen('INBOX');
    for (let i = 0; i < samples; i++) {
      const seen = new Promise<number>((resolve) => watcher.once('exists', () => resolve(performance.now())));
      void watcher.idle().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50)); // IDLE is in place
      const t0 = performance.now();
      await writer.append('INBOX', `Subject: floor ${i}\r\n\r\nx\r\n`);
      out.push((await seen) - t0);
    }
    await watcher.messageDelete('1:*');
  } finally {
    await Promise.all([watcher.logout().catch(() => watcher.close()), writer.logout().catch(() => writer.close())]);
  }
  return out;
}

export async function benchEmail(): Promise<EmailFigure[]> {
  const why = mailSystemUnavailable();
  if (why) return [{ name: 'email round trip (Postfix → Dovecot)', value: `skipped: ${why}` }];
  const mail = await startMailSystem();
  try {
    const c = check(mail);
    const secrets = async () => mail.users.probe.pass;
    await runCheck(c, { region: 'local', secrets }); // warm-up: Maildir creation, TLS session caches
    const total: number[] = [];
    const transit: number[] = [];
    const accept: number[] = [];
    const seenBy: Record<string, number> = {};
    const smtpConnect: number[] = [];
    const imapConnect: number[] = [];
    let failures = 0;
    for (let i = 0; i < RUNS; i++) {
      const r = await runCheck(c, { region: 'local', secrets });
      if (r.error) {
        failures++;
        continue;
      }
      total.push(r.timings.total!);
      transit.push(r.timings.transit!);
      accept.push(r.timings.smtpAccept!);
      const by = String((r.details as { seenBy?: string }).seenBy);
      seenBy[by] = (seenBy[by] ?? 0) + 1;
      smtpConnect.push(r.timings.smtpConnect!);
      imapConnect.push(r.timings.imapConnect!);
    }
    const floor = await idleFloor(mail, FLOOR_SAMPLES);
    return [
      {
        name: `email round trip p50 / p95 (n=${total.length}${failures ? `, ${failures} failed` : ''})`,
        value: p50p95(total),
        baseline: 'connect both + send + transit + fetch, STARTTLS+AUTH on 587, IMAPS',
        target: '< 1.5 s p95 on loopback',
      },
      {
        name: 'email transit p50 / p95',
        value: p50p95(transit),
        baseline: `Dovecot's push to an IDLE client p50 / p95 ${p50p95(floor)} (500 ms, compiled in)`,
        target: '≤ the push floor: search right after the 250, then IDLE — never a polling interval',
      },
      {
        name: 'email arrival seen by',
        value: Object.entries(seenBy)
          .map(([k, v]) => `${k} ${v}`)
          .join(' · '),
        baseline:
          "IDLE = announced on the IDLE connection; EXISTS = with a command's answer; SEARCH = safety re-search",
      },
      { name: 'email SMTP accept (end of DATA → 250) p50 / p95', value: p50p95(accept) },
      {
        name: 'email smtpConnect / imapConnect p50',
        value: `${msText(pct(smtpConnect, 50))} / ${msText(pct(imapConnect, 50))}`,
        baseline: 'in parallel; STARTTLS+AUTH / IMAPS+LOGIN+SELECT',
      },
    ];
  } finally {
    await mail.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await benchEmail();
  for (const f of figures)
    console.log(
      `${f.name.padEnd(52)} ${f.value.padEnd(22)} ${f.baseline ?? ''}${f.target ? `  [target ${f.target}]` : ''}`,
    );
}
