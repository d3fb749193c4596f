// End to end through the service: a mailbox with incoming and outgoing `graph` against the Graph
// emulator, with OAuth2 tokens of the OAuth2 module (registered with PUT oauth2-tokens): sample
// mail, fetch exactly once across a restart, a refused token refreshed once, test mail and a
// reply with our headers, the admin's 502s.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { testEnv } from '../support/env';
import { startGraphEmulator, type GraphEmulator } from '../support/graph-emulator';
import { numberedMail } from '../support/graph-emulator-testkit';
import { headerValue } from '../support/mail';
import { waitUntil } from '../support/mailboxes';
import { obtainTokens, revoke } from '../support/oauth-client';
import { createCustomApp, registerServiceClient, type AppClient } from '../support/oauth-fixtures';
import { createDatabase, dropDatabase } from '../support/postgres';
import { startTestService, type ServiceUnderTest } from '../support/service';
import { uniqueId } from '../support/tmp';

const SERVICE_ENV = { DESKMAIL_WORKERS: 'true', DESKMAIL_SCHEDULER_TICK_MS: '600000', DESKMAIL_OUTBOX_TICK_MS: '100', DESKMAIL_OUTBOX_RETRY_BASE_MS: '200', LOG_LEVEL: 'warn' };

describe('a graph mailbox through the service', { timeout: 120_000 }, () => {
  const env = testEnv();
  let graph: GraphEmulator;
  let sut: ServiceUnderTest;
  let databaseUrl: string;
  let client: AppClient;
  let appId: string;

  before(async () => {
    graph = await startGraphEmulator(env.trustedCert, env.auth);
    databaseUrl = await createDatabase();
    sut = await startTestService({ databaseUrl, keep: true, env: SERVICE_ENV });
    client = await registerServiceClient(sut);
    appId = await createCustomApp(sut.api, client);
  });
  after(async () => {
    await sut?.close();
    await graph?.close();
    if (databaseUrl) await dropDatabase(databaseUrl).catch(() => undefined);
  });

  /** A graph mailbox for `user`, outgoing on the incoming grant (sameAsIncoming), with real tokens registered. */
  async function createMailbox(user: string, options: { accessToken?: 'real' | 'garbage'; incoming?: Record<string, unknown> } = {}): Promise<{ id: string; refreshToken: string }> {
    const server = { protocol: 'graph', authType: 'oauth2', connectUrl: graph.url, username: user, caCertificate: env.caCert };
    const response = await sut.api.post('/v1/mailboxes', {
      name: `Graph ${user}`,
      emailAddresses: [user],
      incoming: { ...server, oauth2App: appId, importExisting: 'all', ...options.incoming },
      outgoing: { ...server, sameAsIncoming: true, senderName: 'Example Support', senderAddress: user, acknowledge: false },
    });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    const id = response.body.id;
    const tokens = await obtainTokens({ clientId: client.clientId, clientSecret: client.clientSecret, username: user, redirectUri: `${sut.url}/oauth/callback` });
    const registered = await sut.api.put(`/v1/mailboxes/${id}/oauth2-tokens`, {
      side: 'incoming',
      accessToken: options.accessToken === 'garbage' ? 'an-access-token-graph-refuses' : tokens.access_token,
      refreshToken: tokens.refresh_token,
      expires: new Date(Date.now() + 3_600_000).toISOString(),
      user,
    });
    assert.equal(registered.status, 200, JSON.stringify(registered.body));
    return { id, refreshToken: tokens.refresh_token! };
  }

  it('samples the oldest mail unchanged and fetches every mail once across a restart', async () => {
    const user = `${uniqueId('graph-e2e-')}@example.test`;
    for (const n of [1, 2]) graph.addMessage(user, numberedMail(n, { to: user }).raw);
    const { id } = await createMailbox(user);

    const sample = await sut.api.post(`/v1/mailboxes/${id}/sample-mail`);
    assert.equal(sample.status, 200, JSON.stringify(sample.body));
    assert.equal(sample.body.message.subject, 'mail 1');
    assert.deepEqual(graph.messages(user).map((m) => m.isRead), [false, false]);

    const first = await sut.api.post(`/v1/mailboxes/${id}/fetch`);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.fetched, 2);
    assert.deepEqual(graph.messages(user).map((m) => m.isRead), [true, true]);

    await sut.close();
    sut = await startTestService({ databaseUrl, keep: true, env: SERVICE_ENV });
    graph.addMessage(user, numberedMail(3, { to: user }).raw);
    assert.equal((await sut.api.post(`/v1/mailboxes/${id}/fetch`)).body.fetched, 1);
    assert.equal((await sut.api.post(`/v1/mailboxes/${id}/fetch`)).body.fetched, 0);
    assert.equal((await sut.api.get(`/v1/mailboxes/${id}/ledger`)).body.total, 3);
  });

  it('refreshes a token Graph refuses once, through the OAuth2 module, and goes on', async () => {
    const user = `${uniqueId('graph-e2e-401-')}@example.test`;
    graph.addMessage(user, numberedMail(1, { to: user }).raw);
    const { id } = await createMailbox(user, { accessToken: 'garbage' });
    const fetched = await sut.api.post(`/v1/mailboxes/${id}/fetch`);
    assert.equal(fetched.status, 200, JSON.stringify(fetched.body));
    assert.equal(fetched.body.fetched, 1);
    assert.equal((await sut.api.get(`/v1/mailboxes/${id}`)).body.incoming.state, 'connected');
  });

  it('sends a test mail and a reply through sendMail with our headers intact', async () => {
    const user = `${uniqueId('graph-e2e-send-')}@example.test`;
    const incoming = numberedMail(1, { to: user });
    graph.addMessage(user, incoming.raw);
    const { id } = await createMailbox(user);

    const test = await sut.api.post(`/v1/mailboxes/${id}/test-mail`, { to: 'admin@customer.example' });
    assert.equal(test.status, 200, JSON.stringify(test.body));
    assert.equal(test.body.response, '202 Accepted');
    assert.equal(headerValue(graph.sent(user)[0].raw, 'Message-ID'), `<${test.body.messageId}>`);

    assert.equal((await sut.api.post(`/v1/mailboxes/${id}/fetch`)).body.created, 1);
    const requests = await sut.api.get(`/v1/requests?mailbox=${id}`);
    const reply = await sut.api.post(`/v1/requests/${requests.body.requests[0].id}/reply`, { text: 'We are on it.' });
    assert.equal(reply.status, 202, JSON.stringify(reply.body));
    const sentReply = await waitUntil(async () => graph.sent(user).find((mail) => headerValue(mail.raw, 'In-Reply-To')), 20_000, 'the reply to leave through Graph');
    assert.equal(headerValue(sentReply.raw, 'In-Reply-To'), incoming.messageId);
    assert.ok(headerValue(sentReply.raw, 'References').includes(incoming.messageId));
    assert.equal(headerValue(sentReply.raw, 'Message-ID'), `<${reply.body.messageId}>`);
  });

  it('answers 502 naming the missing permission, and authenticationError for a revoked grant', async () => {
    const user = `${uniqueId('graph-e2e-403-')}@example.test`;
    graph.denyPermission(user, 'Mail.ReadWrite');
    const { id } = await createMailbox(user);
    const sample = await sut.api.post(`/v1/mailboxes/${id}/sample-mail`);
    assert.equal(sample.status, 502);
    assert.equal(sample.body.code, 'AUTHENTICATION_FAILED');
    assert.match(sample.body.message, /needs the permission Mail.ReadWrite \(Mail.ReadWrite.Shared for a shared mailbox\)/);

    const other = `${uniqueId('graph-e2e-rev-')}@example.test`;
    const revoked = await createMailbox(other, { accessToken: 'garbage' });
    await revoke(revoked.refreshToken, { clientId: client.clientId, clientSecret: client.clientSecret, authMethod: client.method });
    const fetch = await sut.api.post(`/v1/mailboxes/${revoked.id}/fetch`);
    assert.equal(fetch.status, 502, JSON.stringify(fetch.body));
    // Graph refused the token, the forced refresh met a dead grant: the admin must re-authorize.
    assert.equal(fetch.body.code, 'INVALID_GRANT');
    assert.match(fetch.body.message, /re-authorize the mailbox/);
    assert.equal((await sut.api.get(`/v1/mailboxes/${revoked.id}`)).body.incoming.state, 'authenticationError');
  });
});
