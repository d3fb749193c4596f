import fs from 'node:fs';
import { createMailUser } from '../test/support/dovecot';
import { createDatabase, dropDatabase } from '../test/support/postgres';
import { spawnService, TEST_API_TOKEN, TEST_SECRET, type ServiceProcess } from '../test/support/service';
import { makeTempDir, removeDir } from '../test/support/tmp';
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

export interface TimedFetch {
  summary: { fetched: number; created: number; appended: number; skipped: number; quarantined: number };
  seconds: number;
  peakRssMb: number;
}

/**
 * Our whole path in a service process of its own (so its peak RSS is ours alone): a fresh
 * database (PostgreSQL or embedded), one mailbox with `incoming`, one timed "Fetch now".
 */
export async function fetchInOwnProcess(database: 'postgres' | 'embedded', incoming: Record<string, unknown>): Promise<TimedFetch> {
  const databaseUrl = database === 'postgres' ? await createDatabase() : '';
  const dataDir = makeTempDir('deskmail-bench-');
  let service: ServiceProcess | null = null;
  try {
    service = spawnService({
      PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, DATABASE_URL: databaseUrl, DESKMAIL_API_TOKEN: TEST_API_TOKEN,
      DESKMAIL_SECRET: TEST_SECRET, DESKMAIL_WORKERS: 'false', LOG_LEVEL: 'warn',
    });
    const url = await service.url;
    const call = async (path: string, body?: unknown): Promise<any> => {
      const response = await fetch(url + path, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'content-type': 'application/json' },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(3_600_000),
      });
      const json = await response.json();
      if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`);
      return json;
    };
    const mailbox = await call('/v1/mailboxes', { name: 'Bench', emailAddresses: ['support@bench.example'], incoming: { fetchIntervalMinutes: 1440, importExisting: 'all', ...incoming } });
    const started = performance.now();
    const summary = await call(`/v1/mailboxes/${mailbox.id}/fetch`);
    return { summary, seconds: (performance.now() - started) / 1000, peakRssMb: peakRssMb(service.child.pid!) };
  } finally {
    await service?.stop();
    removeDir(dataDir);
    if (databaseUrl) await dropDatabase(databaseUrl);
  }
}
