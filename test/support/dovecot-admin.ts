import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { testEnv, type DovecotCoordinates } from './env';
import { headerValue } from './mail';
import { uniqueId } from './tmp';

/**
 * Mailbox administration for the test Dovecot through `doveadm` (same -c config), usable from any
 * test process: it needs only the coordinates, and defaults to the shared Dovecot of `testEnv()`.
 * doveadm runs as root and drops to the mail user itself; each call takes ~10-30 ms.
 */
export type DovecotAdmin = Pick<DovecotCoordinates, 'configPath' | 'usersDir' | 'mailDir'>;

export interface MailboxMessage {
  uid: number;
  /** IMAP flags, without the per-session `\Recent`. */
  flags: string[];
  /** RFC822.SIZE as IMAP reports it (CRLF line ends; Maildir stores LF, hence not the file size). */
  size: number;
  /** The Message-ID header as written (with angle brackets), or '' when absent. */
  messageId: string;
}

export interface FolderStatus {
  messages: number;
  unseen: number;
  uidValidity: number;
  uidNext: number;
}

export interface DeliverOptions {
  folder?: string;
  flags?: string[];
  dovecot?: DovecotAdmin;
}

const EXIT_MAILBOX_NOT_FOUND = 68; // doveadm's EX_NOUSER-style code for "Mailbox doesn't exist"
const USER_VISIBLE_TIMEOUT_MS = 3000;

/**
 * Adds a mail user (or changes its password). Each user has its own passwd-file, which Dovecot
 * reads on first use; the login is verified with `doveadm auth test` before returning, falling
 * back to a reload if Dovecot still has a stale copy (it re-stats files at most once a second).
 */
