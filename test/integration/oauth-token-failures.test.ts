import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOAuthMailbox, grantRow, OAUTH_ENV, tuning } from '../support/oauth-fixtures';
import { startTestService, type ServiceUnderTest } from '../support/service';

type Mode = 'ok' | 'server-error' | 'hang' | 'html' | 'empty' | 'invalid-client' | 'unavailable';

const CLIENT_SECRET = 'faulty-client-secret-Q7x9Lm2Kp4';
const REFRESH_TOKEN = 'registered-refresh-token-Zx9QmR2vKp7TnW4y';
const ACCESS_TOKEN = 'registered-access-token-Ab3Cd5Ef7Gh9Ij1K';

/** A token endpoint that misbehaves on demand, counting what it receives. */
class FaultyTokenServer {
  mode: Mode = 'ok';
  requests: URLSearchParams[] = [];
  private server: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        this.requests.push(new URLSearchParams(body));
        const json = (status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
        switch (this.mode) {
          case 'ok':
            return json(200, { access_token: `fresh-access-token-${this.requests.length}-Xy7`, expires_in: 3600, token_type: 'Bearer' });
          case 'server-error':
            // A server that echoes what it got: the refresh token must not reach a log line.
            return json(500, { error: 'server_error', error_description: `upstream failed for refresh_token=${REFRESH_TOKEN} ${REFRESH_TOKEN}` });
          case 'unavailable':
            return json(503, { error: 'temporarily_unavailable' });
          case 'invalid-client':
            return json(401, { error: 'invalid_client', error_description: 'AADSTS7000222: The provided client secret keys are expired.' });
          case 'html':
            return res.writeHead(200, { 'content-type': 'text/html' }).end(`<html><body><h1>Maintenance</h1><p>${REFRESH_TOKEN}</p></body></html>`);
          case 'empty':
            return res.writeHead(200, { 'content-type': 'application/json' }).end();
          case 'hang':
            return; // never answers
        }
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describe('a token endpoint that fails', () => {
  const tokenServer = new FaultyTokenServer();
  let sut: ServiceUnderTest;
  let mailboxId: string;

  before(async () => {
    const base = await tokenServer.start();
    sut = await startTestService({ env: OAUTH_ENV });
    Object.assign(tuning(sut), { requestTimeoutMs: 300, requestAttempts: 3, retryBaseMs: 20, retryMaxMs: 40 });
    const app = await sut.api.post('/v1/oauth2', {
      provider: 'custom',
      clientId: 'faulty-client',
      clientSecret: CLIENT_SECRET,
      authorizeUrl: `${base}/authorize`,
      tokenUrl: `${base}/token`,
      scopes: ['mail'],
    });
    assert.equal(app.status, 201, JSON.stringify(app.body));
    mailboxId = await createOAuthMailbox(sut.api, app.body.id, 'faulty@example.test');
  });
  after(async () => {
    await sut?.close();
    await tokenServer.stop();
  });

  /** Registered tokens whose access token is already expired: the next use must refresh. */
  beforeEach(async () => {
    const registered = await sut.api.put(`/v1/mailboxes/${mailboxId}/oauth2-tokens`, {
      side: 'incoming',
      accessToken: ACCESS_TOKEN,
      refreshToken: REFRESH_TOKEN,
      expires: new Date(Date.now() - 60_000).toISOString(),
    });
    assert.equal(registered.status, 200, JSON.stringify(registered.body));
    tokenServer.requests = [];
  });

  const getToken = () => sut.api.get(`/v1/mailboxes/${mailboxId}/oauth-token`);

  it('retries a 500 with backoff, answers TOKEN_REQUEST_FAILED, logs status and a redacted excerpt, then rests', async () => {
    tokenServer.mode = 'server-error';
    const response = await getToken();
    assert.equal(response.status, 502);
    assert.equal(response.body.code, 'TOKEN_REQUEST_FAILED');
    assert.match(response.body.message, /HTTP 500 server_error: upstream failed for refresh_token=\[redacted\]/);
    assert.equal(tokenServer.requests.length, 3, 'three tries');
    const sent = Object.fromEntries(tokenServer.requests[0]);
    assert.deepEqual(sent, { grant_type: 'refresh_token', refresh_token: REFRESH_TOKEN, client_id: 'faulty-client', client_secret: CLIENT_SECRET });

    const failures = sut.logs.filter((line) => line.includes('token endpoint request failed')).map((line) => JSON.parse(line));
    assert.ok(failures.some((entry) => entry.status === 500 && /HTTP 500 server_error/.test(entry.detail)), JSON.stringify(failures));
    const row = (await grantRow(sut, mailboxId))!;
    assert.equal(row.failed_refreshes, 1);
    assert.ok(new Date(row.next_retry_at) > new Date());

    // While the grant rests, users get the failure at once and the endpoint is left alone.
    const resting = await getToken();
    assert.equal(resting.status, 502);
    assert.match(resting.body.message, /next attempt after/);
    assert.equal(tokenServer.requests.length, 3);

    const entries = (await sut.api.get(`/v1/mailboxes/${mailboxId}/logs`)).body.entries.map((e: { message: string }) => e.message).join('\n');
    assert.match(entries, /OAuth2 token refresh failed/);
    for (const secret of [REFRESH_TOKEN, CLIENT_SECRET, ACCESS_TOKEN]) {
      assert.ok(!sut.logs.some((line) => line.includes(secret)), `${secret} in a log line`);
      assert.ok(!entries.includes(secret), `${secret} in the mailbox log`);
    }
    assert.match((await sut.api.get('/metrics')).body, /deskmail_oauth_token_refreshes_total\{provider="custom",result="failed"\} [1-9]/);
  });

  it('gives up on a server that never answers after one deadline per try', async () => {
    tokenServer.mode = 'hang';
    const started = Date.now();
    const response = await getToken();
    assert.equal(response.status, 502);
    assert.equal(response.body.code, 'TOKEN_REQUEST_FAILED');
    assert.match(response.body.message, /no answer from 127\.0\.0\.1:\d+ within 0\.3 s/);
    assert.equal(tokenServer.requests.length, 3);
    assert.ok(Date.now() - started >= 900);
  });

  for (const [mode, pattern] of [
    ['html', /HTTP 200 with a non-JSON body \(text\/html\): <html><body><h1>Maintenance<\/h1><p>\[redacted\]/],
    ['empty', /HTTP 200 with an empty body/],
  ] as const) {
    it(`treats a 200 with ${mode === 'html' ? 'an HTML' : 'an empty'} body as a failed token request`, async () => {
      tokenServer.mode = mode;
      const response = await getToken();
      assert.equal(response.status, 502);
      assert.equal(response.body.code, 'TOKEN_REQUEST_FAILED');
      assert.match(response.body.message, pattern);
      assert.ok(!response.body.message.includes(REFRESH_TOKEN));
      assert.equal(tokenServer.requests.length, 3);
    });
  }

  it('keeps handing out a still-valid token while the endpoint is down', async () => {
    await sut.api.put(`/v1/mailboxes/${mailboxId}/oauth2-tokens`, {
      side: 'incoming',
      accessToken: ACCESS_TOKEN,
      refreshToken: REFRESH_TOKEN,
      expires: new Date(Date.now() + 3 * 60_000).toISOString(),
    });
    tokenServer.requests = [];
    tokenServer.mode = 'unavailable';
    const response = await getToken();
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.accessToken, ACCESS_TOKEN);
    assert.equal(tokenServer.requests.length, 3);
  });

  it('does not retry a refused client secret and tells the admin to fix the app', async () => {
    tokenServer.mode = 'invalid-client';
    const response = await getToken();
    assert.equal(response.status, 502);
    assert.equal(response.body.code, 'TOKEN_REQUEST_FAILED');
    assert.equal(tokenServer.requests.length, 1);
    const { incoming } = (await sut.api.get(`/v1/mailboxes/${mailboxId}`)).body;
    assert.equal(incoming.state, 'authenticationError');
    assert.match(incoming.lastError.message, /AADSTS7000222.*client secrets expire/);
  });

  it('recovers on reconnect, which does not wait for the backoff', async () => {
    tokenServer.mode = 'unavailable';
    assert.equal((await getToken()).status, 502);
    tokenServer.mode = 'ok';
    const reconnect = await sut.api.put(`/v1/mailboxes/${mailboxId}/reconnect`);
    assert.equal(reconnect.status, 200, JSON.stringify(reconnect.body));
    const row = (await grantRow(sut, mailboxId))!;
    assert.equal(row.failed_refreshes, 0);
    assert.equal(row.last_refresh_error, null);
    assert.match((await getToken()).body.accessToken, /^fresh-access-token-/);
    const entries = (await sut.api.get(`/v1/mailboxes/${mailboxId}/logs`)).body.entries.map((e: { message: string }) => e.message);
    assert.ok(entries.includes('incoming: OAuth2 token refresh works again'));
  });
});
