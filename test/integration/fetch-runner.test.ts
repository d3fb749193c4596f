import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createFolder, createMailUser, deliver, listMessages, messageCount, resetUidValidity } from '../support/dovecot';
import { testEnv } from '../support/env';
import { buildTestMail } from '../support/mail';
import { createDovecotMailbox } from '../support/mailboxes';
import { startTestService, type ServiceUnderTest } from '../support/service';

describe('fetching mail into the ledger (real Dovecot, real fetch path)', () => {
  let sut: ServiceUnderTest;
  before(async () => {
    sut = await startTestService({ env: { DESKMAIL_CONNECT_TIMEOUT_MS: '2000', DESKMAIL_COMMAND_TIMEOUT_MS: '3000' } });
  });
  after(async () => sut.close());

  for (const protocol of ['imap', 'imaps', 'pop', 'pops'] as const) {
    it(`fetches every new mail once over ${protocol}, records it in the ledger and acknowledges it after the commit`, async () => {
      const user = await createMailUser(`fetch-${protocol}`);
      const sent = [1, 2, 3].map((n) => buildTestMail({ to: user.email, subject: `${protocol} mail ${n}` }));
      for (const mail of sent) await deliver(user.email, mail.raw);
      const mailbox = await createDovecotMailbox(sut.api, { protocol, user: user.email, password: user.password });

      const first = await sut.api.post(`/v1/mailboxes/${mailbox.id}/fetch`);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const reconciled = (await sut.api.get(`/v1/mailboxes/${mailbox.id}`)).body.incoming.reconciliation;
      assert.deepEqual([reconciled.listed, reconciled.inLedger, reconciled.missing], [3, 3, 0]);
      assert.equal(first.body.fetched, 3);
      assert.equal(first.body.created + first.body.appended + first.body.quarantined, 3);
      const again = await sut.api.post(`/v1/mailboxes/${mailbox.id}/fetch`);
      assert.equal(again.body.fetched, 0, 'nothing is fetched twice');

      const ledger = await sut.api.get(`/v1/mailboxes/${mailbox.id}/ledger`);
      assert.equal(ledger.body.total, 3);
      assert.deepEqual(ledger.body.entries.map((e: any) => e.messageId).sort(), sent.map((m) => m.messageId.slice(1, -1)).sort());
      for (const entry of ledger.body.entries) assert.ok(entry.acknowledgedAt, 'acknowledged after commit');
      if (protocol.startsWith('imap')) {
        const flags = await listMessages(user.email);
        assert.ok(flags.every((m) => m.flags.includes('\\Seen')), 'IMAP default afterFetch marks seen');
      } else {
        assert.equal(await messageCount(user.email), 0, 'POP default afterFetch deletes');
      }
      const view = await sut.api.get(`/v1/mailboxes/${mailbox.id}`);
      assert.equal(view.body.incoming.state, 'connected');
      assert.equal(view.body.incoming.ledger.seen, 3);
      assert.equal(view.body.incoming.ledger.unacknowledged, 0);
      assert.equal(view.body.incoming.reconciliation.missing, 0, 'every message the server listed is in the ledger');
      assert.ok(view.body.incoming.reconciliation.listed <= 3);
      assert.ok(view.body.incoming.lastFetchAt);
    });
  }

  it('"Fetch a sample mail" returns the oldest mail and changes nothing on the server', async () => {
    const user = await createMailUser('sample');
    await deliver(user.email, buildTestMail({ to: user.email, subject: 'the oldest one', body: 'first body' }).raw);
    await deliver(user.email, buildTestMail({ to: user.email, subject: 'a newer one' }).raw);
    const mailbox = await createDovecotMailbox(sut.api, { user: user.email, password: user.password });
    const before = await listMessages(user.email);
    const sample = await sut.api.post(`/v1/mailboxes/${mailbox.id}/sample-mail`);
    assert.equal(sample.status, 200, JSON.stringify(sample.body));
    assert.equal(sample.body.found, true);
    assert.equal(sample.body.message.subject, 'the oldest one');
    assert.match(sample.body.message.text, /first body/);
    assert.ok(sample.body.message.size > 0);
    assert.deepEqual(await listMessages(user.email), before, 'flags and count unchanged');
    const ledger = await sut.api.get(`/v1/mailboxes/${mailbox.id}/ledger`);
    assert.equal(ledger.body.total, 0, 'no request, no ledger row');
    const pop = await createDovecotMailbox(sut.api, { protocol: 'pops', user: user.email, password: user.password, name: 'pop sample' });
    const popSample = await sut.api.post(`/v1/mailboxes/${pop.id}/sample-mail`);
    assert.equal(popSample.body.message.subject, 'the oldest one');
    assert.deepEqual(await listMessages(user.email), before, 'POP sample deletes nothing and marks nothing');
  });

  it('moves or deletes after the commit when the mailbox says so', async () => {
    const user = await createMailUser('actions');
    await createFolder(user.email, 'Done');
    await deliver(user.email, buildTestMail({ to: user.email, subject: 'to move' }).raw);
    const moving = await createDovecotMailbox(sut.api, { user: user.email, password: user.password, incoming: { afterFetch: 'move', moveTo: 'Done' } });
    assert.equal((await sut.api.post(`/v1/mailboxes/${moving.id}/fetch`)).body.fetched, 1);
    assert.equal(await messageCount(user.email, 'INBOX'), 0);
    assert.equal(await messageCount(user.email, 'Done'), 1);

    const other = await createMailUser('actions-delete');
    await deliver(other.email, buildTestMail({ to: other.email, subject: 'to delete' }).raw);
    const deleting = await createDovecotMailbox(sut.api, { user: other.email, password: other.password, incoming: { afterFetch: 'delete' } });
    assert.equal((await sut.api.post(`/v1/mailboxes/${deleting.id}/fetch`)).body.fetched, 1);
    assert.equal(await messageCount(other.email, 'INBOX'), 0);

    const keeper = await createMailUser('actions-keep');
    await deliver(keeper.email, buildTestMail({ to: keeper.email, subject: 'to keep' }).raw);
    const keeping = await createDovecotMailbox(sut.api, { protocol: 'pops', user: keeper.email, password: keeper.password, incoming: { afterFetch: 'keep' } });
    assert.equal((await sut.api.post(`/v1/mailboxes/${keeping.id}/fetch`)).body.fetched, 1);
    assert.equal((await sut.api.post(`/v1/mailboxes/${keeping.id}/fetch`)).body.fetched, 0, 'a kept POP mail is known by its UIDL');
    assert.equal(await messageCount(keeper.email, 'INBOX'), 1);
  });

  it('does not create a second request when the folder is re-read after a UIDVALIDITY reset', async () => {
    const user = await createMailUser('uidvalidity');
    await deliver(user.email, buildTestMail({ to: user.email, subject: 'before the reset' }).raw);
    const mailbox = await createDovecotMailbox(sut.api, { user: user.email, password: user.password });
    assert.equal((await sut.api.post(`/v1/mailboxes/${mailbox.id}/fetch`)).body.created, 1);
    const { before: old, after: now } = await resetUidValidity(user.email, 'INBOX');
    assert.notEqual(old, now);
    const refetch = await sut.api.post(`/v1/mailboxes/${mailbox.id}/fetch`);
    assert.equal(refetch.status, 200, JSON.stringify(refetch.body));
    assert.equal(refetch.body.created, 0, 'no duplicate request');
    const ledger = await sut.api.get(`/v1/mailboxes/${mailbox.id}/ledger`);
    assert.deepEqual(ledger.body.entries.map((e: any) => e.outcome).sort(), ['duplicate', 'request']);
  });

  it('picks up mail delivered after a fetch exactly once', async () => {
    const user = await createMailUser('late');
    const mailbox = await createDovecotMailbox(sut.api, { user: user.email, password: user.password });
    await deliver(user.email, buildTestMail({ to: user.email, subject: 'early' }).raw);
    assert.equal((await sut.api.post(`/v1/mailboxes/${mailbox.id}/fetch`)).body.fetched, 1);
    await deliver(user.email, buildTestMail({ to: user.email, subject: 'late' }).raw);
    assert.equal((await sut.api.post(`/v1/mailboxes/${mailbox.id}/fetch`)).body.fetched, 1);
    assert.equal((await sut.api.post(`/v1/mailboxes/${mailbox.id}/fetch`)).body.fetched, 0);
  });

  it('honours importExisting none: mail already there is ignored, never acknowledged', async () => {
    const user = await createMailUser('import-none');
    await deliver(user.email, buildTestMail({ to: user.email, subject: 'old' }).raw);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // INTERNALDATE has one-second resolution
    const mailbox = await createDovecotMailbox(sut.api, { user: user.email, password: user.password, incoming: { importExisting: 'none' } });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await deliver(user.email, buildTestMail({ to: user.email, subject: 'new' }).raw);
    const result = await sut.api.post(`/v1/mailboxes/${mailbox.id}/fetch`);
    assert.equal(result.body.fetched, 1);
    const ledger = await sut.api.get(`/v1/mailboxes/${mailbox.id}/ledger?outcome=ignored`);
    assert.equal(ledger.body.total, 1);
    assert.equal(ledger.body.entries[0].acknowledgedAt, null);
    const flags = await listMessages(user.email);
    assert.equal(flags.filter((m) => m.flags.includes('\\Seen')).length, 1, 'the old mail stays unread on the server');
  });

  describe('failures an admin can act on', () => {
    it('a wrong password: 502 AUTHENTICATION_FAILED naming the user, state authenticationError', async () => {
      const user = await createMailUser('wrong-pass');
      const mailbox = await createDovecotMailbox(sut.api, { user: user.email, password: 'not-the-password' });
      const sample = await sut.api.post(`/v1/mailboxes/${mailbox.id}/sample-mail`);
      assert.equal(sample.status, 502);
      assert.equal(sample.body.code, 'AUTHENTICATION_FAILED');
      assert.match(sample.body.message, new RegExp(user.email.replace('.', '\\.')));
      const view = await sut.api.get(`/v1/mailboxes/${mailbox.id}`);
      assert.equal(view.body.incoming.state, 'authenticationError');
      assert.equal(view.body.incoming.lastError.code, 'AUTHENTICATION_FAILED');
      const fetch = await sut.api.post(`/v1/mailboxes/${mailbox.id}/fetch`);
      assert.equal(fetch.status, 502);
      const after = await sut.api.get(`/v1/mailboxes/${mailbox.id}`);
      assert.ok(new Date(after.body.incoming.nextFetchAt).getTime() > Date.now(), 'retried later with backoff');
      const logs = await sut.api.get(`/v1/mailboxes/${mailbox.id}/logs`);
      assert.ok(logs.body.entries.some((e: any) => e.event === 'state' && e.message.includes('authenticationError')));
    });

    it('a closed port: CONNECTION_FAILED and state connectError', async () => {
      const closed = await closedPort();
      const user = await createMailUser('closed');
      const mailbox = await createDovecotMailbox(sut.api, { user: user.email, password: user.password, incoming: { port: closed } });
      const sample = await sut.api.post(`/v1/mailboxes/${mailbox.id}/sample-mail`);
      assert.equal(sample.status, 502);
      assert.equal(sample.body.code, 'CONNECTION_FAILED');
      assert.equal((await sut.api.get(`/v1/mailboxes/${mailbox.id}`)).body.incoming.state, 'connectError');
    });

    it('a server that accepts the connection and never answers: TIMEOUT within the deadline', async () => {
      const silent = net.createServer(() => undefined);
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      try {
        const user = await createMailUser('silent');
        const mailbox = await createDovecotMailbox(sut.api, { user: user.email, password: user.password, incoming: { port: (silent.address() as net.AddressInfo).port } });
        const started = Date.now();
        const sample = await sut.api.post(`/v1/mailboxes/${mailbox.id}/sample-mail`);
        assert.equal(sample.status, 502);
        assert.equal(sample.body.code, 'TIMEOUT');
        assert.match(sample.body.message, /no answer from 127\.0\.0\.1:\d+ within/);
        assert.ok(Date.now() - started < 15_000, 'bounded by the configured deadline');
      } finally {
        silent.close();
      }
    });

    it('an untrusted certificate: TLS_ERROR that says how to trust it; trusted with caCertificate', async () => {
      const user = await createMailUser('tls');
      const untrusted = await createDovecotMailbox(sut.api, { user: user.email, password: user.password, incoming: { caCertificate: testEnv().untrustedCert.cert } });
      const refused = await sut.api.post(`/v1/mailboxes/${untrusted.id}/sample-mail`);
      assert.equal(refused.status, 502);
      assert.equal(refused.body.code, 'TLS_ERROR');
      assert.match(refused.body.message, /caCertificate/);
      const trusted = await sut.api.patch(`/v1/mailboxes/${untrusted.id}`, { incoming: { caCertificate: testEnv().caCert } });
      assert.equal(trusted.status, 200);
      assert.equal((await sut.api.post(`/v1/mailboxes/${untrusted.id}/sample-mail`)).status, 200);
    });
  });

  it('records a redacted protocol transcript while debug is on', async () => {
    const user = await createMailUser('debug');
    await deliver(user.email, buildTestMail({ to: user.email }).raw);
    const mailbox = await createDovecotMailbox(sut.api, { user: user.email, password: user.password, incoming: { debug: true } });
    await sut.api.post(`/v1/mailboxes/${mailbox.id}/fetch`);
    const logs = await sut.api.get(`/v1/mailboxes/${mailbox.id}/logs?limit=200`);
    const transcript = logs.body.entries.filter((e: any) => e.event === 'transcript').map((e: any) => e.message).join('\n');
    assert.match(transcript, /C: .*(LOGIN|AUTHENTICATE)/);
    assert.match(transcript, /S: /);
    assert.ok(!transcript.includes(user.password), 'the password never reaches the log');
    assert.ok(!sut.logs.join('\n').includes(user.password), 'nor the service log');
  });
});

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