export async function addMailUser(email: string, password: string, dovecot: DovecotAdmin = testEnv().dovecot): Promise<void> {
  if (/[:\s/]/.test(email) || /[\r\n:]/.test(password)) throw new Error(`unusable test credentials: ${email}`);
  const file = join(dovecot.usersDir, email);
  // rename() is atomic: Dovecot never sees a half-written file.
  writeFileSync(`${file}.tmp`, `${email}:{PLAIN}${password}\n`, { mode: 0o644 });
  renameSync(`${file}.tmp`, file);

  const deadline = Date.now() + USER_VISIBLE_TIMEOUT_MS;
  let reloaded = false;
  while (!(await canLogIn(email, password, dovecot))) {
    if (Date.now() > deadline) {
      if (reloaded) throw new Error(`Dovecot does not accept the new user ${email}`);
      await doveadm(dovecot, ['reload']);
      reloaded = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Creates a mail user with a unique address (`<prefix>-<id>@example.test`) and returns it. */
export async function createMailUser(prefix = 'user', dovecot: DovecotAdmin = testEnv().dovecot): Promise<{ email: string; password: string }> {
  const email = `${prefix}-${uniqueId()}@example.test`;
  const password = `pw-${uniqueId()}`;
  await addMailUser(email, password, dovecot);
  return { email, password };
}

/** The password of a user added with addMailUser, or undefined (also used by the SMTP receivers). */
export function mailUserPassword(email: string, dovecot: Pick<DovecotAdmin, 'usersDir'> = testEnv().dovecot): string | undefined {
  if (/[/\s]/.test(email)) return undefined;
  try {
    const line = readFileSync(join(dovecot.usersDir, email), 'utf8').trim();
    return /^[^:]+:\{PLAIN\}(.*)$/.exec(line)?.[1];
  } catch {
    return undefined;
  }
}

async function canLogIn(email: string, password: string, dovecot: DovecotAdmin): Promise<boolean> {
  const result = await doveadm(dovecot, ['auth', 'test', email, password], undefined, false);
  return result.code === 0;
}

/** Creates a folder ("A/B" nests); succeeds if it already exists. */
export async function createFolder(user: string, folder: string, dovecot: DovecotAdmin = testEnv().dovecot): Promise<void> {
  const result = await doveadm(dovecot, ['mailbox', 'create', '-u', user, folder], undefined, false);
  if (result.code !== 0 && !/already exists/i.test(result.stderr)) throw doveadmError(['mailbox', 'create', folder], result);
}

export async function listFolders(user: string, dovecot: DovecotAdmin = testEnv().dovecot): Promise<string[]> {
  const rows = await doveadmJson<{ mailbox: string }>(dovecot, ['mailbox', 'list', '-u', user]);
  return rows.map((row) => row.mailbox);
}

/**
 * Stores a raw RFC 5322 message in a user's folder (created if missing) and returns its UID.
 * The UID is found by the message's Message-ID (the newest match), else it is the folder's highest
 * UID; so deliver distinct Message-IDs when several deliveries to one folder run concurrently.
 */
export async function deliver(user: string, rawMail: Buffer | string, options: DeliverOptions = {}): Promise<number> {
  const { folder = 'INBOX', flags = [], dovecot = testEnv().dovecot } = options;
  const raw = Buffer.isBuffer(rawMail) ? rawMail : Buffer.from(rawMail);
  let result = await doveadm(dovecot, ['save', '-u', user, '-m', folder], raw, false);
  if (result.code === EXIT_MAILBOX_NOT_FOUND) {
    await createFolder(user, folder, dovecot);
    result = await doveadm(dovecot, ['save', '-u', user, '-m', folder], raw, false);
  }
  if (result.code !== 0) throw doveadmError(['save', folder], result);

  const messageId = headerValue(raw, 'Message-ID');
  // SEARCH HEADER matches substrings, so compare the fetched values exactly.
  const matches = messageId
    ? (await doveadmJson<Record<string, string>>(dovecot, ['fetch', '-u', user, 'uid hdr.message-id', 'mailbox', folder, 'header', 'Message-ID', messageId]))
        .filter((row) => row['hdr.message-id'].trim() === messageId)
        .map((row) => Number(row.uid))
    : [];
  const uid = matches.length > 0 ? Math.max(...matches) : (await folderStatus(user, folder, dovecot)).uidNext - 1;
  if (flags.length > 0) await addFlags(user, folder, uid, flags, dovecot);
  return uid;
}

export async function addFlags(user: string, folder: string, uid: number, flags: string[], dovecot: DovecotAdmin = testEnv().dovecot): Promise<void> {
  await doveadm(dovecot, ['flags', 'add', '-u', user, flags.join(' '), 'mailbox', folder, 'uid', String(uid)]);
}

export async function removeFlags(user: string, folder: string, uid: number, flags: string[], dovecot: DovecotAdmin = testEnv().dovecot): Promise<void> {
  await doveadm(dovecot, ['flags', 'remove', '-u', user, flags.join(' '), 'mailbox', folder, 'uid', String(uid)]);
}

/** Deletes a message as another client would (flag \Deleted + EXPUNGE). */
export async function expunge(user: string, folder: string, uid: number, dovecot: DovecotAdmin = testEnv().dovecot): Promise<void> {
  await doveadm(dovecot, ['expunge', '-u', user, 'mailbox', folder, 'uid', String(uid)]);
}

export async function listMessages(user: string, folder = 'INBOX', dovecot: DovecotAdmin = testEnv().dovecot): Promise<MailboxMessage[]> {
  const rows = await doveadmJson<Record<string, string>>(dovecot, [
    'fetch', '-u', user, 'uid flags size.virtual hdr.message-id', 'mailbox', folder, 'all',
  ]);
  return rows
    .map((row) => ({
      uid: Number(row.uid),
      flags: row.flags.split(' ').filter((flag) => flag && flag !== '\\Recent'),
      size: Number(row['size.virtual']),
      messageId: (row['hdr.message-id'] ?? '').trim(),
    }))
    .sort((a, b) => a.uid - b.uid);
}

export async function folderStatus(user: string, folder = 'INBOX', dovecot: DovecotAdmin = testEnv().dovecot): Promise<FolderStatus> {
  const [row] = await doveadmJson<Record<string, string>>(dovecot, ['mailbox', 'status', '-u', user, 'messages unseen uidvalidity uidnext', folder]);
  return { messages: Number(row.messages), unseen: Number(row.unseen), uidValidity: Number(row.uidvalidity), uidNext: Number(row.uidnext) };
}

export async function messageCount(user: string, folder = 'INBOX', dovecot: DovecotAdmin = testEnv().dovecot): Promise<number> {
  return (await folderStatus(user, folder, dovecot)).messages;
}

/**
 * Makes the server report a new UIDVALIDITY for a folder, as after a mailbox rebuild or a server
 * migration (RFC 3501 §2.3.1.1: cached UIDs are then void). With `renumber` (default) the UIDs also
 * restart at 1, so an old UID may now name a different message: Dovecot's UID list and indexes are
 * deleted and rebuilt from the Maildir files. Do it while no client has the folder selected.
 */
export async function resetUidValidity(
  user: string,
  folder = 'INBOX',
  options: { renumber?: boolean; dovecot?: DovecotAdmin } = {},
): Promise<{ before: number; after: number }> {
  const { renumber = true, dovecot = testEnv().dovecot } = options;
  const before = (await folderStatus(user, folder, dovecot)).uidValidity;
  if (renumber) {
    const maildir = join(dovecot.mailDir, user, 'Maildir');
    const folderDir = folder.toUpperCase() === 'INBOX' ? maildir : join(maildir, `.${folder.replace(/\//g, '.')}`);
    for (const name of readdirSync(folderDir)) {
      if (name === 'dovecot-uidlist' || name.startsWith('dovecot.index')) rmSync(join(folderDir, name), { force: true });
    }
    // The mailbox list index caches STATUS values (incl. UIDVALIDITY) for every folder.
    for (const name of readdirSync(maildir)) {
      if (name.startsWith('dovecot.list.index')) rmSync(join(maildir, name), { force: true });
    }
  }
  const after = before + 1;
  await doveadm(dovecot, ['mailbox', 'update', '-u', user, '--uid-validity', String(after), folder]);
  return { before, after };
}

interface DoveadmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs doveadm with the test config; throws on a non-zero exit unless `check` is false. */
export function doveadm(dovecot: Pick<DovecotAdmin, 'configPath'>, args: string[], input?: Buffer, check = true): Promise<DoveadmResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('doveadm', ['-c', dovecot.configPath, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk) => stdout.push(chunk));
    child.stderr.on('data', (chunk) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const result = { code: code ?? -1, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() };
      if (check && result.code !== 0) reject(doveadmError(args, result));
      else resolve(result);
    });
    child.stdin.end(input);
  });
}

async function doveadmJson<T>(dovecot: DovecotAdmin, args: string[]): Promise<T[]> {
  const { stdout } = await doveadm(dovecot, ['-f', 'json', ...args]);
  return stdout.trim() ? (JSON.parse(stdout) as T[]) : [];
}

function doveadmError(args: string[], result: DoveadmResult): Error {
  return new Error(`doveadm ${args.join(' ')} exited with ${result.code}: ${result.stderr.trim()}`);
}
