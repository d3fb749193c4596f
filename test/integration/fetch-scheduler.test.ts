import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMailUser, deliver, listMessages } from '../support/dovecot';
import { buildTestMail } from '../support/mail';
import { createDovecotMailbox, waitUntil } from '../support/mailboxes';
import { createDatabase, dropDatabase } from '../support/postgres';
import { ApiClient, spawnService, startTestService, TEST_API_TOKEN, TEST_SECRET, type ServiceProcess } from '../support/service';
import { makeTempDir, removeDir } from '../support/tmp';

const workerEnv = (databaseUrl: string, dataDir: string): NodeJS.ProcessEnv => ({
  PORT: '0',
  HOST: '127.0.0.1',
  DATA_DIR: dataDir,
  DATABASE_URL: databaseUrl,
  DESKMAIL_API_TOKEN: TEST_API_TOKEN,
  DESKMAIL_SECRET: TEST_SECRET,
  DESKMAIL_WORKERS: 'true',
  DESKMAIL_SCHEDULER_TICK_MS: '100',
  DESKMAIL_FETCH_LEASE_MS: '3000',
  DESKMAIL_OUTBOX_TICK_MS: '200',
  LOG_LEVEL: 'warn',
});

async function deliverMany(user: string, count: number, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < count; n++) {
    const mail = buildTestMail({ to: user, subject: `${prefix} ${n}`, body: `body ${n}\n${'x'.repeat(200 + (n % 7) * 300)}` });
    await deliver(user, mail.raw);
    ids.push(mail.messageId.slice(1, -1));
  }
  return ids;
}

async function ledgerMessageIds(api: ApiClient, mailboxId: string): Promise<string[]> {
  const ids: string[] = [];
  for (let page = 1; ; page++) {
    const { body } = await api.get(`/v1/mailboxes/${mailboxId}/ledger?page=${page}&pageSize=200`);
    ids.push(...body.entries.map((e: { messageId: string }) => e.messageId));
    if (ids.length >= body.total || body.entries.length === 0) return ids;
  }
}

