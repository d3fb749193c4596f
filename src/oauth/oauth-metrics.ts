import { Inject, Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { Database } from '../core/database/database';
import { Metrics } from '../core/metrics/metrics';
import { CLIENT_SECRET_WARNING_DAYS } from './apps/oauth-app.rules';

export type RefreshResult = 'success' | 'invalid_grant' | 'failed' | 'client_rejected';

/** The module's Prometheus instruments (served at GET /metrics with the rest). */
@Injectable()
export class OAuthMetrics {
  readonly refreshes: Counter<'provider' | 'result'>;
  readonly tokenApiCalls: Counter<'result'>;

  constructor(
    @Inject(Metrics) metrics: Metrics,
    @Inject(Database) db: Database,
  ) {
    this.refreshes = metrics.counter('oauth_token_refreshes_total', 'Token refreshes by provider and result', ['provider', 'result']);
    this.tokenApiCalls = metrics.counter('oauth_token_api_requests_total', 'GET /v1/mailboxes/:id/oauth-token calls by result', ['result']);
    // Gauges read the database when scraped, so every process reports the shared truth.
    metrics.gauge('oauth_grants_reauthorization_required', 'OAuth2 grants that need a new consent (invalid_grant)', [], async function () {
      const [row] = await db.run((em) => em.query('SELECT count(*)::int AS n FROM oauth_grant WHERE needs_reauthorization'));
      this.set(Number(row?.n ?? 0));
    });
    metrics.gauge('oauth_client_secrets_expiring', `OAuth2 app client secrets expiring within ${CLIENT_SECRET_WARNING_DAYS} days (or expired)`, [], async function () {
      const [row] = await db.run((em) =>
        em.query(`SELECT count(*)::int AS n FROM oauth_app WHERE client_secret_expires_at < now() + interval '${CLIENT_SECRET_WARNING_DAYS} days'`),
      );
      this.set(Number(row?.n ?? 0));
    });
  }
}
