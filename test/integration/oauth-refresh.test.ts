import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SecretBox } from '../../src/core/crypto/secret-box';
import { RefreshScheduler } from '../../src/oauth/grants/refresh-scheduler';
import { createMailUser } from '../support/dovecot-admin';
import { testEnv } from '../support/env';
import { connectImap } from '../support/imap';
import { injectTokenFault, obtainTokens, refreshTokens, revoke } from '../support/oauth-client';
import {
  authorizeMailbox,
  createCustomApp,
  createOAuthMailbox,
  expireAccessToken,
  grantRow,
  OAUTH_ENV,
  registerServiceClient,
  sql,
  tokenRequests,
  tuning,
  waitFor,
  type AppClient,
} from '../support/oauth-fixtures';
import { startTestService, type ServiceUnderTest } from '../support/service';

describe('OAuth2 grants that stay fresh', () => {
  let sut: ServiceUnderTest;
  before(async () => {
    sut = await startTestService({ env: OAUTH_ENV });
  });
  after(async () => sut.close());

  /** A client of its own (own token counter), an app, a Dovecot user and an authorized mailbox. */
  async function authorized(options: { rotate?: boolean } = {}): Promise<{ client: AppClient; appId: string; mailboxId: string; email: string }> {
    const client = await registerServiceClient(sut, options);
    const appId = await createCustomApp(sut.api, client);
    const { email } = await createMailUser('fresh');
    const mailboxId = await createOAuthMailbox(sut.api, appId, email);
    const result = await authorizeMailbox(sut, mailboxId, email);
    assert.equal(result.status, 200, result.html);
    return { client, appId, mailboxId, email };
  }
  const refreshTokenOf = async (mailboxId: string) => sut.service.app.get(SecretBox).open((await grantRow(sut, mailboxId))!.refresh_token_sealed);
  const mailbox = async (id: string) => (await sut.api.get(`/v1/mailboxes/${id}`)).body;

  it('refreshes a token that expires within 5 minutes before handing it out, and stores the rotated refresh token', async () => {
    const { client, mailboxId } = await authorized();
    const first = (await sut.api.get(`/v1/mailboxes/${mailboxId}/oauth-token`)).body;
    const oldRefreshToken = await refreshTokenOf(mailboxId);
    const issuedBefore = (await grantRow(sut, mailboxId))!.refresh_token_issued_at;
    const requests = await tokenRequests(client.clientId);

    await sql(sut, `UPDATE oauth_grant SET expires_at = now() + interval '4 minutes' WHERE mailbox_id = $1`, [mailboxId]);
    const second = await sut.api.get(`/v1/mailboxes/${mailboxId}/oauth-token`);
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.notEqual(second.body.accessToken, first.accessToken);
    assert.ok(Date.parse(second.body.expires) > Date.now() + 50 * 60_000);
    assert.equal(await tokenRequests(client.clientId), requests + 1);

    const row = (await grantRow(sut, mailboxId))!;
    assert.equal(row.refresh_token_rotated, true);
    assert.ok(new Date(row.refresh_token_issued_at) > new Date(issuedBefore));
    const newRefreshToken = await refreshTokenOf(mailboxId);
    assert.notEqual(newRefreshToken, oldRefreshToken, 'the rotated refresh token replaced the old one');
    const summary = (await mailbox(mailboxId)).incoming.oauth2;
    assert.equal(summary.refreshTokenRotated, true);
    assert.ok(summary.lastRefreshAt);

    // The replacement works (a second refresh with it succeeds) and the old one is dead at the server.
    await expireAccessToken(sut, mailboxId);
    assert.equal((await sut.api.get(`/v1/mailboxes/${mailboxId}/oauth-token`)).status, 200);
    await assert.rejects(refreshTokens(oldRefreshToken, { clientId: client.clientId, clientSecret: client.clientSecret }), /invalid_grant/);
  });

  it('keeps a refresh token the provider does not rotate (like Google) and says so', async () => {
    const { mailboxId } = await authorized({ rotate: false });
    const before = await refreshTokenOf(mailboxId);
    await expireAccessToken(sut, mailboxId);
    assert.equal((await sut.api.get(`/v1/mailboxes/${mailboxId}/oauth-token`)).status, 200);
    assert.equal(await refreshTokenOf(mailboxId), before);
    assert.equal((await grantRow(sut, mailboxId))!.refresh_token_rotated, false);
  });

  it('forces a refresh on reconnect', async () => {
    const { client, mailboxId } = await authorized();
    const requests = await tokenRequests(client.clientId);
    const response = await sut.api.put(`/v1/mailboxes/${mailboxId}/reconnect`);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.deepEqual(response.body, { reconnect: true });
    assert.equal(await tokenRequests(client.clientId), requests + 1);
    assert.ok((await grantRow(sut, mailboxId))!.last_refresh_at);
  });

  it('after revocation: invalid_grant, authenticationError telling the admin to re-authorize, and no further attempts', async () => {
    const { client, mailboxId, email } = await authorized();
    const { accessToken } = (await sut.api.get(`/v1/mailboxes/${mailboxId}/oauth-token`)).body;
    // RFC 7009 revocation; oidc-provider ends the whole grant, refresh token included.
    await revoke(accessToken, { clientId: client.clientId, clientSecret: client.clientSecret });
    await expireAccessToken(sut, mailboxId);
    const requests = await tokenRequests(client.clientId);

    const refused = await sut.api.get(`/v1/mailboxes/${mailboxId}/oauth-token`);
    assert.equal(refused.status, 502);
    assert.equal(refused.body.code, 'INVALID_GRANT');
    assert.equal(await tokenRequests(client.clientId), requests + 1);
    const { incoming } = await mailbox(mailboxId);
    assert.equal(incoming.state, 'authenticationError');
    assert.equal(incoming.lastError.code, 'INVALID_GRANT');
    assert.match(incoming.lastError.message, /re-authorize the mailbox/);
    assert.equal(incoming.oauth2.needsReauthorization, true);
    assert.match(incoming.oauth2.warning, /re-authorize/);
    assert.equal(incoming.oauth2.nextRefreshAt, null);

    // No further attempts: not by the token API, not by reconnect, not by the daily refresh.
    assert.equal((await sut.api.get(`/v1/mailboxes/${mailboxId}/oauth-token`)).body.code, 'INVALID_GRANT');
    assert.equal((await sut.api.put(`/v1/mailboxes/${mailboxId}/reconnect`)).body.code, 'INVALID_GRANT');
    await sql(sut, `UPDATE oauth_grant SET last_refresh_at = now() - interval '25 hours' WHERE mailbox_id = $1`, [mailboxId]);
    await sut.service.app.get(RefreshScheduler).tick();
    assert.equal(await tokenRequests(client.clientId), requests + 1);

    const health: any = await fetch(`${sut.url}/health`).then((r) => r.json());
    assert.ok(health.warnings.some((w: { subject: string; message: string }) => w.subject === `mailbox:${mailboxId}` && /re-authorize/.test(w.message)));
    assert.match((await sut.api.get('/metrics')).body, /deskmail_oauth_grants_reauthorization_required [1-9]/);
    assert.match((await sut.api.get('/metrics')).body, /deskmail_oauth_token_refreshes_total\{provider="custom",result="invalid_grant"\} [1-9]/);

    // A new consent is a fresh start.
    assert.equal((await authorizeMailbox(sut, mailboxId, email)).status, 200);
    assert.equal((await mailbox(mailboxId)).incoming.state, 'connecting');
    assert.equal((await sut.api.get(`/v1/mailboxes/${mailboxId}/oauth-token`)).status, 200);
  });

  it('refreshes every grant daily on its timer, and a failing refresh shows on the mailbox within one tick', async () => {
    const { client, mailboxId } = await authorized();
    const scheduler = sut.service.app.get(RefreshScheduler);
    assert.equal(scheduler.armed, false, 'DESKMAIL_WORKERS=false: no scheduler on this process');
    const t = tuning(sut);
    const saved = { ...t };
    t.schedulerIntervalMs = 200;
    try {
      const requests = await tokenRequests(client.clientId);
      await sql(sut, `UPDATE oauth_grant SET last_refresh_at = now() - interval '25 hours', created_at = now() - interval '25 hours' WHERE mailbox_id = $1`, [mailboxId]);
      scheduler.start();
      const refreshed = await waitFor('the daily refresh', async () => {
        const row = await grantRow(sut, mailboxId);
        return row && Date.now() - new Date(row.last_refresh_at).getTime() < 60_000 && row;
      });
      assert.equal(await tokenRequests(client.clientId), requests + 1);
      const summary = (await mailbox(mailboxId)).incoming.oauth2;
      assert.ok(Math.abs(Date.parse(summary.nextRefreshAt) - (new Date(refreshed.last_refresh_at).getTime() + 24 * 3600_000)) < 1000);

      t.requestAttempts = 2;
      t.retryBaseMs = 10;
      await injectTokenFault({ clientId: client.clientId, status: 503, error: 'temporarily_unavailable', times: 2 });
      await sql(sut, `UPDATE oauth_grant SET last_refresh_at = now() - interval '25 hours' WHERE mailbox_id = $1`, [mailboxId]);
      const failing = await waitFor('the failure on the mailbox', async () => {
        const incoming = (await mailbox(mailboxId)).incoming;
        return incoming.oauth2.warning?.startsWith('token refresh failing') && incoming;
      });
      assert.equal(failing.oauth2.lastRefreshError.code, 'TOKEN_REQUEST_FAILED');
      assert.match(failing.oauth2.lastRefreshError.message, /HTTP 503 temporarily_unavailable/);
      assert.ok(Date.parse(failing.oauth2.nextRefreshAt) > Date.now(), 'the next attempt waits for the backoff');
      const logs = (await sut.api.get(`/v1/mailboxes/${mailboxId}/logs`)).body.entries;
      assert.ok(logs.some((e: { message: string }) => /OAuth2 token refresh failed \(token endpoint .*HTTP 503/.test(e.message)));
    } finally {
      scheduler.stop();
      Object.assign(t, saved);
    }
  });

  it('registers tokens obtained elsewhere and refreshes them', async () => {
    const { native } = testEnv().auth.clients;
    const { email } = await createMailUser('registered');
    const appId = await createCustomApp(sut.api, { clientId: native.id, method: 'none' });
    const mailboxId = await createOAuthMailbox(sut.api, appId, email);
    assert.match((await sut.api.put(`/v1/mailboxes/${mailboxId}/oauth2-tokens`, { side: 'incoming' })).body.message.join(), /accessToken/);
    const tokens = await obtainTokens({ clientId: native.id, username: email });
    const expires = new Date(Date.now() + tokens.expires_in * 1000).toISOString();
    const registered = await sut.api.put(`/v1/mailboxes/${mailboxId}/oauth2-tokens`, { side: 'incoming', accessToken: tokens.access_token, refreshToken: tokens.refresh_token, expires, user: email });
    assert.equal(registered.status, 200, JSON.stringify(registered.body));
    assert.equal(registered.body.oauth2.user, email);
    assert.ok(!JSON.stringify(registered.body).includes(tokens.access_token));
    assert.equal((await mailbox(mailboxId)).incoming.state, 'connecting');
    assert.equal((await sut.api.get(`/v1/mailboxes/${mailboxId}/oauth-token`)).body.accessToken, tokens.access_token);
    await expireAccessToken(sut, mailboxId);
    const refreshed = await sut.api.get(`/v1/mailboxes/${mailboxId}/oauth-token`);
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.notEqual(refreshed.body.accessToken, tokens.access_token);
  });

  for (const mechanism of ['XOAUTH2', 'OAUTHBEARER'] as const) {
    it(`logs in to the test Dovecot by ${mechanism} with the token it hands out`, async () => {
      const { mailboxId, email } = await authorized();
      const { accessToken, user } = (await sut.api.get(`/v1/mailboxes/${mailboxId}/oauth-token`)).body;
      assert.equal(user, email);
      const imap = await connectImap({ user, accessToken, mechanism });
      try {
        const inbox = await imap.mailboxOpen('INBOX');
        assert.equal(inbox.path, 'INBOX');
      } finally {
        await imap.logout();
      }
    });
  }
});

describe('the OAuth2 token API gate', () => {
  it('answers 403 unless the service was started with DESKMAIL_ENABLE_OAUTH_TOKENS_API=true', async () => {
    const sut = await startTestService();
    try {
      const client = await registerServiceClient(sut);
      const appId = await createCustomApp(sut.api, client);
      const { email } = await createMailUser('gate');
      const mailboxId = await createOAuthMailbox(sut.api, appId, email);
      assert.equal((await authorizeMailbox(sut, mailboxId, email)).status, 200);
      const response = await sut.api.get(`/v1/mailboxes/${mailboxId}/oauth-token`);
      assert.equal(response.status, 403);
      assert.match(response.body.message, /DESKMAIL_ENABLE_OAUTH_TOKENS_API=true/);
      assert.equal(response.body.accessToken, undefined);
      assert.match((await sut.api.get('/metrics')).body, /deskmail_oauth_token_api_requests_total\{result="forbidden"\} 1/);
    } finally {
      await sut.close();
    }
  });
});
