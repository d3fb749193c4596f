import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { Database } from '../core/database/database';
import type { HealthWarning } from '../core/health/health.service';
import { HealthService } from '../core/health/health.service';
import { OAuthApp } from './apps/oauth-app.entity';
import { CLIENT_SECRET_WARNING_DAYS } from './apps/oauth-app.rules';
import { grantWarnings } from './grants/grant-health';
import { OAuthGrant } from './grants/oauth-grant.entity';
import { appFactsOf, grantFacts } from './grants/oauth-token.service';
import { OAuthTuning } from './oauth-tuning';
import { providerPresets } from './providers/provider-presets';

const DAY_MS = 86_400_000;

/** /health warnings: client secrets about to expire, grants that need an admin, refresh tokens near their end. */
@Injectable()
export class OAuthHealth implements OnModuleInit {
  constructor(
    @Inject(Database) private readonly db: Database,
    private readonly health: HealthService,
    private readonly tuning: OAuthTuning,
  ) {}

  onModuleInit(): void {
    this.health.addWarningSource(() => this.warnings());
  }

  async warnings(now = new Date()): Promise<HealthWarning[]> {
    const soon = new Date(now.getTime() + CLIENT_SECRET_WARNING_DAYS * DAY_MS);
    const apps = await this.db.run((em) =>
      em.createQueryBuilder(OAuthApp, 'a').select(['a.id', 'a.name', 'a.clientSecretExpiresAt']).where('a.clientSecretExpiresAt <= :soon', { soon }).getMany(),
    );
    const warnings: HealthWarning[] = apps.map((app) => ({
      subject: `oauth2App:${app.id}`,
      message: `the client secret of OAuth2 app "${app.name}" ${app.clientSecretExpiresAt! <= now ? 'expired' : 'expires'} on ${app.clientSecretExpiresAt!.toISOString().slice(0, 10)}: create a new secret and PATCH /v1/oauth2/${app.id}`,
    }));
    // Only grants that can have something to say: failing, dead, without refresh token, or old
    // enough to come near the shortest documented refresh-token lifetime.
    const oldAfter = new Date(now.getTime() - this.youngestWarningAgeDays() * DAY_MS);
    const grants = await this.db.run((em) =>
      em
        .createQueryBuilder(OAuthGrant, 'g')
        .leftJoinAndSelect('g.app', 'a')
        .where('g.needsReauthorization OR g.failedRefreshes > 0 OR g.refreshTokenSealed IS NULL')
        .orWhere('COALESCE(g.refreshTokenIssuedAt, g.createdAt) <= :oldAfter OR COALESCE(g.lastRefreshAt, g.createdAt) <= :oldAfter', { oldAfter })
        .getMany(),
    );
    for (const grant of grants) {
      // The app's own secret warning is listed once above, not once per mailbox.
      const app = grant.app ? { ...appFactsOf(grant.app), clientSecretExpiresAt: null } : null;
      for (const message of grantWarnings(grantFacts(grant), app, this.tuning, now)) {
        warnings.push({ subject: `mailbox:${grant.mailboxId}`, message: `${grant.side}: ${message}` });
      }
    }
    return warnings;
  }

  private youngestWarningAgeDays(): number {
    const limits = Object.values(providerPresets()).flatMap((p) => [p.refreshToken.maxAgeDays, p.refreshToken.idleDays]).filter((d): d is number => d !== null);
    return Math.max(0, Math.min(...limits, 3650) - this.tuning.refreshTokenWarningDays);
  }
}
