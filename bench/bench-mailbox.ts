import fs from 'node:fs';
import { createMailUser } from '../test/support/dovecot';
import { connectImap } from '../test/support/imap';
import { round } from './load';
import type { CorpusMail } from './mail-corpus';

/** Puts a corpus into a fresh Dovecot user with IMAP APPEND on a few parallel connections. */
export async function fillMailbox(mails: CorpusMail[], prefix: string): Promise<{ email: string; password: string }> {
  const user = await createMailUser(prefix);
  const lanes = 4;
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      const client = await connectImap({ user: user.email, password: user.password });
      try {
        for (let i = lane; i < mails.length; i += lanes) await client.append('INBOX', mails[i].raw);
      } finally {
        await client.logout();
      }
    }),
  );
  return user;
}

/** VmHWM: a process's peak resident set, as the kernel counted it, in MB. */
export function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return round(kb / 1024, 1);
}
