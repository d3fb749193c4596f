import { simpleParser } from 'mailparser';
import { dovecotPort } from '../test/support/mailboxes';
import type { BenchContext, BenchResult, BenchScenario } from './bench.types';
import { fetchInOwnProcess, fillMailbox, type TimedFetch } from './bench-mailbox';
import { round } from './load';
import { largeMail, mixedCorpus, type CorpusMail } from './mail-corpus';

const MAILS = Number(process.env.BENCH_INGEST_MAILS ?? 5_000);

/** mailparser's bare single-core parse rate of the same mails: the yardstick of issue 6. */
async function bareParseRate(mails: CorpusMail[]): Promise<number> {
  const started = performance.now();
  for (const mail of mails) await simpleParser(mail.raw);
  return mails.length / ((performance.now() - started) / 1000);
}


/** End to end, IMAPS fetch → parse → request committed → \Seen, on one database kind. */
async function ingestRate(context: BenchContext, database: 'postgres' | 'embedded', user: { email: string; password: string }): Promise<TimedFetch> {
  return fetchInOwnProcess(database, {
    protocol: 'imaps', authType: 'password', host: '127.0.0.1', port: dovecotPort('imaps'), username: user.email, password: user.password,
    caCertificate: context.env.caCert, loopLimit: { count: 1000, minutes: 1 },
  });
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
    // Over the 25 MiB limit (quarantined, raw kept), and 25,000,000 bytes under it (imported).
    const large = await ingestRate(context, 'postgres', await fillMailbox([largeMail(25 * 2 ** 20), ...mixedCorpus(20, 9)], 'ingest-large'));
    const imported = await ingestRate(context, 'postgres', await fillMailbox([largeMail(25_000_000), ...mixedCorpus(20, 10)], 'ingest-imported'));
    if (imported.summary.created < 21) throw new Error(`the 25,000,000-byte mail was not imported: ${JSON.stringify(imported.summary)}`);
    return {
      scenario: 'ingest',
      figures: {
        mails: MAILS,
        'PostgreSQL mails/s': round(postgres.perSecond),
        'PGlite mails/s': round(embedded.perSecond),
        'PostgreSQL requests created': postgres.summary.created,
        'PostgreSQL peak RSS MB': postgres.peakRssMb,
        'PostgreSQL run CPU ms/mail, service': postgres.cpuMsPerMail.service,
        'PostgreSQL run CPU ms/mail, postgres': postgres.cpuMsPerMail.postgres,
        'PGlite run CPU ms/mail, service (database inside)': embedded.cpuMsPerMail.service,
        'peak RSS MB with a 25 MB mail': large.peakRssMb,
        'peak RSS MB with a 25 MB mail imported': imported.peakRssMb,
      },
      baseline: { 'mailparser bare parse mails/s (1 core)': round(parse) },
      ratios: {
        'PostgreSQL / bare parse': { value: round(postgres.perSecond / parse), target: '>= 0.8' },
        'PGlite / bare parse': { value: round(embedded.perSecond / parse), target: '>= 0.25' },
        'peak RSS with a 25 MB mail (MB)': { value: large.peakRssMb, target: '< 200' },
        'peak RSS with a 25 MB mail imported (MB)': { value: imported.peakRssMb, target: '< 200' },
      },
      notes: [
        'prepare (parse + sanitize) runs on the parse worker threads, up to two chunks ahead of the commit; each chunk (at most 50 mails, 8 MB) is stored as one batch: lookups once per chunk, multi-row INSERTs, one transaction with its ledger rows; a savepoint per mail only when the batch fails',
      ],
    };
  },
};
