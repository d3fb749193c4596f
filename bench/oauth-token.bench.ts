import { createMailUser } from '../test/support/dovecot-admin';
import {
  authorizeMailbox,
  createCustomApp,
  createOAuthMailbox,
  expireAccessToken,
  OAUTH_ENV,
  registerServiceClient,
  tokenRequests,
} from '../test/support/oauth-fixtures';
import { startTestService, TEST_API_TOKEN } from '../test/support/service';
import type { BenchScenario } from './bench.types';
import { httpLoad, round } from './load';

const CONCURRENCY = 50;
const DURATION_MS = 5_000;
const BURST = 200;
const BURSTS = 3;

/**
 * The token API (issue #4): GET /v1/mailboxes/:id/oauth-token with a fresh token (one mailbox
 * read, one grant+app read, one decrypt) at 50 concurrent clients, next to GET /health on the
 * same server in the same run (target: at least half of its throughput). Then bursts of 200
 * concurrent calls just after the access token expired, counted at the test authorization
 * server's token endpoint (target: exactly 1 refresh per burst).
 */
export const oauthTokenScenario: BenchScenario = {
  name: 'oauth-token',
  description: `GET /oauth-token req/s and p99 at ${CONCURRENCY} clients vs GET /health; token-endpoint calls for a burst of ${BURST} at expiry`,
  async run() {
    const sut = await startTestService({ env: { ...OAUTH_ENV, LOG_LEVEL: 'warn', DESKMAIL_HEALTH_WARNINGS_TTL_MS: '10000' } });
    try {
      const client = await registerServiceClient(sut, { ttl: 3600 });
      const appId = await createCustomApp(sut.api, client);
      const { email } = await createMailUser('bench-oauth');
      const mailboxId = await createOAuthMailbox(sut.api, appId, email);
      const consent = await authorizeMailbox(sut, mailboxId, email);
      if (consent.status !== 200) throw new Error(`consent failed: ${consent.status}`);

      const tokenUrl = `${sut.url}/v1/mailboxes/${mailboxId}/oauth-token`;
      const headers = { authorization: `Bearer ${TEST_API_TOKEN}` };
      await httpLoad(tokenUrl, { concurrency: CONCURRENCY, durationMs: 1_000, headers }); // warm-up
      await httpLoad(`${sut.url}/health`, { concurrency: CONCURRENCY, durationMs: 1_000 });
      const token = await httpLoad(tokenUrl, { concurrency: CONCURRENCY, durationMs: DURATION_MS, headers });
      const health = await httpLoad(`${sut.url}/health`, { concurrency: CONCURRENCY, durationMs: DURATION_MS });

      const calls: number[] = [];
      let burstErrors = 0;
      for (let i = 0; i < BURSTS; i += 1) {
        await expireAccessToken(sut, mailboxId);
        const before = await tokenRequests(client.clientId);
        const responses = await Promise.all(Array.from({ length: BURST }, () => fetch(tokenUrl, { headers }).then((r) => r.status)));
        burstErrors += responses.filter((status) => status !== 200).length;
        calls.push((await tokenRequests(client.clientId)) - before);
      }
      return {
        scenario: 'oauth-token',
        figures: {
          'GET /oauth-token req/s': token.perSecond,
          'p50 ms': token.p50Ms,
          'p99 ms': token.p99Ms,
          errors: token.errors,
          [`token-endpoint calls per burst of ${BURST} at expiry`]: calls.join(', '),
          'burst errors': burstErrors,
        },
        baseline: { 'GET /health req/s': health.perSecond, 'p99 ms': health.p99Ms },
        ratios: {
          '/oauth-token ÷ /health throughput': { value: round(token.perSecond / health.perSecond), target: '≥ 0.5' },
          'token-endpoint calls per burst (max)': { value: Math.max(...calls), target: '= 1' },
        },
        notes: ['PostgreSQL database (the harness default); each call reads the mailbox and the grant with its app, and opens one AES-GCM value'],
      };
    } finally {
      await sut.close();
    }
  },
};
