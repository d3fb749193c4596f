import { Client } from 'pg';
import { connectImap } from '../test/support/imap';
import { startEwsEmulator } from '../test/support/ews-emulator';
import { dovecotPort } from '../test/support/mailboxes';
import { createDatabase, dropDatabase } from '../test/support/postgres';
import type { BenchContext, BenchResult, BenchScenario } from './bench.types';
import { fetchInOwnProcess, fillMailbox, type TimedFetch } from './bench-mailbox';
import { round } from './load';
import { largeMail, mixedCorpus, type CorpusMail } from './mail-corpus';

const MAILS = Number(process.env.BENCH_FETCH_MAILS ?? 5_000);


/** Raw imapflow FETCH of every message's bytes: the protocol ceiling. */
async function rawFetchRate(user: { email: string; password: string }): Promise<number> {
  const client = await connectImap({ user: user.email, password: user.password });
  try {
    await client.mailboxOpen('INBOX', { readOnly: true });
    const started = performance.now();
    let count = 0;
    for await (const message of client.fetch('1:*', { uid: true, source: true })) if (message.source) count++;
    return count / ((performance.now() - started) / 1000);
  } finally {
    await client.logout();
  }
}

/** A bare INSERT of the same bytes, one transaction per mail: the storage ceiling without batching. */
async function bareInsertRate(mails: CorpusMail[]): Promise<number> {
  const url = await createDatabase();
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('CREATE TABLE bench_raw (id bigserial PRIMARY KEY, message_id text UNIQUE, raw bytea)');
    const started = performance.now();
    for (const mail of mails) {
      await client.query('BEGIN');
      await client.query('INSERT INTO bench_raw (message_id, raw) VALUES ($1, $2)', [mail.messageId, mail.raw]);
      await client.query('COMMIT');
    }
    return mails.length / ((performance.now() - started) / 1000);
  } finally {
    await client.end();
    await dropDatabase(url);
  }
}

/** Our full path, fetch → parse → request + ledger committed → acknowledged, over one protocol. */
async function ourFetchRate(context: BenchContext, protocol: 'imaps' | 'pops', user: { email: string; password: string }): Promise<TimedFetch> {
  return fetchInOwnProcess('postgres', {
    protocol, authType: 'password', host: '127.0.0.1', port: dovecotPort(protocol), username: user.email, password: user.password,
    caCertificate: context.env.caCert, afterFetch: protocol === 'pops' ? 'keep' : 'markSeen',
  });
}


/** Our full path over EWS (the emulator, as on-premises Exchange) for a folder with `mails`: its peak RSS. */
async function ourEwsFetch(context: BenchContext, mails: CorpusMail[]): Promise<TimedFetch> {
  const ews = await startEwsEmulator(context.env.trustedCert, context.env.auth);
  try {
    const user = `bench-ews-${Date.now().toString(36)}@bench.example`;
    ews.setPassword(user, 'bench');
    for (const mail of mails) ews.addMessage(user, mail.raw);
    return await fetchInOwnProcess('postgres', {
      protocol: 'ews', authType: 'password', connectUrl: ews.url, username: user, password: 'bench', caCertificate: context.env.caCert, afterFetch: 'markRead',
    });
  } finally {
    await ews.close();
  }
}

/**
 * Issue 5's `fetch` scenario: messages/s of fetch + ledger + store over IMAPS and POP3S for
 * 5,000 mixed mails on PostgreSQL, next to the raw imapflow FETCH rate and a bare
 * one-transaction-per-mail INSERT of the same bytes, measured in the same run; and the peak
 * RSS of a service process fetching a folder with a 25 MB mail, over IMAPS and over EWS.
 */
export const fetchScenario: BenchScenario = {
  name: 'fetch',
  description: `fetch + ledger + store of ${MAILS} mixed mails (2 KB – 500 KB) over IMAPS and POP3S on PostgreSQL`,
  async run(context): Promise<BenchResult> {
    const mails = mixedCorpus(MAILS);
    const totalMb = mails.reduce((sum, m) => sum + m.raw.length, 0) / 2 ** 20;
    const imapUser = await fillMailbox(mails, 'bench-imap');
    const popUser = await fillMailbox(mails, 'bench-pop');
    const rawFetch = await rawFetchRate(imapUser);
    const bareInsert = await bareInsertRate(mails);
    const imaps = await ourFetchRate(context, 'imaps', imapUser);
    const pops = await ourFetchRate(context, 'pops', popUser);
    // 25 MiB plus headers is over the default 25 MiB limit: quarantined, raw kept. 25,000,000
    // bytes is under it: parsed, its 18.5 MB attachment stored. Both paths, both measured.
    const large = await ourFetchRate(context, 'imaps', await fillMailbox([largeMail(25 * 2 ** 20), ...mixedCorpus(20, 7)], 'bench-large'));
    const imported = await ourFetchRate(context, 'imaps', await fillMailbox([largeMail(25_000_000), ...mixedCorpus(20, 8)], 'bench-imported'));
    if (imported.summary.created < 21) throw new Error(`the 25,000,000-byte mail was not imported: ${JSON.stringify(imported.summary)}`);
    // The same mail over EWS, where it arrives as base64 inside one SOAP answer.
    const overEws = await ourEwsFetch(context, [largeMail(25_000_000), ...mixedCorpus(20, 9)]);
    if (overEws.summary.created < 21) throw new Error(`the 25,000,000-byte mail was not imported over EWS: ${JSON.stringify(overEws.summary)}`);
    return {
      scenario: 'fetch',
      figures: {
        mails: MAILS,
        'corpus MB': round(totalMb, 1),
        'IMAPS mails/s': round(imaps.perSecond),
        'POP3S mails/s': round(pops.perSecond),
        'IMAPS peak RSS MB': imaps.peakRssMb,
        ...Object.fromEntries(Object.entries(imaps.cpuMsPerMail).map(([who, ms]) => [`IMAPS CPU ms/mail, ${who}`, ms])),
        'peak RSS MB with a 25 MB mail': large.peakRssMb,
        'peak RSS MB with a 25 MB mail imported': imported.peakRssMb,
        'peak RSS MB with a 25 MB mail imported over EWS': overEws.peakRssMb,
      },
      baseline: { 'raw imapflow FETCH mails/s': round(rawFetch), 'bare INSERT (1 tx/mail) mails/s': round(bareInsert) },
      ratios: {
        'IMAPS ÷ bare INSERT': { value: round(imaps.perSecond / bareInsert), target: '≥ 1.0' },
        'POP3S ÷ bare INSERT': { value: round(pops.perSecond / bareInsert), target: '≥ 1.0' },
        'IMAPS ÷ raw FETCH': { value: round(imaps.perSecond / rawFetch) },
        'peak RSS with a 25 MB mail (MB)': { value: large.peakRssMb, target: '< 150' },
        'peak RSS with a 25 MB mail imported (MB)': { value: imported.peakRssMb, target: '< 150' },
      },
    };
  },
};
