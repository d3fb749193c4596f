import { CLIENT_SECRET_WARNING_DAYS } from '../apps/oauth-app.rules';
import type { RefreshTokenLifetime } from '../providers/provider-presets';
import type { OAuthGrant } from './oauth-grant.entity';

/**
 * Token lifetime seen ahead of time (issue #4: tokens that silently die after 90 days of an
 * unrotated refresh token, Azure client secrets that expire). Pure functions over a grant's
 * plain columns, shared by the mailbox summary and /health.
 */
export type GrantFacts = Pick<
  OAuthGrant,
  'needsReauthorization' | 'lastRefreshError' | 'failedRefreshes' | 'nextRetryAt' | 'lastRefreshAt' | 'refreshTokenIssuedAt' | 'createdAt' | 'expiresAt'
> & { hasRefreshToken: boolean };

export interface AppFacts {
  name: string;
  clientSecretExpiresAt: Date | null;
  providerName: string;
  lifetime: RefreshTokenLifetime;
}

export interface LifetimeTuning {
  dailyRefreshAgeMs: number;
  refreshTokenWarningDays: number;
}

const DAY_MS = 86_400_000;
const day = (date: Date): string => date.toISOString().slice(0, 10);

/** When the scheduler will refresh the grant next: the daily refresh, or the end of a failure backoff. */
export function nextRefreshAt(grant: GrantFacts, tuning: LifetimeTuning): Date | null {
  if (grant.needsReauthorization || !grant.hasRefreshToken) return null;
  const daily = new Date((grant.lastRefreshAt ?? grant.createdAt).getTime() + tuning.dailyRefreshAgeMs);
  if (grant.failedRefreshes > 0 && grant.nextRetryAt) return grant.nextRetryAt > daily ? grant.nextRetryAt : daily;
  return daily;
}

/** What an admin must know about a grant, most urgent first; empty when all is well. */
export function grantWarnings(grant: GrantFacts, app: AppFacts | null, tuning: LifetimeTuning, now = new Date()): string[] {
  const warnings: string[] = [];
  if (grant.needsReauthorization) {
    warnings.push(`the OAuth2 grant was revoked or has expired (${grant.lastRefreshError?.message ?? 'invalid_grant'}): re-authorize the mailbox`);
  } else if (grant.failedRefreshes > 0 && grant.lastRefreshError) {
    const next = grant.nextRetryAt ? `; next attempt at ${grant.nextRetryAt.toISOString()}` : '';
    warnings.push(`token refresh failing (${grant.failedRefreshes} in a row, last at ${grant.lastRefreshError.at}: ${grant.lastRefreshError.message})${next}`);
  }
  if (!grant.hasRefreshToken && !grant.needsReauthorization) {
    const end = grant.expiresAt ? ` on ${grant.expiresAt.toISOString()}` : '';
    warnings.push(`the provider issued no refresh token, so access ends when the access token expires${end}: re-authorize (Google needs access_type=offline, others the offline_access scope)`);
  }
  if (app?.clientSecretExpiresAt) {
    const left = app.clientSecretExpiresAt.getTime() - now.getTime();
    if (left <= 0) warnings.push(`the client secret of OAuth2 app "${app.name}" expired on ${day(app.clientSecretExpiresAt)}: create a new secret and update the app`);
    else if (left <= CLIENT_SECRET_WARNING_DAYS * DAY_MS) {
      warnings.push(`the client secret of OAuth2 app "${app.name}" expires on ${day(app.clientSecretExpiresAt)}: create a new secret and update the app before then`);
    }
  }
  if (app && grant.hasRefreshToken && !grant.needsReauthorization) warnings.push(...refreshTokenAgeWarnings(grant, app, tuning, now));
  return warnings;
}

function refreshTokenAgeWarnings(grant: GrantFacts, app: AppFacts, tuning: LifetimeTuning, now: Date): string[] {
  const margin = tuning.refreshTokenWarningDays * DAY_MS;
  const issued = grant.refreshTokenIssuedAt ?? grant.createdAt;
  const { maxAgeDays, idleDays } = app.lifetime;
  if (maxAgeDays !== null) {
    const dies = new Date(issued.getTime() + maxAgeDays * DAY_MS);
    if (dies.getTime() - now.getTime() <= margin) {
      return [`the refresh token was issued on ${day(issued)} and not replaced since; ${app.providerName} refresh tokens last ${maxAgeDays} days, so it expires around ${day(dies)}: check that refreshes succeed, or re-authorize`];
    }
  }
  if (idleDays !== null) {
    const lastUse = grant.lastRefreshAt ?? issued;
    const dies = new Date(lastUse.getTime() + idleDays * DAY_MS);
    if (dies.getTime() - now.getTime() <= margin) {
      return [`the refresh token was last used on ${day(lastUse)}; ${app.providerName} drops refresh tokens unused for ${idleDays} days (around ${day(dies)}): check that refreshes succeed, or re-authorize`];
    }
  }
  return [];
}
