import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { SMTPServer, type SMTPServerAuthentication, type SMTPServerSession } from 'smtp-server';

import { testEnv, type AuthCoordinates } from './env';
import { headerValue } from './mail';
import { introspect } from './oauth-client';
import { freePort } from './ports';

/** The SMTP stage a fault applies to; `connect` answers the greeting itself (e.g. 421). */
export type SmtpStage = 'connect' | 'auth' | 'mail' | 'rcpt' | 'data';

export interface SmtpFault {
  stage: SmtpStage;
  /** e.g. 421/451 (transient), 550/554 (permanent), 535 (auth refused). */
  code: number;
  message?: string;
  /** How many times to answer with this fault before behaving normally; default: always. */
  times?: number;
}

export type SmtpAuthMethod = 'PLAIN' | 'LOGIN' | 'XOAUTH2';

export interface SmtpReceiverOptions {
  tls: { key: string; cert: string };
  /** true: implicit TLS (SMTPS, port-465 style); false (default): plain with STARTTLS. */
  secure?: boolean;
  port?: number;
  /** Default all three. */
  authMethods?: SmtpAuthMethod[];
  /** Password table for PLAIN/LOGIN... */
  users?: Record<string, string>;
  /** ...or a lookup (the shared receivers use the Dovecot users). */
  passwordOf?: (username: string) => string | undefined;
  /** XOAUTH2 tokens are checked by introspection here; default testEnv().auth when available. */
  auth?: AuthCoordinates;
  /** Accept mail without AUTH (default false: AUTH required, as on a submission port). */
  authOptional?: boolean;
  /** Do not offer STARTTLS (to test clients that must refuse to send in clear text). */
  hideStartTls?: boolean;
  faults?: SmtpFault[];
  /** Also write every accepted mail to this directory, for readers in other processes. */
  storeDir?: string;
}

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The authenticated user, if any, and how. */
  username?: string;
  authMethod?: string;
  /** Whether the session was encrypted (implicit TLS or after STARTTLS). */
  secure: boolean;
  messageId: string;
  raw: Buffer;
  receivedAt: string;
}

export interface SmtpReceiver {
  host: string;
  port: number;
  secure: boolean;
  received(): ReceivedMail[];
  /** Resolves once at least `count` mails arrived. */
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** Replaces the fault program (counts restart). */
  setFaults(faults: SmtpFault[]): void;
  /** How many commands each fault has answered so far. */
  faultHits(): number[];
  stop(): Promise<void>;
}

