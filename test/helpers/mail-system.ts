/**
 * A real mail system on loopback for the email probe: Postfix (an MX-style SMTP port and a
 * submission port with STARTTLS + AUTH) delivering to Maildir, and Dovecot (IMAP with STARTTLS,
 * and IMAPS) reading it, with Dovecot as Postfix's SASL backend. Everything lives in a temp dir
 * on free loopback ports; the system's /etc/postfix and /etc/dovecot are never touched.
 *
 * Needs root (Postfix's master runs as root and drops to `postfix`) and Debian's `postfix` and
 * `dovecot-imapd` (`bash scripts/install-test-deps.sh` installs them).
 *
 * Users (all at `watchpost.test`): `probe` (mail is delivered), `held` (Postfix accepts mail
 * for it and puts it on hold: it never arrives) and `other`.
 * @example
 * const mail = await startMailSystem();
 * check.smtp = { ...mail.submission, auth: { user: mail.users.probe.user, pass: { secret: 'p' } },
 *   tls: { ca: mail.caFile } };
 * await mail.stop();
 */
import { execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import forge from 'node-forge';

/**
 * Runs a command that starts a daemon. Its output goes to a file, not a pipe: the daemon keeps
 * the inherited descriptors open, so waiting on a pipe would wait for the daemon to exit.
 */
function run(cmd: string, args: string[], outFile = '/dev/null'): Promise<void> {
  return new Promise((resolve, reject) => {
    const fd = openSync(outFile, 'a');
    const child = spawn(cmd, args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else {
        let out = '';
        try {
          out = outFile === '/dev/null' ? '' : readFileSync(outFile, 'utf8').slice(-2_000);
        } catch {
          /* no output */
        }
        reject(new Error(`${cmd} ${args.join(' ')} exited with ${code ?? signal}${out ? `:\n${out}` : ''}`));
      }
    });
  });
}

export const MAIL_DOMAIN = 'watchpost.test';
const HOST = '127.0.0.1';
const POSTFIX = '/usr/sbin/postfix';
const DOVECOT = '/usr/sbin/dovecot';
/** Mail is owned by nobody:nogroup: a uid both Postfix's virtual agent and Dovecot accept, no user to create. */
const VMAIL_UID = 65534;
const VMAIL_GID = 65534;
const DIR_PREFIX = 'watchpost-mail-';

export interface Endpoint {
  host: string;
  port: number;
}

export interface MailUser {
  /** Login and address, e.g. `probe@watchpost.test`. */
  user: string;
  pass: string;
}

export interface MailSystem {
  domain: string;
  /** Port-25 style: STARTTLS offered, AUTH only after STARTTLS, unauthenticated mail to the local domain accepted. */
  smtp: Endpoint;
  /** Port-587 style: STARTTLS required, AUTH required. */
  submission: Endpoint;
  /** IMAP with STARTTLS. */
  imap: Endpoint;
  /** IMAP over TLS. */
  imaps: Endpoint;
  users: { probe: MailUser; held: MailUser; other: MailUser };
  /** The test CA that signed the servers' certificate (for 127.0.0.1, localhost, mail.watchpost.test). */
  caPem: string;
  caFile: string;
  dir: string;
  /** Postfix's and Dovecot's logs, for a failing test's message. */
  logs(): string;
  /** A logged-in IMAP client (IMAPS, trusting the test CA) for looking into a mailbox. */
  imapClient(user: MailUser): Promise<ImapFlow>;
  stop(): Promise<void>;
}

/** Why the fixture cannot run here, or undefined when it can. */
export function mailSystemUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'the mail system fixture runs on Linux only';
  if (!existsSync(POSTFIX) || !existsSync(DOVECOT))
    return (
      'Postfix or Dovecot is missing — run `bash scripts/install-test-deps.sh` (installs Debian postfix and ' +
      'dovecot-imapd)'
    );
  if (process.getuid?.() !== 0)
    return 'Postfix needs root to start (its master process runs as root and drops privileges)';
  return undefined;
}

