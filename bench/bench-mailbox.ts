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

/** CPU seconds (user + system) used so far by each process, by pid, read from /proc. */
export function cpuByProcess(): Map<number, { name: string; seconds: number }> {
  const ticks = 100; // USER_HZ on Linux
  const found = new Map<number, { name: string; seconds: number }>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      found.set(Number(entry), { name, seconds: (Number(fields[11]) + Number(fields[12])) / ticks });
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

/** CPU seconds so far of each thread of a process, summed by thread name (main "node", V8 and libuv helpers, workers). */
export function cpuByThread(pid: number): Record<string, number> {
  const byName: Record<string, number> = {};
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      // BENCH_THREADS=each: every thread on its own (V8's helper threads are all called "node"), user and system time apart.
      const name = task === String(pid) ? 'main' : process.env.BENCH_THREADS === 'each' ? `${comm}/${task}` : comm;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (process.env.BENCH_THREADS === 'each') {
        byName[`${name} user`] = Number(fields[11]) / 100;
        byName[`${name} sys`] = Number(fields[12]) / 100;
      } else byName[name] = (byName[name] ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // the thread ended while we looked
    }
  }
  return byName;
}

/**
 * Where the CPU of a timed section went: seconds of our service process (all its threads) and
 * of PostgreSQL. (Dovecot's per-session processes end before the section does; their share
 * cannot be read afterwards.)
 */
export function cpuSplit(before: Map<number, { name: string; seconds: number }>, servicePid: number): Record<string, number> {
  const split: Record<string, number> = { service: 0, postgres: 0 };
  for (const [pid, now] of cpuByProcess()) {
    const used = now.seconds - (before.get(pid)?.seconds ?? 0);
    if (pid === servicePid) split.service += used;
    else if (now.name.startsWith('postgres')) split.postgres += used;
  }
  return split;
}

export interface TimedFetch {
  summary: { fetched: number; created: number; appended: number; skipped: number; quarantined: number };
  seconds: number;
  peakRssMb: number;
  /** Fetched mails per second. */
  perSecond: number;
  /** CPU ms per fetched mail: the service process (all its threads), PostgreSQL. */
  cpuMsPerMail: Record<string, number>;
}

/**
 * The DESKMAIL_* settings of the bench's own environment (DESKMAIL_PARSE_WORKERS=1 npm run
 * bench, say), passed on to the measured service; the bench's own settings still win.
 */
function serviceSettingsFromEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('DESKMAIL_')));
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
      ...serviceSettingsFromEnvironment(),
      PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, DATABASE_URL: databaseUrl, DESKMAIL_API_TOKEN: TEST_API_TOKEN,
      DESKMAIL_SECRET: TEST_SECRET, DESKMAIL_WORKERS: 'false', LOG_LEVEL: process.env.BENCH_LOG_FILE ? 'debug' : 'warn',
      // BENCH_NODE_ARGS: e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the service under load.
    }, process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean));
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
    if (process.env.BENCH_THREADS) console.log('service peak RSS MB before the fetch:', peakRssMb(service.child.pid!));
    const cpuBefore = cpuByProcess();
    const threadsBefore = cpuByThread(service.child.pid!);
    const started = performance.now();
    const summary = await call(`/v1/mailboxes/${mailbox.id}/fetch`);
    const seconds = (performance.now() - started) / 1000;
    if (process.env.BENCH_THREADS) {
      const after = cpuByThread(service.child.pid!);
      console.log('service threads, CPU s during the fetch:', Object.fromEntries(Object.entries(after).map(([name, s]) => [name, round(s - (threadsBefore[name] ?? 0), 2)])));
    }
    const cpu = cpuSplit(cpuBefore, service.child.pid!);
    const perMail = (cpuSeconds: number) => round((cpuSeconds * 1000) / Math.max(1, summary.fetched), 2);
    return {
      summary,
      seconds,
      perSecond: summary.fetched / seconds,
      peakRssMb: peakRssMb(service.child.pid!),
      cpuMsPerMail: Object.fromEntries(Object.entries(cpu).map(([who, cpuSeconds]) => [who, perMail(cpuSeconds)])),
    };
  } finally {
    await service?.stop();
    // BENCH_LOG_FILE: the service's debug log (per-chunk load/commit/acknowledge timings) for profiling.
    if (process.env.BENCH_LOG_FILE && service) fs.appendFileSync(process.env.BENCH_LOG_FILE, service.output());
    removeDir(dataDir);
    if (databaseUrl) await dropDatabase(databaseUrl);
  }
}

