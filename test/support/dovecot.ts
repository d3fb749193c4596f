import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, closeSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';

import type { TestCert } from './certs';
import type { DovecotCoordinates } from './env';
import { freePorts } from './ports';

// The mailbox helpers work from any test process (they only need the coordinates), so tests can
// import everything Dovecot-related from this one module.
export * from './dovecot-admin';

export interface DovecotOptions {
  /** Private directory for config, state, sockets, users and mail. */
  dir: string;
  cert: TestCert;
  /** Enables XOAUTH2/OAUTHBEARER: Dovecot validates each token at this introspection endpoint. */
  oauth2?: { introspectionUrl: string; clientId: string; clientSecret: string };
  /** Distinct per instance: Dovecot tools find their instance by name and base_dir. */
  instanceName?: string;
  startTimeoutMs?: number;
}

export interface DovecotServer extends DovecotCoordinates {
  pid: number;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
// Dovecot refuses to run mail processes as root; nobody/nogroup exist everywhere.
const MAIL_USER = { uid: 65534, gid: 65534, name: 'nobody', group: 'nogroup' };

/**
 * Starts a private Dovecot (IMAP, IMAPS, POP3, POP3S on free loopback ports) in the foreground as
 * our child, so stopping it is a plain signal + exit event, and resolves once it greets "ready".
 */
export async function startDovecot(options: DovecotOptions): Promise<DovecotServer> {
  const dir = options.dir;
  const paths = {
    run: join(dir, 'run'),
    state: join(dir, 'state'),
    mail: join(dir, 'mail'),
    users: join(dir, 'users'),
    log: join(dir, 'dovecot.log'),
    config: join(dir, 'dovecot.conf'),
    oauth2: join(dir, 'dovecot-oauth2.conf.ext'),
  };
  for (const p of [paths.run, paths.state, paths.mail, paths.users]) mkdirSync(p, { recursive: true });
  assertTraversable(dir);
  // Mail processes run as nobody and must be able to create the per-user homes.
  chownSync(paths.mail, MAIL_USER.uid, MAIL_USER.gid);

  // Another process may grab one of the four free ports before Dovecot binds it: retry then.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await launch(dir, paths, options);
    } catch (error) {
      if (attempt >= 3 || !/Address already in use/.test(error.message)) throw error;
    }
  }
}

type DovecotPaths = Omit<ConfigInput, 'cert' | 'instanceName' | 'ports' | 'withOauth'> & { config: string };

async function launch(dir: string, paths: DovecotPaths, options: DovecotOptions): Promise<DovecotServer> {
  const [imapPort, imapsPort, pop3Port, pop3sPort] = await freePorts(4);
  const ports = { imapPort, imapsPort, pop3Port, pop3sPort };
  const instanceName = options.instanceName ?? `deskmail-test-${process.pid}-${imapPort}`;
  writeFileSync(paths.config, dovecotConfig({ ...paths, cert: options.cert, instanceName, ports, withOauth: !!options.oauth2 }));
  if (options.oauth2) writeFileSync(paths.oauth2, oauth2Config(options.oauth2));

  // stdio goes to a file: Dovecot keeps inherited pipes open, which would hang a reader forever.
  const out = openSync(join(dir, 'dovecot.stdout.log'), 'a');
  const child = spawn('dovecot', ['-F', '-c', paths.config], { stdio: ['ignore', out, out] });
  closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Last resort if this process dies without calling stop(): a foreground Dovecot outlives us.
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));

  const server: DovecotServer = {
    host: '127.0.0.1',
    ...ports,
    caCert: options.cert.cert,
    configPath: paths.config,
    usersDir: paths.users,
    mailDir: paths.mail,
    logPath: paths.log,
    pid: child.pid ?? 0,
    stop: () => stopChild(child, exited),
  };
  try {
    await waitForGreeting(server.host, imapPort, child, options.startTimeoutMs ?? START_TIMEOUT_MS);
  } catch (error) {
    await server.stop();
    const log = safeRead(paths.log) + safeRead(join(dir, 'dovecot.stdout.log'));
    throw new Error(`Dovecot did not start: ${error.message}\n${log.slice(-2000)}`);
  }
  return server;
}

