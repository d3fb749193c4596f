import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMailUser } from '../support/dovecot-admin';
import { consentRedirect, createCustomApp, createOAuthMailbox, expireAccessToken, OAUTH_ENV, registerServiceClient, tokenRequests } from '../support/oauth-fixtures';
import { startTestService } from '../support/service';

// Its own file (own process): PGlite's start blocks the event loop for seconds, long enough for
// the test authorization server to close an idle keep-alive socket that undici then reuses
// ("other side closed"). Starting the embedded service before any request to it avoids that.
describe('single-flight token refresh on the embedded database', () => {
  it('50 concurrent token requests cause one call to the token endpoint (the in-process guard alone)', async () => {
    const sut = await startTestService({ database: 'embedded', env: OAUTH_ENV });
    try {
      const client = await registerServiceClient(sut, { ttl: 600 });
      const appId = await createCustomApp(sut.api, client);
      const { email } = await createMailUser('flight-embedded');
      const mailboxId = await createOAuthMailbox(sut.api, appId, email);
      const { redirect } = await consentRedirect(sut.api, mailboxId, email);
      assert.equal((await fetch(redirect)).status, 200);
      for (let round = 1; round <= 2; round += 1) {
        await expireAccessToken(sut, mailboxId);
        const before = await tokenRequests(client.clientId);
        const responses = await Promise.all(Array.from({ length: 50 }, () => sut.api.get(`/v1/mailboxes/${mailboxId}/oauth-token`)));
        assert.deepEqual([...new Set(responses.map((r) => r.status))], [200]);
        assert.equal(new Set(responses.map((r) => r.body.accessToken)).size, 1);
        assert.equal(await tokenRequests(client.clientId), before + 1, `round ${round}`);
      }
    } finally {
      await sut.close();
    }
  });
});
