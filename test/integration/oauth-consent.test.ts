import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SecretBox } from '../../src/core/crypto/secret-box';
import { createMailUser } from '../support/dovecot-admin';
import { testEnv } from '../support/env';
import { injectTokenFault, introspect } from '../support/oauth-client';
import {
  authorizeMailbox,
  consentRedirect,
  createCustomApp,
  createOAuthMailbox,
  grantRow,
  OAUTH_ENV,
  registerServiceClient,
  sql,
  tokenRequests,
  waitFor,
} from '../support/oauth-fixtures';
import { startTestService, type ServiceUnderTest } from '../support/service';

describe('OAuth2 consent against the test authorization server', () => {
  let sut: ServiceUnderTest;
  before(async () => {
    sut = await startTestService({ env: OAUTH_ENV });
  });
  after(async () => sut.close());

  const logMessages = async (mailboxId: string): Promise<string[]> =>
    (await sut.api.get(`/v1/mailboxes/${mailboxId}/logs`)).body.entries.map((e: { message: string }) => e.message);

  it('runs the whole round trip: authorize URL, login and consent, callback, grant stored, side connecting', async () => {
    const client = await registerServiceClient(sut);
    const appId = await createCustomApp(sut.api, client);
    const { email } = await createMailUser('consent');
    const mailboxId = await createOAuthMailbox(sut.api, appId, email);
    assert.equal((await sut.api.get(`/v1/mailboxes/${mailboxId}`)).body.incoming.state, 'authorizationRequired');

    const { authorizeUrl, redirect } = await consentRedirect(sut.api, mailboxId, email);
    const params = new URL(authorizeUrl).searchParams;
    assert.equal(params.get('response_type'), 'code');
    assert.equal(params.get('client_id'), client.clientId);
    assert.equal(params.get('redirect_uri'), `${sut.url}/oauth/callback`);
    assert.equal(params.get('scope'), 'openid email offline_access');
    assert.equal(params.get('code_challenge_method'), 'S256');
    assert.match(params.get('code_challenge')!, /^[A-Za-z0-9_-]{43}$/);
    assert.match(params.get('state')!, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(params.get('login_hint'), email);
    const [consent] = await sql(sut, 'SELECT * FROM oauth_consent WHERE mailbox_id = $1', [mailboxId]);
    assert.notEqual(consent.state_hash, params.get('state'), 'only a hash of the state is stored');

    const callback = await fetch(redirect);
    const html = await callback.text();
    assert.equal(callback.status, 200, html);
    assert.match(callback.headers.get('content-type')!, /^text\/html/);
    assert.match(callback.headers.get('content-security-policy')!, /default-src 'none'; script-src 'nonce-/);
    assert.ok(html.includes(`"type":"deskmail:oauth","ok":true,"mailbox":"${mailboxId}"`));

    const mailbox = (await sut.api.get(`/v1/mailboxes/${mailboxId}`)).body;
    assert.equal(mailbox.incoming.state, 'connecting');
    const summary = mailbox.incoming.oauth2;
    assert.equal(summary.user, email);
    assert.deepEqual(summary.scopes.sort(), ['email', 'offline_access', 'openid']);
    assert.ok(Date.parse(summary.expires) > Date.now());
    assert.ok(summary.refreshTokenIssuedAt);
    assert.ok(Date.parse(summary.nextRefreshAt) > Date.now() + 23 * 3600_000);
    assert.equal(summary.warning, null);
    assert.ok(!JSON.stringify(mailbox).includes('accessToken'), 'no token in the mailbox response');
    assert.equal((await sql(sut, 'SELECT 1 FROM oauth_consent WHERE mailbox_id = $1', [mailboxId])).length, 0, 'the consent was consumed');
    assert.ok((await logMessages(mailboxId)).some((m) => m.startsWith(`incoming: authorized as ${email} with a refresh token`)));

    const token = await sut.api.get(`/v1/mailboxes/${mailboxId}/oauth-token`);
    assert.equal(token.status, 200);
    assert.deepEqual(Object.keys(token.body).sort(), ['accessToken', 'expires', 'mailbox', 'provider', 'registeredScopes', 'user']);
    assert.equal(token.body.provider, 'custom');
    const info = await introspect(token.body.accessToken);
    assert.equal(info.active, true);
    assert.equal(info.username, email);
  });

  it('uses PKCE: a public client succeeds only with the right code_verifier (verified by the server)', async () => {
    // A public client has no secret: oidc-provider demands and verifies PKCE S256 for it.
    const publicClient = await registerServiceClient(sut, { method: 'none' });
    const appId = await createCustomApp(sut.api, publicClient);
    const { email } = await createMailUser('pkce');
    const mailboxId = await createOAuthMailbox(sut.api, appId, email);
    const ok = await authorizeMailbox(sut, mailboxId, email);
    assert.equal(ok.status, 200, ok.html);

    // Same flow, but the stored verifier is swapped for another one: the server must refuse the code.
    const { redirect } = await consentRedirect(sut.api, mailboxId, email);
    const box = sut.service.app.get(SecretBox);
    await sql(sut, 'UPDATE oauth_consent SET code_verifier_sealed = $1 WHERE mailbox_id = $2', [box.seal('x'.repeat(43)), mailboxId]);
    const before = await grantRow(sut, mailboxId);
    const refused = await fetch(redirect);
    const html = await refused.text();
    assert.equal(refused.status, 400);
    assert.match(html, /invalid_grant/);
    assert.equal((await grantRow(sut, mailboxId))!.access_token_sealed, before!.access_token_sealed, 'nothing stored');
  });

  it('authenticates with client_secret_basic when the app says so', async () => {
    const client = await registerServiceClient(sut, { method: 'client_secret_basic' });
    const appId = await createCustomApp(sut.api, client);
    const { email } = await createMailUser('basic');
    const mailboxId = await createOAuthMailbox(sut.api, appId, email);
    const result = await authorizeMailbox(sut, mailboxId, email);
    assert.equal(result.status, 200, result.html);
  });

  describe('a callback that cannot be completed stores nothing and answers a 400 page', () => {
    let mailboxId: string;
    let email: string;
    let clientId: string;
    before(async () => {
      const client = await registerServiceClient(sut);
      clientId = client.clientId;
      const appId = await createCustomApp(sut.api, client);
      email = (await createMailUser('refused')).email;
      mailboxId = await createOAuthMailbox(sut.api, appId, email);
    });
    const assertNothingStored = async () => assert.equal(await grantRow(sut, mailboxId), undefined);

    it('a replayed state', async () => {
      const { redirect } = await consentRedirect(sut.api, mailboxId, email);
      assert.equal((await fetch(redirect)).status, 200);
      await sql(sut, 'DELETE FROM oauth_grant WHERE mailbox_id = $1', [mailboxId]);
      const replay = await fetch(redirect);
      assert.equal(replay.status, 400);
      assert.match(await replay.text(), /unknown or was already used/);
      await assertNothingStored();
    });

    it('an answer naming another authorization server (RFC 9207 mix-up)', async () => {
      const { redirect } = await consentRedirect(sut.api, mailboxId, email);
      const url = new URL(redirect);
      // oidc-provider names itself; the check is what a real answer goes through.
      assert.equal(url.searchParams.get('iss'), testEnv().auth.issuer);
      url.searchParams.set('iss', 'https://attacker.example');
      const response = await fetch(url);
      assert.equal(response.status, 400);
      assert.match(await response.text(), /came from &#34;https:\/\/attacker\.example&#34;, not from the authorization server .*mix-up/);
      await assertNothingStored();
      const log = await sut.api.get(`/v1/mailboxes/${mailboxId}/logs`);
      assert.ok(log.body.entries.some((entry: { message: string }) => /mix-up/.test(entry.message)), 'the admin sees why in the mailbox log');
    });

    it('an unknown or missing state', async () => {
      for (const query of ['?code=abc&state=never-issued', '?code=abc']) {
        const response = await fetch(`${sut.url}/oauth/callback${query}`);
        assert.equal(response.status, 400);
        assert.match(response.headers.get('content-type')!, /^text\/html/);
      }
      await assertNothingStored();
    });

    it('an expired state, with a mailbox log entry', async () => {
      const { redirect } = await consentRedirect(sut.api, mailboxId, email);
      await sql(sut, `UPDATE oauth_consent SET expires_at = now() - interval '1 second' WHERE mailbox_id = $1`, [mailboxId]);
      const response = await fetch(redirect);
      assert.equal(response.status, 400);
      assert.match(await response.text(), /expired/);
      await assertNothingStored();
      assert.ok((await logMessages(mailboxId)).some((m) => /authorization failed: The authorization took longer than 10 minutes/.test(m)));
    });

    it('error=access_denied from the provider, with a mailbox log entry', async () => {
      const started = await sut.api.post(`/v1/mailboxes/${mailboxId}/authorize`, { side: 'incoming' });
      const state = new URL(started.body.url).searchParams.get('state')!;
      const response = await fetch(`${sut.url}/oauth/callback?error=access_denied&error_description=${encodeURIComponent('<b>user said no</b>')}&state=${state}`);
      const html = await response.text();
      assert.equal(response.status, 400);
      assert.ok(html.includes('access_denied') && !html.includes('<b>'), 'the description is escaped');
      assert.ok(html.includes('"ok":false'));
      await assertNothingStored();
      assert.ok((await logMessages(mailboxId)).some((m) => m.includes('The consent was declined: access_denied')));
    });

    it('a token endpoint error, with a mailbox log entry', async () => {
      const { redirect } = await consentRedirect(sut.api, mailboxId, email);
      await injectTokenFault({ clientId, status: 400, error: 'invalid_request', times: 1 });
      const response = await fetch(redirect);
      assert.equal(response.status, 400);
      assert.match(await response.text(), /could not be exchanged for tokens/);
      await assertNothingStored();
      assert.ok((await logMessages(mailboxId)).some((m) => /authorization failed: The code could not be exchanged for tokens: token endpoint .*HTTP 400 invalid_request/.test(m)));
    });
  });

  it('builds Gmail and Microsoft authorize URLs with their extras and the authority', async () => {
    const gmail = await sut.api.post('/v1/oauth2', { provider: 'gmail', clientId: 'g', clientSecret: 'gs' });
    const outlook = await sut.api.post('/v1/oauth2', { provider: 'outlook', clientId: 'o', clientSecret: 'os', authority: 'contoso.onmicrosoft.com' });
    for (const [app, check] of [
      [gmail.body, (url: URL) => {
        assert.equal(url.origin + url.pathname, 'https://accounts.google.com/o/oauth2/v2/auth');
        assert.equal(url.searchParams.get('access_type'), 'offline');
        assert.equal(url.searchParams.get('prompt'), 'consent');
      }],
      [outlook.body, (url: URL) => {
        assert.equal(url.origin + url.pathname, 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize');
        assert.match(url.searchParams.get('scope')!, /^https:\/\/outlook\.office\.com\/IMAP\.AccessAsUser\.All .* offline_access openid profile email$/);
        assert.equal(url.searchParams.get('prompt'), null, 'no forced consent for Microsoft');
      }],
    ] as const) {
      const mailbox = await sut.api.post('/v1/mailboxes', {
        name: 'preset',
        emailAddresses: ['preset@example.test'],
        incoming: { protocol: 'imaps', authType: 'oauth2', host: 'imap.example.test', username: 'preset@example.test', oauth2App: app.id },
      });
      const started = await sut.api.post(`/v1/mailboxes/${mailbox.body.id}/authorize`, {});
      assert.equal(started.status, 200, JSON.stringify(started.body));
      check(new URL(started.body.url));
    }
  });

  it('answers 400 naming the setting when a side cannot be authorized, and lets sameAsIncoming share the grant', async () => {
    const password = await sut.api.post('/v1/mailboxes', {
      name: 'password',
      emailAddresses: ['pw@example.test'],
      incoming: { protocol: 'imaps', authType: 'password', host: 'imap.example.test', username: 'pw@example.test', password: 'pw-secret' },
    });
    const refused = await sut.api.post(`/v1/mailboxes/${password.body.id}/authorize`, { side: 'incoming' });
    assert.equal(refused.status, 400);
    assert.match(refused.body.message, /^incoming\.authType/);
    assert.match((await sut.api.post(`/v1/mailboxes/${password.body.id}/authorize`, { side: 'outgoing' })).body.message, /^outgoing/);
    assert.equal((await sut.api.post('/v1/mailboxes/00000000-0000-4000-8000-000000000000/authorize', {})).status, 404);

    const client = await registerServiceClient(sut);
    const appId = await createCustomApp(sut.api, client);
    const { email } = await createMailUser('shared');
    const dovecot = testEnv().dovecot;
    const mailboxId = await createOAuthMailbox(sut.api, appId, email, {
      outgoing: { protocol: 'smtps', authType: 'oauth2', host: dovecot.host, port: 465, username: email, sameAsIncoming: true, senderName: 'Shared' },
    });
    const outgoing = await sut.api.post(`/v1/mailboxes/${mailboxId}/authorize`, { side: 'outgoing' });
    assert.equal(outgoing.status, 400);
    assert.match(outgoing.body.message, /^outgoing\.sameAsIncoming/);
    assert.equal((await sut.api.get(`/v1/mailboxes/${mailboxId}/oauth-token`)).body.code, 'AUTHORIZATION_REQUIRED');
    assert.equal((await authorizeMailbox(sut, mailboxId, email)).status, 200);
    const mailbox = (await sut.api.get(`/v1/mailboxes/${mailboxId}`)).body;
    assert.equal(mailbox.outgoing.state, 'connecting', 'the side sharing the grant connects too');
    assert.equal(mailbox.outgoing.oauth2.user, email);
    const requests = await tokenRequests(client.clientId);
    const [incomingToken, outgoingToken] = await Promise.all([
      sut.api.get(`/v1/mailboxes/${mailboxId}/oauth-token`),
      sut.api.get(`/v1/mailboxes/${mailboxId}/oauth-token?side=outgoing`),
    ]);
    assert.equal(outgoingToken.status, 200, JSON.stringify(outgoingToken.body));
    assert.equal(outgoingToken.body.accessToken, incomingToken.body.accessToken);
    assert.equal(await tokenRequests(client.clientId), requests, 'a fresh token is served without a token request');
  });

  it('drops a grant when the mailbox switches OAuth2 app, and with the mailbox', async () => {
    const client = await registerServiceClient(sut);
    const appId = await createCustomApp(sut.api, client);
    const otherAppId = await createCustomApp(sut.api, await registerServiceClient(sut));
    const { email } = await createMailUser('switch');
    const mailboxId = await createOAuthMailbox(sut.api, appId, email);
    assert.equal((await authorizeMailbox(sut, mailboxId, email)).status, 200);
    const patched = await sut.api.patch(`/v1/mailboxes/${mailboxId}`, { incoming: { oauth2App: otherAppId } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const token = await sut.api.get(`/v1/mailboxes/${mailboxId}/oauth-token`);
    assert.equal(token.status, 409, 'tokens of the old app are never handed out for the new one');
    assert.equal(token.body.code, 'AUTHORIZATION_REQUIRED');
    await waitFor('the stale grant to be dropped', async () => (await grantRow(sut, mailboxId)) === undefined);
    assert.equal((await authorizeMailbox(sut, mailboxId, email)).status, 200);
    assert.equal((await sut.api.delete(`/v1/mailboxes/${mailboxId}`)).status, 204);
    assert.equal((await sql(sut, 'SELECT 1 FROM oauth_grant WHERE mailbox_id = $1', [mailboxId])).length, 0);
  });

  it('refuses consent through a disabled app', async () => {
    const client = await registerServiceClient(sut);
    const appId = await createCustomApp(sut.api, client);
    const { email } = await createMailUser('disabled');
    const mailboxId = await createOAuthMailbox(sut.api, appId, email);
    await sut.api.patch(`/v1/oauth2/${appId}`, { enabled: false });
    const refused = await sut.api.post(`/v1/mailboxes/${mailboxId}/authorize`, {});
    assert.equal(refused.status, 400);
    assert.match(refused.body.message, /^incoming\.oauth2App .*disabled/);
  });
});