/** Dovecot's auth (user dovecot) and mail (nobody) processes must reach files inside `dir`. */
function assertTraversable(dir: string): void {
  for (let d = dir; d !== dirname(d); d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) {
      throw new Error(`${d} is not world-traversable (o+x): Dovecot's unprivileged processes could not read users and mail inside; use makeTempDir() or chmod 755`);
    }
  }
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * After a start or reload the first greeting can be "* OK Waiting for authentication process..";
 * only "ready." means logins will be answered.
 */
async function waitForGreeting(host: string, port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`dovecot exited with code ${child.exitCode}`);
    last = await readGreeting(host, port).catch((error) => String(error.message));
    if (/ready\./.test(last)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no "ready." greeting on ${host}:${port} within ${timeoutMs} ms (last: ${last.trim()})`);
}

function readGreeting(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let data = '';
    socket.setTimeout(2000, () => socket.destroy(new Error('greeting timeout')));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (data.includes('\n')) {
        socket.end('a LOGOUT\r\n');
        socket.destroy();
        resolve(data);
      }
    });
    socket.on('error', reject);
  });
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

interface ConfigInput {
  run: string;
  state: string;
  mail: string;
  users: string;
  log: string;
  oauth2: string;
  withOauth: boolean;
  cert: TestCert;
  instanceName: string;
  ports: { imapPort: number; imapsPort: number; pop3Port: number; pop3sPort: number };
}

// Dovecot has no config variables, so paths are spelled out in full.
function dovecotConfig(c: ConfigInput): string {
  const withOauth = c.withOauth;
  return `# Private test Dovecot (deskmail test harness) -- never the system configuration
base_dir = ${c.run}
state_dir = ${c.state}
instance_name = ${c.instanceName}
log_path = ${c.log}
protocols = imap pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <${c.cert.certPath}
ssl_key = <${c.cert.keyPath}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login${withOauth ? ' xoauth2 oauthbearer' : ''}
auth_verbose = yes
auth_failure_delay = 0
default_internal_user = dovecot
default_login_user = dovenull
mail_uid = ${MAIL_USER.name}
mail_gid = ${MAIL_USER.group}
mail_location = maildir:${c.mail}/%u/Maildir
mail_home = ${c.mail}/%u
# Parallel tests log in as the same user from 127.0.0.1 more often than a real client would.
mail_max_userip_connections = 200
pop3_uidl_format = %08Xu%08Xv

# '/' like most IMAP servers (Maildir++ stores "A/B" as .A.B), plus the usual special-use folders.
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
  }
  mailbox Drafts {
    special_use = \\Drafts
  }
  mailbox Trash {
    special_use = \\Trash
  }
  mailbox Junk {
    special_use = \\Junk
  }
}

# One passwd-file per user: a new file is read on first use, so added users need no reload.
passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u ${c.users}/%u
}
${withOauth ? `passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = ${c.oauth2}
}
` : ''}userdb {
  driver = static
  args = allow_all_users=yes
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${c.ports.imapPort}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${c.ports.imapsPort}
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = ${c.ports.pop3Port}
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = ${c.ports.pop3sPort}
    ssl = yes
  }
}
# Without this, failed logins from 127.0.0.1 are delayed 2, 4, 8.. 15 s (the anvil auth penalty),
# which stalls tests that provoke failures on purpose.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
`;
}

/** Introspection (not userinfo): invalid tokens then fail as AUTHENTICATIONFAILED, not TEMP. */
function oauth2Config(o: NonNullable<DovecotOptions['oauth2']>): string {
  const url = new URL(o.introspectionUrl);
  url.username = encodeURIComponent(o.clientId);
  url.password = encodeURIComponent(o.clientSecret);
  return `introspection_mode = post
introspection_url = ${url.toString()}
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
timeout_msecs = 5000
`;
}
