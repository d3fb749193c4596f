import { simpleParser } from 'mailparser';
import { dovecotPort } from '../test/support/mailboxes';
import { createDatabase, dropDatabase } from '../test/support/postgres';
import { spawnService, TEST_API_TOKEN, TEST_SECRET, type ServiceProcess } from '../test/support/service';
import { makeTempDir, removeDir } from '../test/support/tmp';
import type { BenchContext, BenchResult, BenchScenario } from './bench.types';
import { fillMailbox, peakRssMb } from './bench-mailbox';
import { round } from './load';
import { largeMail, mixedCorpus, type CorpusMail } from './mail-corpus';

const MAILS = Number(process.env.BENCH_INGEST_MAILS ?? 5_000);

/** mailparser's bare single-core parse rate of the same mails: the yardstick of issue 6. */
async function bareParseRate(mails: CorpusMail[]): Promise<number> {
  const started = performance.now();
  for (const mail of mails) await simpleParser(mail.raw);
  return mails.length / ((performance.now() - started) / 1000);
}


interface IngestRun {
  perSecond: number;
  seconds: number;
  created: number;
  quarantined: number;
  peakRssMb: number;
}

/** End to end in a service process of its own: IMAPS fetch → parse → request committed → \Seen. */
async function ingestRate(context: BenchContext, database: 'postgres' | 'embedded', user: { email: string; password: string }): Promise<IngestRun> {
  const databaseUrl = database === 'postgres' ? await createDatabase() : '';
  const dataDir = makeTempDir('deskmail-ingest-');
  let service: ServiceProcess | null = null;
  try {
    service = spawnService({
      PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, DATABASE_URL: databaseUrl, DESKMAIL_API_TOKEN: TEST_API_TOKEN,
      DESKMAIL_SECRET: TEST_SECRET, DESKMAIL_WORKERS: 'false', LOG_LEVEL: 'warn',
    });
    const url = await service.url;
    const call = async (method: string, path: string, body?: unknown): Promise<any> => {
      const response = await fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${TEST_API_TOKEN}`, 'content-type': 'application/json' },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(3_600_000),
      });
      const json = await response.json();
      if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`);
      return json;
    };
    const mailbox = await call('POST', '/v1/mailboxes', {
      name: 'Ingest bench',
      emailAddresses: ['support@bench.example'],
      incoming: {
        protocol: 'imaps', authType: 'password', host: '127.0.0.1', port: dovecotPort('imaps'), username: user.email, password: user.password,
        caCertificate: context.env.caCert, importExisting: 'all', fetchIntervalMinutes: 1440, loopLimit: { count: 1000, minutes: 1 },
      },
    });
    const started = performance.now();
    const summary = await call('POST', `/v1/mailboxes/${mailbox.id}/fetch`);
    const seconds = (performance.now() - started) / 1000;
    return { perSecond: summary.fetched / seconds, seconds, created: summary.created, quarantined: summary.quarantined, peakRssMb: peakRssMb(service.child.pid!) };
  } finally {
    await service?.stop();
    removeDir(dataDir);
    if (databaseUrl) await dropDatabase(databaseUrl);
  }
}


/**
 * Issue 6's `ingest` scenario: mails/s end to end (fetch from the test Dovecot → parse →
 * request committed → \Seen) for 5,000 mixed mails on PostgreSQL and on PGlite, next to
 * mailparser's bare single-core parse rate of the same mails measured in the same run; and
 * the peak RSS of a process ingesting a folder with a 25 MB mail.
 */
export const ingestScenario: BenchScenario = {
  name: 'ingest',
  description: `fetch → parse → request committed → \\Seen of ${MAILS} mixed mails on PostgreSQL and PGlite vs mailparser's bare parse rate`,
  async run(context): Promise<BenchResult> {
    const mails = mixedCorpus(MAILS, 6);
    const parse = await bareParseRate(mails);
    const postgres = await ingestRate(context, 'postgres', await fillMailbox(mails, 'ingest-pg'));
    const embedded = await ingestRate(context, 'embedded', await fillMailbox(mails, 'ingest-pglite'));
    const large = await ingestRate(context, 'postgres', await fillMailbox([largeMail(25 * 2 ** 20), ...mixedCorpus(20, 9)], 'ingest-large'));
    return {
      scenario: 'ingest',
      figures: {
        mails: MAILS,
        'PostgreSQL mails/s': round(postgres.perSecond),
        'PGlite mails/s': round(embedded.perSecond),
        'PostgreSQL requests created': postgres.created,
        'PostgreSQL peak RSS MB': postgres.peakRssMb,
        'peak RSS MB with a 25 MB mail': large.peakRssMb,
      },
      baseline: { 'mailparser bare parse mails/s (1 core)': round(parse) },
      ratios: {
        'PostgreSQL / bare parse': { value: round(postgres.perSecond / parse), target: '>= 0.8' },
        'PGlite / bare parse': { value: round(embedded.perSecond / parse), target: '>= 0.25' },
        'peak RSS with a 25 MB mail (MB)': { value: large.peakRssMb, target: '< 200' },
      },
      notes: [
        'prepare (parse + sanitize) runs on worker threads while the next chunk downloads; stores are one savepoint per mail in batched transactions of 50, the database steps on the main thread are the bottleneck (about 5 ms per mail)',
      ],
    };
  },
};