/** Starts an SMTP receiver in this process on a free loopback port. */
export async function startSmtpReceiver(options: SmtpReceiverOptions): Promise<SmtpReceiver> {
  const mails: ReceivedMail[] = [];
  let faults: Array<SmtpFault & { hits: number }> = [];
  const setFaults = (list: SmtpFault[]) => (faults = list.map((f) => ({ ...f, hits: 0 })));
  setFaults(options.faults ?? []);
  const authOptions = options.auth ?? defaultAuth();
  if (options.storeDir) mkdirSync(options.storeDir, { recursive: true });

  /** The error of the first fault still active for this stage, counting its use. */
  const injected = (stage: SmtpStage): Error | null => {
    const fault = faults.find((f) => f.stage === stage && (f.times === undefined || f.hits < f.times));
    if (!fault) return null;
    fault.hits += 1;
    return Object.assign(new Error(fault.message ?? `Fault injected by the test (${stage})`), { responseCode: fault.code });
  };

  const checkAuth = async (auth: SMTPServerAuthentication): Promise<boolean | 'challenge'> => {
    if (auth.method === 'XOAUTH2') {
      if (!authOptions || !auth.accessToken) return 'challenge';
      const info = await introspect(auth.accessToken, authOptions).catch(() => ({ active: false, username: undefined }));
      // Like Gmail/Outlook: the token must be valid AND belong to the user named in the SASL string.
      return info.active && info.username === auth.username ? true : 'challenge';
    }
    const expected = options.users?.[auth.username ?? ''] ?? options.passwordOf?.(auth.username ?? '');
    return expected !== undefined && expected === auth.password;
  };

  const server = new SMTPServer({
    secure: options.secure ?? false,
    key: options.tls.key,
    cert: options.tls.cert,
    authMethods: options.authMethods ?? ['PLAIN', 'LOGIN', 'XOAUTH2'],
    authOptional: options.authOptional ?? false,
    hideSTARTTLS: options.hideStartTls ?? false,
    logger: false,
    // Stopping should not wait for clients that keep connections open (the default is 30 s).
    closeTimeout: 500,
    onConnect(_session, callback) {
      callback(injected('connect'));
    },
    onAuth(auth, _session, callback) {
      const fault = injected('auth');
      if (fault) return callback(fault);
      checkAuth(auth).then(
        (result) => {
          // Keep the method too, so tests can assert how the client authenticated.
          if (result === true) return callback(null, { user: { username: auth.username, method: auth.method } });
          // RFC 7628 §3.2.2 style error challenge; the client answers it and gets 535.
          if (result === 'challenge') return callback(null, { data: { status: '401', schemes: 'bearer', scope: 'mail' } });
          return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
        },
        (error) => callback(error),
      );
    },
    onMailFrom(_address, _session, callback) {
      callback(injected('mail'));
    },
    onRcptTo(_address, _session, callback) {
      callback(injected('rcpt'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        // The whole message is read before answering, so a 4xx here is a real "after DATA" failure.
        const fault = injected('data');
        if (fault) return callback(fault);
        const mail = toReceivedMail(session, Buffer.concat(chunks), options.secure ?? false);
        mails.push(mail);
        if (options.storeDir) storeMail(options.storeDir, mail);
        callback(null);
      });
    },
  });

  const port = await listen(server, options.port);
  // Clients that drop the connection abruptly (tests do) would otherwise surface as errors.
  server.on('error', () => undefined);

  return {
    host: '127.0.0.1',
    port,
    secure: options.secure ?? false,
    received: () => [...mails],
    waitForMessages: (count, timeoutMs = 5000) => waitFor(() => (mails.length >= count ? [...mails] : undefined), timeoutMs, `${count} mails`),
    setFaults,
    faultHits: () => faults.map((f) => f.hits),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Listens on `port`, or on a free one; a free port taken by someone else meanwhile is retried. */
async function listen(server: SMTPServer, port?: number): Promise<number> {
  for (let attempt = 1; ; attempt += 1) {
    const candidate = port ?? (await freePort());
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(candidate, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
      return candidate;
    } catch (error) {
      if (port !== undefined || attempt >= 3 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
}

function toReceivedMail(session: SMTPServerSession, raw: Buffer, implicitTls: boolean): ReceivedMail {
  const user = session.user as { username: string; method: string } | undefined;
  return {
    from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
    to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
    username: user?.username,
    authMethod: user?.method,
    secure: implicitTls || !!session.secure,
    messageId: headerValue(raw, 'message-id'),
    raw,
    receivedAt: new Date().toISOString(),
  };
}

// Kept exported here for existing imports; the implementation lives in ./mail.
export { headerValue };

let stored = 0;
function storeMail(dir: string, mail: ReceivedMail): void {
  stored += 1;
  const name = `${Date.now()}-${process.pid}-${String(stored).padStart(6, '0')}.json`;
  const json = JSON.stringify({ ...mail, raw: mail.raw.toString('base64') });
  // Write-then-rename: a reader in another process never sees half a file.
  writeFileSync(join(dir, `.${name}.tmp`), json);
  renameSync(join(dir, `.${name}.tmp`), join(dir, name));
}

/** Mails accepted by the shared receivers (or any receiver with `storeDir`), oldest first. */
export function readReceived(dir: string = testEnv().smtp.receivedDir): ReceivedMail[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json') && !name.startsWith('.'))
    .sort()
    .map((name) => {
      const stored = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Omit<ReceivedMail, 'raw'> & { raw: string };
      return { ...stored, raw: Buffer.from(stored.raw, 'base64') };
    });
}

/** Polls the store until a mail matches (e.g. by recipient or Message-ID). */
export function waitForReceived(
  predicate: (mail: ReceivedMail) => boolean,
  options: { dir?: string; timeoutMs?: number } = {},
): Promise<ReceivedMail> {
  const dir = options.dir ?? testEnv().smtp.receivedDir;
  return waitFor(() => readReceived(dir).find(predicate), options.timeoutMs ?? 5000, 'a matching mail');
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function defaultAuth(): AuthCoordinates | undefined {
  try {
    return testEnv().auth;
  } catch {
    return undefined;
  }
}
