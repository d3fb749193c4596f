// End to end through the service: a mailbox with incoming and outgoing `ews` against the EWS
// emulator (password, as on-premises Exchange): sample mail, fetch exactly once across a
// restart, after-fetch actions, test mail and a reply with our headers, the admin's 502s.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { testEnv } from '../support/env';
import { startEwsEmulator, type EwsEmulator } from '../support/ews-emulator';
import { headerValue } from '../support/mail';
import { waitUntil } from '../support/mailboxes';
import { createDatabase, dropDatabase } from '../support/postgres';
import { numberedMail } from '../support/graph-emulator-testkit';
import { startTestService, type ServiceUnderTest } from '../support/service';
import { uniqueId } from '../support/tmp';

const SERVICE_ENV = { DESKMAIL_WORKERS: 'true', DESKMAIL_SCHEDULER_TICK_MS: '600000', DESKMAIL_OUTBOX_TICK_MS: '100', DESKMAIL_OUTBOX_RETRY_BASE_MS: '200', LOG_LEVEL: 'warn' };

describe('an ews mailbox through the service', { timeout: 120_000 }, () => {
  const env = testEnv();
  let ews: EwsEmulator;
  let sut: ServiceUnderTest;
  let databaseUrl: string;

  before(async () => {
    ews = await startEwsEmulator(env.trustedCert, env.auth);
    databaseUrl = await createDatabase();
    sut = await startTestService({ databaseUrl, keep: true, env: SERVICE_ENV });
  });
  after(async () => {
    await sut?.close();
    await ews?.close();
    if (databaseUrl) await dropDatabase(databaseUrl).catch(() => undefined);
  });

  async function createMailbox(user: string, password: string, incoming: Record<string, unknown> = {}): Promise<string> {
    const server = { protocol: 'ews', authType: 'password', connectUrl: ews.url, username: user, password, caCertificate: env.caCert };
    const response = await sut.api.post('/v1/mailboxes', {
      name: `EWS ${user}`,
      emailAddresses: [user],
      incoming: { ...server, importExisting: 'all', afterFetch: 'markRead', ...incoming },
      outgoing: { ...server, senderName: 'Example Support', senderAddress: user, acknowledge: false },
    });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body.id;
  }

  it('samples the oldest mail unchanged, fetches every mail once across a restart, marks it read after the commit', async () => {
    const user = `${uniqueId('ews-e2e-')}@example.test`;
    ews.setPassword(user, 'pw-1');
    for (const n of [1, 2]) ews.addMessage(user, numberedMail(n, { to: user }).raw);
    const id = await createMailbox(user, 'pw-1');

    const sample = await sut.api.post(`/v1/mailboxes/${id}/sample-mail`);
    assert.equal(sample.status, 200, JSON.stringify(sample.body));
    assert.equal(sample.body.message.subject, 'mail 1');
    assert.deepEqual(ews.messages(user).map((m) => m.isRead), [false, false]);

    const first = await sut.api.post(`/v1/mailboxes/${id}/fetch`);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.fetched, 2);
    assert.deepEqual(ews.messages(user).map((m) => m.isRead), [true, true]);

    // A restart: a new process on the same database resumes from the stored SyncFolderItems state.
    await sut.close();
    sut = await startTestService({ databaseUrl, keep: true, env: SERVICE_ENV });
    ews.addMessage(user, numberedMail(3, { to: user }).raw);
    const second = await sut.api.post(`/v1/mailboxes/${id}/fetch`);
    assert.equal(second.body.fetched, 1, JSON.stringify(second.body));
    const third = await sut.api.post(`/v1/mailboxes/${id}/fetch`);
    assert.equal(third.body.fetched, 0);
    const ledger = await sut.api.get(`/v1/mailboxes/${id}/ledger`);
    assert.equal(ledger.body.total, 3);
    assert.ok(ledger.body.entries.every((entry: { acknowledgedAt: string | null }) => entry.acknowledgedAt));
  });

  it('moves fetched mail to moveTo when afterFetch says so', async () => {
    const user = `${uniqueId('ews-e2e-mv-')}@example.test`;
    ews.setPassword(user, 'pw-2');
    ews.createFolder(user, 'Inbox/Done');
    ews.addMessage(user, numberedMail(1, { to: user }).raw);
    const moving = await createMailbox(user, 'pw-2', { afterFetch: 'move', moveTo: 'Inbox/Done' });
    assert.equal((await sut.api.post(`/v1/mailboxes/${moving}/fetch`)).body.fetched, 1);
    assert.equal(ews.messages(user, 'Inbox/Done').length, 1);
    assert.equal(ews.messages(user).length, 0);
  });

  it('sends a test mail and a reply through EWS with our headers intact', async () => {
    const user = `${uniqueId('ews-e2e-send-')}@example.test`;
    ews.setPassword(user, 'pw-3');
    const incoming = numberedMail(1, { to: user });
    ews.addMessage(user, incoming.raw);
    const id = await createMailbox(user, 'pw-3');

    const test = await sut.api.post(`/v1/mailboxes/${id}/test-mail`, { to: 'admin@customer.example' });
    assert.equal(test.status, 200, JSON.stringify(test.body));
    assert.equal(test.body.server, 'primary');
    const [sentTest] = ews.sent(user);
    assert.equal(headerValue(sentTest.raw, 'Message-ID'), `<${test.body.messageId}>`);

    assert.equal((await sut.api.post(`/v1/mailboxes/${id}/fetch`)).body.created, 1);
    const requests = await sut.api.get(`/v1/requests?mailbox=${id}`);
    const requestId = requests.body.requests[0].id;
    const reply = await sut.api.post(`/v1/requests/${requestId}/reply`, { text: 'We are on it.' });
    assert.equal(reply.status, 202, JSON.stringify(reply.body));
    const sentReply = await waitUntil(async () => ews.sent(user).find((mail) => headerValue(mail.raw, 'In-Reply-To')), 20_000, 'the reply to leave through EWS');
    assert.equal(headerValue(sentReply.raw, 'In-Reply-To'), incoming.messageId);
    assert.match(headerValue(sentReply.raw, 'References'), new RegExp(incoming.messageId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.equal(headerValue(sentReply.raw, 'Message-ID'), `<${reply.body.messageId}>`);
  });

  it('answers 502 with a message the admin can act on', async () => {
    const user = `${uniqueId('ews-e2e-bad-')}@example.test`;
    ews.setPassword(user, 'right');
    const id = await createMailbox(user, 'wrong');
    const sample = await sut.api.post(`/v1/mailboxes/${id}/sample-mail`);
    assert.equal(sample.status, 502);
    assert.equal(sample.body.code, 'AUTHENTICATION_FAILED');
    assert.equal(sample.body.message, `the server refused the password for ${user}: 401 Unauthorized`);
    const view = await sut.api.get(`/v1/mailboxes/${id}`);
    assert.equal(view.body.incoming.state, 'authenticationError');

    const unknownFolder = await createMailbox(user, 'right', { folder: 'Nope' });
    const fetch = await sut.api.post(`/v1/mailboxes/${unknownFolder}/fetch`);
    assert.equal(fetch.status, 502);
    assert.equal(fetch.body.code, 'PROTOCOL_ERROR');
    assert.match(fetch.body.message, /folder "Nope" does not exist/);
  });
});
