import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testEnv } from '../support/env';
import { obtainTokens } from '../support/oauth-client';
import { createCustomApp, registerServiceClient, tokenRequests, type AppClient } from '../support/oauth-fixtures';
import { startTestService, type ServiceUnderTest } from '../support/service';
import { startSmtpReceiver, type SmtpReceiver } from '../support/smtp-receiver';

const USER = 'outbox-oauth@deskmail.example';
const SENDER = 'support@deskmail.example';

describe('outgoing mail with XOAUTH2 tokens of the OAuth2 module', { timeout: 120_000 }, () => {
  let sut: ServiceUnderTest;
  let client: AppClient;
  let appId: string;
  const receivers: SmtpReceiver[] = [];
  const env = () => testEnv();

  before(async () => {
    // Retries 10 minutes apart: a mail that goes within the test went because something made it due.
    sut = await startTestService({ env: { DESKMAIL_WORKERS: 'true', DESKMAIL_OUTBOX_TICK_MS: '100', DESKMAIL_OUTBOX_RETRY_BASE_MS: '600000', DESKMAIL_SCHEDULER_TICK_MS: '600000', LOG_LEVEL: 'warn' } });
    client = await registerServiceClient(sut);
    appId = await createCustomApp(sut.api, client);
  });
  after(async () => {
    await sut?.close();
    await Promise.all(receivers.map((r) => r.stop()));
  });

  async function receiver(secure: boolean): Promise<SmtpReceiver> {
    const started = await startSmtpReceiver({ secure, tls: { key: env().trustedCert.key, cert: env().trustedCert.cert }, authMethods: ['XOAUTH2'] });
    receivers.push(started);
    return started;
  }

  /** A mailbox sending as USER with XOAUTH2; `sameAsIncoming` borrows the incoming grant. */
  async function mailbox(target: SmtpReceiver, sameAsIncoming = false): Promise<string> {
    const response = await sut.api.post('/v1/mailboxes', {
      name: 'XOAUTH2 outbox',
      emailAddresses: [SENDER],
      incoming: sameAsIncoming
        ? { protocol: 'imaps', authType: 'oauth2', host: 'imap.deskmail.example', username: USER, oauth2App: appId, enabled: false }
        : { protocol: 'imaps', authType: 'password', host: 'imap.deskmail.example', username: SENDER, password: 'unused', enabled: false },
      outgoing: {
        protocol: target.secure ? 'smtps' : 'smtp',
        authType: 'oauth2',
        ...(sameAsIncoming ? { sameAsIncoming: true } : { oauth2App: appId }),
        host: target.host,
        port: target.port,
        tls: true,
        username: USER,
        senderName: 'Example Support',
        senderAddress: SENDER,
        caCertificate: env().caCert,
      },
    });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body.id;
  }

  /** Real tokens from the test authorization server, registered through the token API with a chosen access token and expiry. */
  async function registerTokens(mailboxId: string, side: 'incoming' | 'outgoing', accessToken: 'real' | 'garbage', expires: Date): Promise<void> {
    const tokens = await obtainTokens({ clientId: client.clientId, clientSecret: client.clientSecret, username: USER, redirectUri: `${sut.url}/oauth/callback` });
    const response = await sut.api.put(`/v1/mailboxes/${mailboxId}/oauth2-tokens`, {
      side,
      accessToken: accessToken === 'real' ? tokens.access_token : 'not-a-valid-access-token',
      refreshToken: tokens.refresh_token,
      expires: expires.toISOString(),
      user: USER,
    });
    assert.equal(response.status, 200, JSON.stringify(response.body));
  }

  const testMail = (mailboxId: string) => sut.api.post(`/v1/mailboxes/${mailboxId}/test-mail`, { to: 'admin@customer.example' });

  for (const secure of [false, true]) {
    const protocol = secure ? 'smtps' : 'smtp+STARTTLS';

    it(`${protocol}: logs in with XOAUTH2 using a fresh token, without asking the token endpoint`, async () => {
      const target = await receiver(secure);
      const mailboxId = await mailbox(target);
      await registerTokens(mailboxId, 'outgoing', 'real', new Date(Date.now() + 3_600_000));
      const before = await tokenRequests(client.clientId);
      const response = await testMail(mailboxId);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const [received] = await target.waitForMessages(1);
      assert.deepEqual([received.authMethod, received.username, received.secure], ['XOAUTH2', USER, true]);
      assert.equal(received.messageId, `<${response.body.messageId}>`);
      assert.equal(await tokenRequests(client.clientId), before);
    });

    it(`${protocol}: refreshes an expired token before the login, then sends`, async () => {
      const target = await receiver(secure);
      const mailboxId = await mailbox(target);
      await registerTokens(mailboxId, 'outgoing', 'garbage', new Date(Date.now() - 60_000));
      const before = await tokenRequests(client.clientId);
      const response = await testMail(mailboxId);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal((await target.waitForMessages(1))[0].authMethod, 'XOAUTH2');
      assert.equal(await tokenRequests(client.clientId), before + 1);
    });
  }

  it('a token the server refuses gets one forced refresh, and the mail goes', async () => {
    const target = await receiver(true);
    const mailboxId = await mailbox(target);
    await registerTokens(mailboxId, 'outgoing', 'garbage', new Date(Date.now() + 3_600_000));
    const before = await tokenRequests(client.clientId);
    const response = await testMail(mailboxId);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(target.received().length, 1);
    assert.equal(await tokenRequests(client.clientId), before + 1);
  });

  it('sameAsIncoming sends with the incoming grant', async () => {
    const target = await receiver(false);
    const mailboxId = await mailbox(target, true);
    await registerTokens(mailboxId, 'incoming', 'real', new Date(Date.now() + 3_600_000));
    const response = await testMail(mailboxId);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal((await target.waitForMessages(1))[0].username, USER);
  });

  it('no grant yet: AUTHORIZATION_REQUIRED and authorizationRequired; once tokens are registered the waiting mail goes at once', async () => {
    const target = await receiver(true);
    const mailboxId = await mailbox(target);
    const response = await testMail(mailboxId);
    assert.equal(response.body.code, 'AUTHORIZATION_REQUIRED', JSON.stringify(response.body));
    assert.match(response.body.message, /authorize/);
    assert.equal((await sut.api.get(`/v1/mailboxes/${mailboxId}`)).body.outgoing.state, 'authorizationRequired');
    assert.equal(target.received().length, 0);
    const queued = (await sut.api.get(`/v1/outbox?mailbox=${mailboxId}`)).body.messages[0];
    assert.ok(Date.parse(queued.nextAttemptAt) > Date.now() + 60_000, 'backing off for minutes');

    await registerTokens(mailboxId, 'outgoing', 'real', new Date(Date.now() + 3_600_000));
    const [received] = await target.waitForMessages(1, 20_000);
    assert.equal(received.messageId, `<${queued.messageId}>`);
  });
});
