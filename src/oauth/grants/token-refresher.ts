import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { Database } from '../../core/database/database';
import { LOGGER } from '../../core/logging/logger';
import { MailboxLogService } from '../../mailboxes/mailbox-log.service';
import { MailboxStateService } from '../../mailboxes/mailbox-state.service';
import { OAuthAppsService, type UsableApp } from '../apps/oauth-apps.service';
import { OAuthMetrics, type RefreshResult } from '../oauth-metrics';
import { OAuthTuning } from '../oauth-tuning';
import { backoffDelayMs } from '../tokens/backoff';
import { ClientRejectedError, GrantRevokedError, NotAuthorizedError, TokenEndpointError } from '../tokens/token-errors';
import { TokenEndpointClient } from '../tokens/token-endpoint.client';
import { GrantStore } from './grant-store';
import type { OAuthGrant } from './oauth-grant.entity';
import { sidesUsingGrant } from './oauth-side';

/** Why a refresh is wanted; after the lock, the grant is re-read and refreshed only if still stale. */
export type RefreshReason = { kind: 'expiring' } | { kind: 'daily' } | { kind: 'forced'; requestedAt: Date };

type Attempt = { grant: OAuthGrant } | { error: Error };

/**
 * Single-flight refresh, double-checked (style.md "Secrets and tokens"):
 * 1. in this process, one promise per grant: concurrent callers share it;
 * 2. across processes on PostgreSQL, `pg_advisory_xact_lock('oauth-grant:<id>')` held across the
 *    token request, then a re-read: a process that waited finds the grant fresh and does not call
 *    the token endpoint again. The embedded database has one process, so step 1 suffices (and its
 *    transactions are serialised, so holding one across a network call would stall every query).
 * Any number of concurrent users of one grant thus cause ONE call to the token URL.
 */
@Injectable()
export class TokenRefresher implements OnModuleDestroy {
  private readonly inflight = new Map<string, Promise<OAuthGrant>>();
  private readonly shutdown = new AbortController();

