// Exactly once across crashes: the service is killed (SIGKILL) at random points while it
// fetches 200 mails from the real Dovecot, restarted, and at the end every mail of the
// folder is exactly one message (count and Message-IDs compared with the mailbox).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMailUser, listMessages } from '../support/dovecot';
import { testEnv } from '../support/env';
import { connectImap } from '../support/imap';
import { createDatabase, dropDatabase } from '../support/postgres';
import { ApiClient, spawnService, TEST_API_TOKEN, TEST_SECRET, type ServiceProcess } from '../support/service';
import { makeTempDir, removeDir } from '../support/tmp';
import { mail, messageIdOf, sql, unique } from './requests.helpers';

const MAILS = 200;
const KILLS = 4;

describe('a crash during a fetch', () => {
  it(`loses no mail and doubles none: ${KILLS} SIGKILLs at random points of a ${MAILS}-mail fetch, then every mail is exactly one message`, { timeout: 300_000 }, async (t) => {
    const databaseUrl = await createDatabase();
    const dataDir = makeTempDir('deskmail-crash-');
    const env = {
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      DESKMAIL_API_TOKEN: TEST_API_TOKEN,
      DESKMAIL_SECRET: TEST_SECRET,
      DESKMAIL_WORKERS: 'false',
      LOG_LEVEL: 'warn',
    };
    let service: ServiceProcess | null = null;
    const began = Date.now();
    const timings: string[] = [];
    const mark = (what: string): void => void timings.push(`${what} ${((Date.now() - began) / 1000).toFixed(1)} s`);
    const start = async (): Promise<ApiClient> => {
      service = spawnService(env);
      const api = new ApiClient(await service.url, TEST_API_TOKEN);
      mark('started');
      return api;
    };
    try {
      const user = await createMailUser('crash');
      let api = await start();
      const created = await api.post('/v1/mailboxes', {
        name: 'Crash test',
        emailAddresses: [user.email],
        incoming: {
          protocol: 'imaps',
          authType: 'password',
          host: '127.0.0.1',
          port: testEnv().dovecot.imapsPort,
          username: user.email,
          password: user.password,
          caCertificate: testEnv().caCert,
          importExisting: 'all',
          loopLimit: { count: 1000, minutes: 1 },
        },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const mailboxId = created.body.id as string;

      // APPENDed over one IMAP connection: 200 doveadm runs would take most of the time budget.
      const delivered: string[] = [];
      const imap = await connectImap({ user: user.email, password: user.password });
      try {
        for (let i = 0; i < MAILS; i++) {
          const filler = i % 5 === 0 ? `\r\n\r\n${'x'.repeat(2000 + i)}` : '';
          const raw = mail({ from: `Sender ${i} <${unique(`crash${i}`)}@example.org>`, subject: `Crash mail ${i}`, body: `Mail number ${i}.${filler}` });
          delivered.push(messageIdOf(raw));
          await imap.append('INBOX', raw);
        }
      } finally {
        await imap.logout();
      }

      mark('delivered');
      const storedAtKill: number[] = [];
      const stored = async (): Promise<number> => (await sql(databaseUrl, `SELECT count(*)::int AS n FROM message WHERE mailbox_id = $1`, [mailboxId]))[0].n;
      for (let kill = 0; kill < KILLS; kill++) {
        // A fetch in flight, killed somewhere between its first list and its last acknowledgement:
        // every other kill right after a batch committed (before its \Seen), the others at a random moment.
        const before = await stored();
        const fetching = api.post(`/v1/mailboxes/${mailboxId}/fetch`).catch(() => undefined);
        if (kill % 2 === 0) {
          const deadline = Date.now() + 15_000;
          // A chunk of 50 commits in tens of milliseconds: poll tightly, strike at once.
          while ((await stored()) === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
          await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 20)));
        } else {
          await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 300)));
        }
        await service!.stop('SIGKILL');
        await fetching;
        storedAtKill.push(await stored());
        // The dead process's lease would expire after LEASE_MS; expire it now instead of waiting.
        await sql(databaseUrl, 'UPDATE mailbox SET lease_owner = NULL, lease_until = NULL WHERE id = $1', [mailboxId]);
        api = await start();
      }

      mark('kills done');
      t.diagnostic(`messages stored when each kill struck: ${storedAtKill.join(', ')}`);
      assert.ok(storedAtKill.some((n) => n > 0 && n < MAILS), `a kill hit a fetch half way (messages stored at each kill: ${storedAtKill.join(', ')})`);
      // Run to the end: fetch until nothing is left and every commit was acknowledged.
      for (let round = 0; round < 10; round++) {
        const summary = await api.post(`/v1/mailboxes/${mailboxId}/fetch`);
        assert.equal(summary.status, 200, JSON.stringify(summary.body));
        const view = await api.get(`/v1/mailboxes/${mailboxId}`);
        if (summary.body.fetched === 0 && view.body.incoming.ledger.unacknowledged === 0) break;
      }

      mark('finished');
      t.diagnostic(timings.join('; '));
      const messages = await sql<{ message_id: string; copies: number }>(
        databaseUrl,
        `SELECT message_id, count(*)::int AS copies FROM message WHERE mailbox_id = $1 AND direction = 'in' GROUP BY message_id`,
        [mailboxId],
      );
      assert.equal(messages.length, MAILS, 'one message per mail');
      assert.ok(messages.every((row) => row.copies === 1), 'no mail stored twice');
      assert.deepEqual(messages.map((row) => row.message_id).sort(), [...delivered].sort(), 'the Message-IDs of the mailbox');
      const requests = await sql(databaseUrl, 'SELECT count(*)::int AS n FROM request WHERE mailbox_id = $1', [mailboxId]);
      assert.equal(requests[0].n, MAILS);
      const onServer = await listMessages(user.email);
      assert.equal(onServer.length, MAILS);
      assert.ok(onServer.every((message) => message.flags.includes('\\Seen')), 'every mail acknowledged on the server in the end');
    } finally {
      await (service as ServiceProcess | null)?.stop('SIGKILL');
      removeDir(dataDir);
      await dropDatabase(databaseUrl).catch(() => undefined);
    }
  });
});