/** Free loopback ports: listen on 0 (all at once, so they differ), note the ports, close. */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const srv = net.createServer();
          srv.once('error', reject);
          srv.listen(0, HOST, () => resolve(srv));
        }),
    ),
  );
  const ports = servers.map((srv) => (srv.address() as net.AddressInfo).port);
  await Promise.all(servers.map((srv) => new Promise((r) => srv.close(r))));
  return ports;
}

/** Waits until `port` greets with a line starting with `expect`. */
async function waitForGreeting(port: number, expect: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect(port, HOST);
      let buf = '';
      const done = (v: boolean) => {
        sock.destroy();
        resolve(v);
      };
      sock.setTimeout(1_000, () => done(false));
      sock.on('data', (d) => {
        buf += d.toString();
        if (buf.includes('\n')) done(buf.startsWith(expect));
      });
      sock.on('error', () => done(false));
    });
    if (ok) return;
    if (Date.now() > until)
      throw new Error(`nothing greeting with "${expect}" on ${HOST}:${port} after ${timeoutMs}ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A CA and a server certificate it signs, made with node:crypto keys and node-forge. */
function makeCerts(): { caPem: string; certPem: string; keyPem: string } {
  const key = () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return {
      priv: forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
      pub: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()),
      pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
  };
  const now = Date.now();
  const cert = (pub: forge.pki.PublicKey, cn: string, serial: string) => {
    const c = forge.pki.createCertificate();
    c.publicKey = pub;
    c.serialNumber = serial;
    c.validity.notBefore = new Date(now - 86_400_000);
    c.validity.notAfter = new Date(now + 30 * 86_400_000);
    c.setSubject([{ name: 'commonName', value: cn }]);
    return c;
  };
  const caKey = key();
  const ca = cert(caKey.pub, 'watchpost test mail CA', '01');
  ca.setIssuer(ca.subject.attributes);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ]);
  ca.sign(caKey.priv, forge.md.sha256.create());
  const leafKey = key();
  const leaf = cert(leafKey.pub, `mail.${MAIL_DOMAIN}`, '02');
  leaf.setIssuer(ca.subject.attributes);
  leaf.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 7, ip: HOST },
        { type: 2, value: 'localhost' },
        { type: 2, value: `mail.${MAIL_DOMAIN}` },
      ],
    },
  ]);
  leaf.sign(caKey.priv, forge.md.sha256.create());
  return { caPem: forge.pki.certificateToPem(ca), certPem: forge.pki.certificateToPem(leaf), keyPem: leafKey.pem };
}

const pidAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const readPid = (file: string): number | undefined => {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
};

/** Stops the daemons of one fixture dir, synchronously (usable from an exit handler). */
function stopDirSync(dir: string): void {
  try {
    execFileSync(POSTFIX, ['-c', join(dir, 'postfix'), 'stop'], { stdio: 'ignore', timeout: 10_000 });
  } catch {
    /* not running */
  }
  const dovecotPid = readPid(join(dir, 'dovecot', 'run', 'master.pid'));
  if (dovecotPid && pidAlive(dovecotPid)) process.kill(dovecotPid, 'SIGTERM');
}

/** Fixture dirs whose owning process died (a killed test run) are stopped and removed. */
function reapOrphans(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = join(tmpdir(), name);
    const owner = readPid(join(dir, 'owner.pid'));
    if (owner === undefined || pidAlive(owner)) continue;
    stopDirSync(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function waitGone(pid: number | undefined, timeoutMs: number): Promise<boolean> {
  if (!pid) return true;
  const until = Date.now() + timeoutMs;
  while (pidAlive(pid)) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

function postfixMain(dir: string): string {
  return `# watchpost test fixture: a Postfix instance of its own (postfix -c ${dir}/postfix)
compatibility_level = 3.6
queue_directory = ${dir}/queue
data_directory = ${dir}/data
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = mail.${MAIL_DOMAIN}
mydomain = ${MAIL_DOMAIN}
myorigin = $myhostname
mydestination =
inet_interfaces = ${HOST}
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
maillog_file = ${dir}/log/postfix.log
maillog_file_prefixes = ${dir}
alias_maps =
alias_database =
local_recipient_maps =
biff = no
readme_directory = no
smtputf8_enable = no
# No mail leaves this machine.
default_transport = error:test fixture delivers locally only
relay_transport = error:test fixture delivers locally only
virtual_mailbox_domains = ${MAIL_DOMAIN}
virtual_mailbox_base = ${dir}/mail
virtual_mailbox_maps = texthash:${dir}/postfix/vmailbox
virtual_uid_maps = static:${VMAIL_UID}
virtual_gid_maps = static:${VMAIL_GID}
smtpd_sasl_type = dovecot
smtpd_sasl_path = ${dir}/dovecot/run/auth-postfix
smtpd_sasl_auth_enable = yes
smtpd_tls_auth_only = yes
smtpd_tls_cert_file = ${dir}/tls/server.pem
smtpd_tls_key_file = ${dir}/tls/server.key
smtpd_tls_security_level = may
smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated defer_unauth_destination
# Mail for held@ is accepted and put on hold: it never arrives.
smtpd_recipient_restrictions = check_recipient_access texthash:${dir}/postfix/recipient_access
`;
}

function postfixMaster(ports: { smtp: number; submission: number }): string {
  // Every service with chroot = n: Debian's chroot needs an init script to fill it.
  return `${HOST}:${ports.smtp} inet n - n - - smtpd
${HOST}:${ports.submission} inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`;
}

function dovecotConf(dir: string, ports: { imap: number; imaps: number }, instance: string): string {
  const dh = existsSync('/usr/share/dovecot/dh.pem') ? 'ssl_dh = </usr/share/dovecot/dh.pem\n' : '';
  return `# watchpost test fixture: a Dovecot instance of its own (dovecot -c this file)
base_dir = ${dir}/dovecot/run
state_dir = ${dir}/dovecot/state
instance_name = ${instance}
log_path = ${dir}/log/dovecot.log
protocols = imap
listen = ${HOST}
ssl = yes
ssl_cert = <${dir}/tls/server.pem
ssl_key = <${dir}/tls/server.key
${dh}ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:${dir}/mail/%d/%n
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/dovecot/users
}
userdb {
  driver = passwd-file
  args = username_format=%u ${dir}/dovecot/users
}
service imap-login {
  inet_listener imap {
    address = ${HOST}
    port = ${ports.imap}
  }
  inet_listener imaps {
    address = ${HOST}
    port = ${ports.imaps}
    ssl = yes
  }
}
service auth {
  unix_listener auth-postfix {
    mode = 0666
  }
}
`;
}

const running = new Set<string>();
let exitHookInstalled = false;

/** Starts Postfix and Dovecot in a fresh temp dir on free loopback ports. */
export async function startMailSystem(): Promise<MailSystem> {
  const why = mailSystemUnavailable();
  if (why) throw new Error(`cannot start the test mail system: ${why}`);
  reapOrphans();

  const dir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
  chmodSync(dir, 0o755); // dovecot/dovenull/postfix traverse it
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  for (const d of ['postfix', 'queue', 'data', 'log', 'mail', 'tls', 'dovecot', 'dovecot/home'])
    mkdirSync(join(dir, d), { recursive: true });
  chownSync(join(dir, 'mail'), VMAIL_UID, VMAIL_GID);
  chownSync(join(dir, 'dovecot/home'), VMAIL_UID, VMAIL_GID);
  execFileSync('chown', ['postfix', join(dir, 'data')]);

  const certs = makeCerts();
  const caFile = join(dir, 'tls', 'ca.pem');
  writeFileSync(caFile, certs.caPem);
  writeFileSync(join(dir, 'tls', 'server.pem'), certs.certPem);
  writeFileSync(join(dir, 'tls', 'server.key'), certs.keyPem, { mode: 0o600 });

  const user = (name: string): MailUser => ({
    user: `${name}@${MAIL_DOMAIN}`,
    pass: `pw-${randomBytes(9).toString('base64url')}`,
  });
  const users = { probe: user('probe'), held: user('held'), other: user('other') };
  const all = Object.values(users);
  writeFileSync(
    join(dir, 'postfix', 'vmailbox'),
    all.map((u) => `${u.user} ${u.user.replace(/^(.*)@(.*)$/, '$2/$1/')}\n`).join(''),
  );
  writeFileSync(join(dir, 'postfix', 'recipient_access'), `${users.held.user} HOLD\n`);
  writeFileSync(
    join(dir, 'dovecot', 'users'),
    all
      .map(
        (u) => `${u.user}:{PLAIN}${u.pass}:${VMAIL_UID}:${VMAIL_GID}::${dir}/dovecot/home/${u.user.split('@')[0]}::\n`,
      )
      .join(''),
    { mode: 0o644 },
  );

  const [smtpPort, submissionPort, imapPort, imapsPort] = (await freePorts(4)) as [number, number, number, number];
  const ports = { smtp: smtpPort, submission: submissionPort, imap: imapPort, imaps: imapsPort };
  writeFileSync(join(dir, 'postfix', 'main.cf'), postfixMain(dir));
  writeFileSync(join(dir, 'postfix', 'master.cf'), postfixMaster(ports));
  const dovecotFile = join(dir, 'dovecot', 'dovecot.conf');
  writeFileSync(dovecotFile, dovecotConf(dir, ports, `watchpost-${process.pid}-${randomBytes(3).toString('hex')}`));

  running.add(dir);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const d of running) stopDirSync(d);
    });
  }

  const logs = () =>
    ['postfix.log', 'dovecot.log']
      .map((f) => {
        try {
          return `--- ${f}\n${readFileSync(join(dir, 'log', f), 'utf8')}`;
        } catch {
          return `--- ${f}: (none)`;
        }
      })
      .join('\n');

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    const postfixPid = readPid(join(dir, 'queue', 'pid', 'master.pid'));
    const dovecotPid = readPid(join(dir, 'dovecot', 'run', 'master.pid'));
    await run(POSTFIX, ['-c', join(dir, 'postfix'), 'stop']).catch(() => undefined);
    if (dovecotPid && pidAlive(dovecotPid)) process.kill(dovecotPid, 'SIGTERM');
    const [p, d] = await Promise.all([waitGone(postfixPid, 10_000), waitGone(dovecotPid, 10_000)]);
    if (!p && postfixPid) process.kill(postfixPid, 'SIGKILL');
    if (!d && dovecotPid) process.kill(dovecotPid, 'SIGKILL');
    running.delete(dir);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    // Dovecot first: Postfix's SASL goes through its auth socket.
    await run(DOVECOT, ['-c', dovecotFile], join(dir, 'log', 'dovecot.out'));
    await run(POSTFIX, ['-c', join(dir, 'postfix'), 'start'], join(dir, 'log', 'postfix.out'));
    await Promise.all([
      waitForGreeting(smtpPort, '220', 15_000),
      waitForGreeting(submissionPort, '220', 15_000),
      waitForGreeting(imapPort, '* OK', 15_000),
    ]);
  } catch (e) {
    const text = `${(e as Error).message}\n${logs()}`;
    await stop();
    throw new Error(`the test mail system did not start: ${text}`);
  }

  const ep = (port: number): Endpoint => ({ host: HOST, port });
  return {
    domain: MAIL_DOMAIN,
    smtp: ep(smtpPort),
    submission: ep(submissionPort),
    imap: ep(imapPort),
    imaps: ep(imapsPort),
    users,
    caPem: certs.caPem,
    caFile,
    dir,
    logs,
    async imapClient(u: MailUser) {
      const client = new ImapFlow({
        host: HOST,
        port: imapsPort,
        secure: true,
        auth: { user: u.user, pass: u.pass },
        tls: { ca: certs.caPem },
        logger: false,
        disableAutoIdle: true,
      });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    },
    stop,
  };
}