  constructor(
    @Inject(Database) private readonly db: Database,
    private readonly store: GrantStore,
    private readonly apps: OAuthAppsService,
    private readonly client: TokenEndpointClient,
    private readonly states: MailboxStateService,
    private readonly logs: MailboxLogService,
    private readonly metrics: OAuthMetrics,
    private readonly tuning: OAuthTuning,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  refresh(grantId: string, reason: RefreshReason): Promise<OAuthGrant> {
    const running = this.inflight.get(grantId);
    if (running) return running;
    const refresh = this.refreshOnce(grantId, reason).finally(() => this.inflight.delete(grantId));
    this.inflight.set(grantId, refresh);
    return refresh;
  }

  /** Stops waits and token requests in flight (service shutdown). */
  stop(): void {
    this.shutdown.abort();
  }

  onModuleDestroy(): void {
    this.stop();
  }

  isStale(grant: OAuthGrant, reason: RefreshReason, now = Date.now()): boolean {
    switch (reason.kind) {
      case 'expiring':
        return grant.expiresAt !== null && grant.expiresAt.getTime() - now <= this.tuning.refreshMarginMs;
      case 'daily':
        return (grant.lastRefreshAt ?? grant.createdAt).getTime() <= now - this.tuning.dailyRefreshAgeMs;
      case 'forced':
        return grant.lastRefreshAt === null || grant.lastRefreshAt < reason.requestedAt;
    }
  }

  private async refreshOnce(grantId: string, reason: RefreshReason): Promise<OAuthGrant> {
    const result = this.db.embedded
      ? await this.attempt(grantId, reason)
      : await this.db.transactionWithLock(`oauth-grant:${grantId}`, () => this.attempt(grantId, reason));
    if ('error' in result) throw result.error;
    return result.grant;
  }

  /** Never throws for refresh failures: they are recorded, and must commit, before being thrown. */
  private async attempt(grantId: string, reason: RefreshReason): Promise<Attempt> {
    const grant = await this.store.byId(grantId);
    if (!grant) return { error: new NotAuthorizedError('the OAuth2 grant no longer exists (the mailbox was re-authorized or deleted)') };
    const now = new Date();
    if (!this.isStale(grant, reason, now.getTime())) return { grant };
    if (grant.needsReauthorization) return { error: new GrantRevokedError(`the OAuth2 grant was revoked or has expired (${grant.lastRefreshError?.message ?? 'invalid_grant'}); re-authorize the mailbox`) };
    // A failing grant rests until its backoff ends; an admin's forced refresh (reconnect) does not wait.
    if (reason.kind !== 'forced' && grant.nextRetryAt && grant.nextRetryAt > now) {
      return { error: new TokenEndpointError(`token refresh failed ${grant.failedRefreshes} time(s) (last: ${grant.lastRefreshError?.message ?? 'unknown'}); next attempt after ${grant.nextRetryAt.toISOString()}`) };
    }
    const refreshToken = this.store.openRefreshToken(grant);
    if (!refreshToken) return { error: new NotAuthorizedError('the grant has no refresh token (the provider issued none); re-authorize the mailbox') };
    const usable = await this.apps.usable(grant.appId);
    if (!usable) return { error: new NotAuthorizedError('the OAuth2 app of this grant no longer exists; re-authorize the mailbox') };

    const params: Record<string, string> = { grant_type: 'refresh_token', refresh_token: refreshToken };
    if (usable.effective.sendScopeOnRefresh) params.scope = usable.effective.scopes.join(' ');
    try {
      const tokens = await this.client.request({
        tokenUrl: usable.effective.tokenUrl,
        client: { clientId: usable.app.clientId, clientSecret: usable.clientSecret, method: usable.effective.tokenEndpointAuthMethod },
        params,
        attempts: this.tuning.requestAttempts,
        context: { mailboxId: grant.mailboxId, side: grant.side, grantId: grant.id, provider: usable.app.provider, reason: reason.kind },
        signal: this.shutdown.signal,
      });
      const recovered = grant.failedRefreshes > 0;
      const updated = await this.store.applyRefresh(grant, tokens, now);
      this.count(usable, 'success');
      this.logger.info({ mailboxId: grant.mailboxId, side: grant.side, grantId: grant.id, reason: reason.kind, rotated: updated.refreshTokenRotated }, 'OAuth2 token refreshed');
      if (recovered) await this.logs.append(grant.mailboxId, { level: 'info', event: 'oauth.refresh', side: grant.side, message: `${grant.side}: OAuth2 token refresh works again` });
      return { grant: updated };
    } catch (error) {
      return { error: await this.recordFailure(grant, usable, error as Error, now) };
    }
  }

  private async recordFailure(grant: OAuthGrant, usable: UsableApp, error: Error, now: Date): Promise<Error> {
    const at = now.toISOString();
    const failures = grant.failedRefreshes + 1;
    const nextRetryAt = new Date(now.getTime() + backoffDelayMs(failures, { baseMs: this.tuning.failureBackoffBaseMs, maxMs: this.tuning.failureBackoffMaxMs, jitter: 0.1 }));
    if (error instanceof GrantRevokedError) {
      if (!(await this.store.recordFailure(grant, { code: error.code, message: error.message, at }, null, true))) return error;
      this.count(usable, 'invalid_grant');
      const message = `${error.message}: POST /v1/mailboxes/${grant.mailboxId}/authorize {"side":"${grant.side}"}`;
      await this.setSideStates(grant, { code: error.code, message });
      return error;
    }
    if (error instanceof ClientRejectedError || error instanceof TokenEndpointError) {
      if (!(await this.store.recordFailure(grant, { code: error.code, message: error.message, at }, nextRetryAt, false))) return error;
      this.count(usable, error instanceof ClientRejectedError ? 'client_rejected' : 'failed');
      if (error instanceof ClientRejectedError) await this.setSideStates(grant, { code: error.code, message: error.message });
      else {
        const message = `${grant.side}: OAuth2 token refresh failed (${error.message}); next attempt after ${nextRetryAt.toISOString()}`;
        await this.logs.append(grant.mailboxId, { level: 'warn', event: 'oauth.refresh', side: grant.side, message });
      }
      return error;
    }
    this.logger.error({ err: error, grantId: grant.id }, 'OAuth2 token refresh failed unexpectedly');
    return error;
  }

  private async setSideStates(grant: OAuthGrant, error: { code: string; message: string }): Promise<void> {
    const mailbox = await this.store.mailbox(grant.mailboxId).catch(() => null);
    if (!mailbox) return;
    for (const side of sidesUsingGrant(mailbox, grant.side)) await this.states.set(grant.mailboxId, side, 'authenticationError', error);
  }

  private count(usable: UsableApp, result: RefreshResult): void {
    this.metrics.refreshes.inc({ provider: usable.app.provider, result });
  }
}
