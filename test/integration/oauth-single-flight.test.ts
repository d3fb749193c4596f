import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SecretBox } from '../../src/core/crypto/secret-box';
import { createMailUser } from '../support/dovecot-admin';
import {
  consentRedirect,
  createCustomApp,
  createOAuthMailbox,
  expireAccessToken,
  grantRow,
  OAUTH_ENV,
  registerServiceClient,
  tokenRequests,
  type AppClient,
} from '../support/oauth-fixtures';
import { createDatabase } from '../support/postgres';
import { ApiClient, spawnService, startTestService, TEST_API_TOKEN, TEST_SECRET, type ServiceProcess, type ServiceUnderTest } from '../support/service';
import { makeTempDir, removeDir } from '../support/tmp';

const run = promisify(execFile);

describe('single-flight token refresh, and no secret at rest or in a log', () => {
  let databaseUrl: string;
  let sut: ServiceUnderTest;
  let client: AppClient;
  let mailboxId: string;
  const processes: ServiceProcess[] = [];
  const dataDirs: string[] = [];
  /** Every secret this test sees; none may appear in the database dump or a log line. */
  const secrets = new Set<string>();

  before(async () => {
    databaseUrl = await createDatabase();
    sut = await startTestService({ databaseUrl, env: OAUTH_ENV });
    // Access tokens live 10 minutes: fresh after a refresh (beyond the 5-minute margin), so one
    // refresh per burst is the right answer, not an accident of timing.
    client = await registerServiceClient(sut, { ttl: 600 });
    secrets.add(client.clientSecret!);
    const appId = await createCustomApp(sut.api, client);
    const { email } = await createMailUser('flight');
    mailboxId = await createOAuthMailbox(sut.api, appId, email);
    const { redirect } = await consentRedirect(sut.api, mailboxId, email);
    secrets.add(new URL(redirect).searchParams.get('code')!);
    assert.equal((await fetch(redirect)).status, 200);
  });
  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await sut?.close();
    dataDirs.forEach(removeDir);
  });

  const remember = async (): Promise<void> => {
    const row = (await grantRow(sut, mailboxId))!;
    const box = sut.service.app.get(SecretBox);
    secrets.add(box.open(row.access_token_sealed));
    secrets.add(box.open(row.refresh_token_sealed));
  };

  async function burst(apis: ApiClient[], perApi: number): Promise<string[]> {
    const calls = apis.flatMap((api) => Array.from({ length: perApi }, () => api.get(`/v1/mailboxes/${mailboxId}/oauth-token`)));
    const responses = await Promise.all(calls);
    for (const response of responses) assert.equal(response.status, 200, JSON.stringify(response.body));
    return responses.map((r) => r.body.accessToken as string);
  }

  it('50 concurrent token requests in one process cause one call to the token endpoint', async () => {
    await remember();
    await expireAccessToken(sut, mailboxId);
    const before = await tokenRequests(client.clientId);
    const tokens = await burst([sut.api], 50);
    assert.equal(await tokenRequests(client.clientId), before + 1);
    assert.equal(new Set(tokens).size, 1, 'every caller got the one new token');
    await remember();
  });

  it('concurrent token requests to two service processes on one PostgreSQL database cause one call', async () => {
    for (let i = 0; i < 2; i += 1) {
      const dataDir = makeTempDir('deskmail-flight-');
      dataDirs.push(dataDir);
      processes.push(
        spawnService({
          PORT: '0',
          HOST: '127.0.0.1',
          DATA_DIR: dataDir,
          DATABASE_URL: databaseUrl,
          DESKMAIL_API_TOKEN: TEST_API_TOKEN,
          DESKMAIL_SECRET: TEST_SECRET,
          DESKMAIL_WORKERS: 'false',
          LOG_LEVEL: 'debug',
          ...OAUTH_ENV,
        }),
      );
    }
    const apis = (await Promise.all(processes.map((p) => p.url))).map((url) => new ApiClient(url, TEST_API_TOKEN));
    for (let round = 1; round <= 3; round += 1) {
      await expireAccessToken(sut, mailboxId);
      const before = await tokenRequests(client.clientId);
      const tokens = await burst(apis, 25);
      assert.equal(await tokenRequests(client.clientId), before + 1, `round ${round}: one token request for 50 calls in 2 processes`);
      assert.equal(new Set(tokens).size, 1);
      await remember();
    }
  });

  it('keeps every token and the client secret out of the database dump and the logs', async () => {
    assert.ok(secrets.size >= 8, `collected ${secrets.size} secrets`);
    const { stdout: dump } = await run('pg_dump', ['--no-owner', databaseUrl], { maxBuffer: 64 * 1024 * 1024 });
    assert.match(dump, /COPY public\.oauth_grant/, 'the dump has the grants');
    const logs = [...sut.logs, ...processes.map((p) => p.output())].join('\n');
    assert.ok(logs.includes('OAuth2 token refreshed'), 'the logs talk about the refreshes');
    for (const secret of secrets) {
      assert.ok(!dump.includes(secret), 'a secret is in the database dump');
      assert.ok(!logs.includes(secret), 'a secret is in a log line');
    }
  });
});
