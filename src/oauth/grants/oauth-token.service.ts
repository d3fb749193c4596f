import { Injectable } from '@nestjs/common';
import type { Credentials } from '../../core/net/connection-options';
import type { Mailbox } from '../../mailboxes/mailbox.entity';
import type { Side } from '../../mailboxes/mailbox.types';
import type { OAuthApp } from '../apps/oauth-app.entity';
import { OAuthTuning } from '../oauth-tuning';
import { presetOf, type ProviderName } from '../providers/provider-presets';
import { GrantRevokedError, TokenEndpointError } from '../tokens/token-errors';
import { grantWarnings, nextRefreshAt, type AppFacts, type GrantFacts } from './grant-health';
import { GrantStore } from './grant-store';
import type { OAuthGrant } from './oauth-grant.entity';
import { TokenRefresher } from './token-refresher';

/** api.md: a side's `oauth2` object in mailbox responses (never the tokens). */
export interface GrantSummary {
  user: string | null;
  scopes: string[];
  expires: string | null;
  lastRefreshAt: string | null;
  refreshTokenIssuedAt: string | null;
  refreshTokenRotated: boolean;
  nextRefreshAt: string | null;
  needsReauthorization: boolean;
  lastRefreshError: { code: string; message: string; at: string } | null;
  warning: string | null;
}

export interface ValidToken {
  accessToken: string;
  grant: OAuthGrant;
  user: string | null;
  provider: ProviderName;
}

/** A still-valid token is better than none while the token endpoint is down. */
const STILL_USABLE_MS = 10_000;

/**
 * What other modules use: a valid access token for a mailbox side (refreshed first when it
 * expires within 5 minutes), XOAUTH2 credentials, and the grant summary for mailbox responses.
 */
@Injectable()
export class OAuthTokenService {
  constructor(
    private readonly store: GrantStore,
    private readonly refresher: TokenRefresher,
    private readonly tuning: OAuthTuning,
  ) {}

  async accessToken(mailboxId: string, side: Side, options: { forceRefresh?: boolean } = {}): Promise<string> {
    return (await this.validToken(mailboxId, side, options)).accessToken;
  }

  async validToken(mailboxId: string, side: Side, options: { forceRefresh?: boolean } = {}): Promise<ValidToken> {
    const { grant, target } = await this.store.forUse(mailboxId, side);
    const provider = grant.app?.provider ?? 'custom';
    if (grant.needsReauthorization) {
      throw new GrantRevokedError(`the OAuth2 grant of the ${target.grantSide} side was revoked or has expired (${grant.lastRefreshError?.message ?? 'invalid_grant'}); re-authorize the mailbox`);
    }
    const fresh = !options.forceRefresh && !this.refresher.isStale(grant, { kind: 'expiring' });
    if (fresh) return { accessToken: this.store.openAccessToken(grant), grant, user: grant.user ?? target.username, provider };
    const reason = options.forceRefresh ? { kind: 'forced' as const, requestedAt: new Date() } : { kind: 'expiring' as const };
    try {
      const refreshed = await this.refresher.refresh(grant.id, reason);
      return { accessToken: this.store.openAccessToken(refreshed), grant: refreshed, user: refreshed.user ?? target.username, provider };
    } catch (error) {
      const usable = !options.forceRefresh && grant.expiresAt !== null && grant.expiresAt.getTime() - Date.now() > STILL_USABLE_MS;
      if (error instanceof TokenEndpointError && usable) return { accessToken: this.store.openAccessToken(grant), grant, user: grant.user ?? target.username, provider };
      throw error;
    }
  }

  /** Credentials for a protocol adapter: the token is fetched (and refreshed) at each login. */
  credentials(mailboxId: string, side: Side, username: string): Extract<Credentials, { kind: 'oauth2' }> {
    return { kind: 'oauth2', username, accessToken: (options) => this.accessToken(mailboxId, side, options) };
  }

  /** Drops grants (e.g. the mailboxes module, when a side's app or authType changes). */
  async forget(mailboxId: string, side?: Side): Promise<void> {
    await this.store.remove(mailboxId, side);
  }

  /** The side's grant summary; null when the side does not use OAuth2 or has no grant yet. */
  async summary(mailboxOrId: string | Mailbox, side: Side): Promise<GrantSummary | null> {
    const mailbox = typeof mailboxOrId === 'string' ? await this.store.mailbox(mailboxOrId) : mailboxOrId;
    return (await this.summaries([mailbox], side))[0];
  }

  /** `summary` for each mailbox of a page, in its order, from one query. */
  async summaries(mailboxes: readonly Mailbox[], side: Side): Promise<Array<GrantSummary | null>> {
    const usingOAuth = mailboxes.filter((mailbox) => (side === 'incoming' ? mailbox.incoming : mailbox.outgoing)?.authType === 'oauth2');
    const grants = await this.store.forMailboxes(usingOAuth.map((mailbox) => mailbox.id));
    return mailboxes.map((mailbox) => {
      if (!usingOAuth.includes(mailbox)) return null;
      // An outgoing side "same as incoming" uses the incoming side's grant.
      const grantSide = side === 'outgoing' && mailbox.outgoing?.sameAsIncoming ? 'incoming' : side;
      const grant = grants.find((candidate) => candidate.mailboxId === mailbox.id && candidate.side === grantSide);
      return grant ? this.summarize(grant, grant.app ? appFactsOf(grant.app) : null) : null;
    });
  }

  summarize(grant: OAuthGrant, app: AppFacts | null, now = new Date()): GrantSummary {
    const facts = grantFacts(grant);
    const warnings = grantWarnings(facts, app, this.tuning, now);
    return {
      user: grant.user,
      scopes: grant.scopes,
      expires: grant.expiresAt?.toISOString() ?? null,
      lastRefreshAt: grant.lastRefreshAt?.toISOString() ?? null,
      refreshTokenIssuedAt: grant.refreshTokenIssuedAt?.toISOString() ?? null,
      refreshTokenRotated: grant.refreshTokenRotated,
      nextRefreshAt: nextRefreshAt(facts, this.tuning)?.toISOString() ?? null,
      needsReauthorization: grant.needsReauthorization,
      lastRefreshError: grant.lastRefreshError,
      warning: warnings.length ? warnings.join('; ') : null,
    };
  }
}

export function grantFacts(grant: OAuthGrant): GrantFacts {
  return { ...grant, hasRefreshToken: Boolean(grant.refreshTokenSealed) };
}

export function appFactsOf(app: Pick<OAuthApp, 'name' | 'provider' | 'clientSecretExpiresAt'>): AppFacts {
  const preset = presetOf(app.provider);
  return { name: app.name, clientSecretExpiresAt: app.clientSecretExpiresAt, providerName: preset.name, lifetime: preset.refreshToken };
}
