import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'pg';
import { advisoryKey } from '../../src/core/database/database';
import { createMailUser, deliver, listMessages } from '../support/dovecot';
import { buildTestMail } from '../support/mail';
import { createDovecotMailbox } from '../support/mailboxes';
import { createDatabase, dropDatabase } from '../support/postgres';
import { startTestService, type ServiceUnderTest } from '../support/service';

const STATEMENT_TIMEOUT_MS = 1_000;

/** Another session of the same database, as an admin's open transaction or a long job would be. */
async function lockingSession(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  await client.connect();
  return client;
}

describe('a database that does not answer in time (real PostgreSQL)', () => {
  let sut: ServiceUnderTest;
  before(async () => {
    sut = await startTestService({ env: { DESKMAIL_DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS) } });
  });
  after(async () => sut.close());

  it('stops a fetch within the statement timeout: nothing quarantined, nothing acknowledged, all of it taken once on the next run', async () => {
    const user = await createMailUser('db-locked');
    const sent = [1, 2, 3].map((n) => buildTestMail({ to: user.email, subject: `while the database is locked ${n}` }));
    for (const mail of sent) await deliver(user.email, mail.raw);
    const mailbox = await createDovecotMailbox(sut.api, { user: user.email, password: user.password });

    const locker = await lockingSession(sut.env.DATABASE_URL!);
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE message IN ACCESS EXCLUSIVE MODE');
      const startedAt = Date.now();
      const stopped = await sut.api.post(`/v1/mailboxes/${mailbox.id}/fetch`);
      const tookMs = Date.now() - startedAt;
      assert.equal(stopped.status, 503, JSON.stringify(stopped.body));
      assert.match(stopped.body.message, /database did not answer in time \(1 s, DESKMAIL_DB_STATEMENT_TIMEOUT_MS\)/);
      // One statement's deadline for the batch, none for mail-by-mail retries that would meet the same lock.
      assert.ok(tookMs < 10 * STATEMENT_TIMEOUT_MS, `gave up after ${tookMs} ms`);

      const view = (await sut.api.get(`/v1/mailboxes/${mailbox.id}`)).body;
      assert.equal(view.incoming.state, 'connected', 'the mail server was fine: the state says so');
      assert.equal(view.incoming.lastError.code, 'TIMEOUT');
      assert.match(view.incoming.lastError.message, /database.*stays on the server for the next run/);
      const quarantine = await sut.api.get('/v1/quarantine');
      assert.equal(quarantine.body.messages.filter((m: any) => m.mailbox === mailbox.id).length, 0, 'a slow database is not a bad mail');
      assert.ok((await listMessages(user.email)).every((m) => !m.flags.includes('\\Seen')), 'nothing acknowledged');
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }

    const resumed = await sut.api.post(`/v1/mailboxes/${mailbox.id}/fetch`);
    assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
    assert.equal(resumed.body.fetched, 3);
    assert.equal(resumed.body.created, 3);
    const ledger = (await sut.api.get(`/v1/mailboxes/${mailbox.id}/ledger`)).body;
    assert.equal(ledger.total, 3);
    assert.ok(ledger.entries.every((e: any) => e.outcome === 'request' && e.acknowledgedAt));
    assert.ok((await listMessages(user.email)).every((m) => m.flags.includes('\\Seen')));
  });

  it('answers the API with 503 naming the database instead of hanging', async () => {
    const locker = await lockingSession(sut.env.DATABASE_URL!);
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE request IN ACCESS EXCLUSIVE MODE');
      const answer = await sut.api.get('/v1/requests');
      assert.equal(answer.status, 503, JSON.stringify(answer.body));
      assert.match(answer.body.message, /database did not answer in time/);
      assert.ok(!JSON.stringify(answer.body).includes('SELECT'), 'no statement text in the answer');
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
    assert.equal((await sut.api.get('/v1/requests')).status, 200);
  });
});

describe('migrations and the statement timeout (real PostgreSQL)', () => {
  it('waits for another instance migrating for longer than the statement timeout instead of failing to start', async () => {
    const url = await createDatabase();
    const other = await lockingSession(url);
    let sut: ServiceUnderTest | null = null;
    try {
      await other.query('SELECT pg_advisory_lock($1)', [advisoryKey('deskmail:migrations')]);
      const starting = startTestService({ databaseUrl: url, env: { DESKMAIL_DB_STATEMENT_TIMEOUT_MS: '200' } });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await other.query('SELECT pg_advisory_unlock($1)', [advisoryKey('deskmail:migrations')]);
      sut = await starting;
      assert.equal((await sut.api.get('/v1/mailboxes')).status, 200, 'migrated and serving');
    } finally {
      await sut?.close();
      await other.end();
      await dropDatabase(url);
    }
  });
});