describe('the fetch scheduler', () => {
  it('fetches a new mailbox at once, then only every fetchIntervalMinutes', async () => {
    const sut = await startTestService({ env: { DESKMAIL_WORKERS: 'true', DESKMAIL_SCHEDULER_TICK_MS: '100' } });
    try {
      const user = await createMailUser('interval');
      await deliver(user.email, buildTestMail({ to: user.email, subject: 'first' }).raw);
      const mailbox = await createDovecotMailbox(sut.api, { user: user.email, password: user.password, incoming: { fetchIntervalMinutes: 1 } });
      const fetched = await waitUntil(async () => {
        const view = await sut.api.get(`/v1/mailboxes/${mailbox.id}`);
        // The run is over once lastFetchAt is recorded (the ledger row commits a moment before).
        return view.body.incoming.ledger.seen === 1 && view.body.incoming.lastFetchAt && view.body;
      }, 20_000, 'the scheduled first fetch');
      await deliver(user.email, buildTestMail({ to: user.email, subject: 'second' }).raw);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const view = await sut.api.get(`/v1/mailboxes/${mailbox.id}`);
      assert.equal(view.body.incoming.ledger.seen, 1, 'not fetched again before the interval');
      assert.equal(view.body.incoming.lastFetchAt, fetched.incoming.lastFetchAt);
      const next = new Date(view.body.incoming.nextFetchAt).getTime() - new Date(view.body.incoming.lastFetchAt).getTime();
      assert.ok(Math.abs(next - 60_000) < 1_000, `next fetch one interval later (${next} ms)`);
    } finally {
      await sut.close();
    }
  });

  it('two processes on one database split the mailboxes and fetch every mail exactly once', async () => {
    const databaseUrl = await createDatabase();
    const dirs = [makeTempDir('deskmail-a-'), makeTempDir('deskmail-b-')];
    const processes: ServiceProcess[] = [];
    try {
      // Create the mailboxes before the workers start, so both race for the same due rows.
      const setup = await startTestService({ databaseUrl, keep: true });
      const mailboxes: Array<{ id: string; ids: string[] }> = [];
      for (let n = 0; n < 4; n++) {
        const user = await createMailUser(`split-${n}`);
        const ids = await deliverMany(user.email, 15, `split ${n}`);
        const mailbox = await createDovecotMailbox(setup.api, { user: user.email, password: user.password });
        mailboxes.push({ id: mailbox.id, ids });
      }
      await setup.close();
      for (const dir of dirs) processes.push(spawnService(workerEnv(databaseUrl, dir)));
      const urls = await Promise.all(processes.map((p) => p.url));
      const api = new ApiClient(urls[0], TEST_API_TOKEN);
      for (const mailbox of mailboxes) {
        const seen = await waitUntil(async () => {
          const ids = await ledgerMessageIds(api, mailbox.id);
          return ids.length >= mailbox.ids.length && ids;
        }, 60_000, 'every mail in the ledger');
        assert.deepEqual([...seen].sort(), [...mailbox.ids].sort(), 'each mail exactly once');
      }
      const requests = await api.get('/v1/requests?pageSize=200');
      if (requests.status === 200) assert.equal(requests.body.total, 60, 'one request per mail');
    } finally {
      await Promise.all(processes.map((p) => p.stop()));
      for (const dir of dirs) removeDir(dir);
      await dropDatabase(databaseUrl);
    }
  });

  it('loses nothing and doubles nothing when the process is killed (SIGKILL) during a fetch of 200 mails', async () => {
    const databaseUrl = await createDatabase();
    const dataDir = makeTempDir('deskmail-crash-');
    let current: ServiceProcess | null = null;
    try {
      const user = await createMailUser('crash');
      const ids = await deliverMany(user.email, 200, 'crash');
      const setup = await startTestService({ databaseUrl, keep: true });
      const mailbox = await createDovecotMailbox(setup.api, { user: user.email, password: user.password });
      await setup.close();
      // Kill at several random points while the scheduler fetches, restarting each time.
      for (let round = 0; round < 4; round++) {
        current = spawnService(workerEnv(databaseUrl, dataDir));
        await current.url;
        await new Promise((resolve) => setTimeout(resolve, 300 + Math.floor(Math.random() * 1200)));
        await current.stop('SIGKILL');
        current = null;
      }
      current = spawnService(workerEnv(databaseUrl, dataDir));
      const api = new ApiClient(await current.url, TEST_API_TOKEN);
      const seen = await waitUntil(async () => {
        const view = await api.get(`/v1/mailboxes/${mailbox.id}`);
        return view.body.incoming.ledger.seen >= 200 && view.body.incoming.ledger.unacknowledged === 0 && (await ledgerMessageIds(api, mailbox.id));
      }, 90_000, 'all 200 mails committed and acknowledged');
      assert.equal(seen.length, 200);
      assert.deepEqual([...seen].sort(), [...ids].sort(), 'every mail exactly once in the ledger');
      const requests = await api.get('/v1/requests?pageSize=200');
      if (requests.status === 200) assert.equal(requests.body.total, 200, 'every mail became exactly one request');
      const onServer = await listMessages(user.email);
      assert.ok(onServer.every((m) => m.flags.includes('\\Seen')), 'every mail acknowledged on the server after the restart');
    } finally {
      await current?.stop();
      removeDir(dataDir);
      await dropDatabase(databaseUrl);
    }
  });

  it('IDLE: a new mail is fetched within seconds of its arrival', async () => {
    const sut = await startTestService({ env: { DESKMAIL_WORKERS: 'true', DESKMAIL_SCHEDULER_TICK_MS: '100' } });
    try {
      const user = await createMailUser('idle');
      const mailbox = await createDovecotMailbox(sut.api, { user: user.email, password: user.password, incoming: { idle: true, fetchIntervalMinutes: 60 } });
      await waitUntil(async () => (await sut.api.get(`/v1/mailboxes/${mailbox.id}`)).body.incoming.lastFetchAt, 20_000, 'the first fetch');
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // let the IDLE connection settle
      const mail = buildTestMail({ to: user.email, subject: 'arrives while idling' });
      const delivered = Date.now();
      await deliver(user.email, mail.raw);
      await waitUntil(async () => (await ledgerMessageIds(sut.api, mailbox.id)).includes(mail.messageId.slice(1, -1)), 5_000, 'the IDLE-triggered fetch');
      assert.ok(Date.now() - delivered < 5_000);
    } finally {
      await sut.close();
    }
  });
});
