import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Database } from '../../src/core/database/database';
import { startTestService, type ServiceUnderTest } from '../support/service';

const base = {
  name: 'Support',
  emailAddresses: ['Support@Example.test', 'help@example.test'],
  incoming: { protocol: 'imaps', authType: 'password', host: 'imap.example.test', username: 'support@example.test', password: 'imap-secret-value' },
  outgoing: { protocol: 'smtp', authType: 'password', host: 'smtp.example.test', username: 'support@example.test', password: 'smtp-secret-value', senderName: 'Example Support' },
};

describe('mailboxes API', () => {
  let sut: ServiceUnderTest;
  before(async () => {
    sut = await startTestService();
  });
  after(async () => sut.close());

  it('creates a mailbox with defaults, write-only secrets and each side’s state', async () => {
    const created = await sut.api.post('/v1/mailboxes', base);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { incoming, outgoing } = created.body;
    assert.deepEqual(created.body.emailAddresses, ['support@example.test', 'help@example.test']);
    assert.equal(incoming.port, 993);
    assert.equal(incoming.passwordSet, true);
    assert.equal(incoming.password, undefined);
    assert.equal(incoming.state, 'connecting');
    assert.equal(incoming.lastError, null);
    assert.ok(incoming.nextFetchAt);
    assert.equal(outgoing.port, 587);
    assert.equal(outgoing.tls, true);
    assert.equal(outgoing.senderAddress, 'support@example.test');
    assert.equal(outgoing.passwordSet, true);
    assert.ok(!JSON.stringify(created.body).includes('secret-value'), 'no secret in the response');
    const listed = await sut.api.get('/v1/mailboxes?page=1&pageSize=5');
    assert.equal(listed.status, 200);
    assert.ok(listed.body.total >= 1);
    assert.equal(listed.body.pageSize, 5);
    assert.ok(!JSON.stringify(listed.body).includes('secret-value'));
  });

  const broken: Array<[string, Record<string, unknown>, string]> = [
    ['OAuth2 over plain IMAP', { incoming: { ...base.incoming, protocol: 'imap', authType: 'oauth2', oauth2App: '00000000-0000-0000-0000-000000000000' } }, 'incoming.authType'],
    ['a fetch interval of 0', { incoming: { ...base.incoming, fetchIntervalMinutes: 0 } }, 'incoming.fetchIntervalMinutes'],
    ['a fetch interval over a day', { incoming: { ...base.incoming, fetchIntervalMinutes: 1441 } }, 'incoming.fetchIntervalMinutes'],
    ['move without moveTo', { incoming: { ...base.incoming, afterFetch: 'move' } }, 'incoming.moveTo'],
    ['keep on IMAP', { incoming: { ...base.incoming, afterFetch: 'keep' } }, 'incoming.afterFetch'],
    ['a password login without a password', { incoming: { ...base.incoming, password: undefined } }, 'incoming.password'],
    ['an unknown protocol', { incoming: { ...base.incoming, protocol: 'uucp' } }, 'incoming.protocol'],
    ['SMTP credentials without STARTTLS', { outgoing: { ...base.outgoing, tls: false } }, 'outgoing.tls'],
    ['an OAuth2 app that does not exist', { incoming: { ...base.incoming, authType: 'oauth2', oauth2App: '00000000-0000-0000-0000-000000000000' } }, 'incoming.oauth2App'],
    ['no email address', { emailAddresses: [] }, 'emailAddresses'],
    ['an unknown field', { incoming: { ...base.incoming, sslVerify: false } }, 'incoming.sslVerify'],
  ];
  for (const [what, change, field] of broken) {
    it(`answers 400 naming ${field} for ${what}`, async () => {
      const response = await sut.api.post('/v1/mailboxes', { ...base, ...change });
      assert.equal(response.status, 400, JSON.stringify(response.body));
      const messages: string[] = Array.isArray(response.body.message) ? response.body.message : [response.body.message];
      assert.ok(messages.some((m) => m.startsWith(field)), `${JSON.stringify(messages)} names ${field}`);
    });
  }

  it('re-validates PATCH against the merged settings and keeps the stored password', async () => {
    const { body: mailbox } = await sut.api.post('/v1/mailboxes', base);
    const toPop = await sut.api.patch(`/v1/mailboxes/${mailbox.id}`, { incoming: { protocol: 'pops' } });
    assert.equal(toPop.status, 200, JSON.stringify(toPop.body));
    assert.equal(toPop.body.incoming.port, 995);
    assert.equal(toPop.body.incoming.afterFetch, 'delete');
    assert.equal(toPop.body.incoming.passwordSet, true);
    const refused = await sut.api.patch(`/v1/mailboxes/${mailbox.id}`, { incoming: { idle: true } });
    assert.equal(refused.status, 400);
    assert.match(JSON.stringify(refused.body.message), /incoming\.idle/);
    const logs = await sut.api.get(`/v1/mailboxes/${mailbox.id}/logs`);
    assert.ok(logs.body.entries.some((e: { message: string }) => e.message.includes('reconnecting')));
  });

  it('deletes a mailbox and answers 404 afterwards', async () => {
    const { body: mailbox } = await sut.api.post('/v1/mailboxes', base);
    assert.equal((await sut.api.delete(`/v1/mailboxes/${mailbox.id}`)).status, 204);
    assert.equal((await sut.api.get(`/v1/mailboxes/${mailbox.id}`)).status, 404);
    assert.equal((await sut.api.get('/v1/mailboxes/not-a-uuid')).status, 404);
  });

  it('stores passwords sealed, never in clear text', async () => {
    await sut.api.post('/v1/mailboxes', base);
    const db = sut.service.app.get(Database);
    const stored: Array<Record<string, unknown>> = await db.run((em) => em.query('SELECT * FROM mailbox'));
    const dump = JSON.stringify(stored);
    assert.ok(!dump.includes('imap-secret-value') && !dump.includes('smtp-secret-value'));
    assert.match(String(stored[0].incoming_password_sealed), /^v1\./);
  });
});
