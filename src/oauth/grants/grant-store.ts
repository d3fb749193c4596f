import { Inject, Injectable } from '@nestjs/common';
import { SecretBox } from '../../core/crypto/secret-box';
import { Database } from '../../core/database/database';
import { hydrate } from '../../core/database/hydrate';
import { NotFoundError } from '../../core/errors';
import { Mailbox } from '../../mailboxes/mailbox.entity';
import type { Side } from '../../mailboxes/mailbox.types';
import { In } from 'typeorm';
import { isUuid } from '../oauth-ids';
import { NotAuthorizedError } from '../tokens/token-errors';
import type { TokenSet } from '../tokens/token-response';
import { OAuthApp } from '../apps/oauth-app.entity';
import { OAuthGrant, type RefreshError } from './oauth-grant.entity';
import { oauthSideOf, type OAuthSide } from './oauth-side';

/**
 * RFC 6749 §5.1 makes expires_in only RECOMMENDED; without it we assume one hour (what Google,
 * Microsoft and Mail.ru issue), so the token is refreshed in time rather than never.
 */
export const DEFAULT_EXPIRES_IN_SECONDS = 3600;

export interface NewGrant {
  mailboxId: string;
  side: Side;
  appId: string;
  accessToken: string;
  refreshToken: string | null;
  expiresAt: Date | null;
  scopes: string[];
  user: string | null;
}

export interface GrantInUse {
  mailbox: Mailbox;
  target: OAuthSide;
  grant: OAuthGrant;
}

/** Reads and writes grants; tokens are sealed on the way in and opened only on request. */
@Injectable()
export class GrantStore {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(SecretBox) private readonly secretBox: SecretBox,
  ) {}

  async mailbox(mailboxId: string): Promise<Mailbox> {
    const mailbox = isUuid(mailboxId) ? await this.db.run((em) => em.findOneBy(Mailbox, { id: mailboxId })) : null;
    if (!mailbox) throw new NotFoundError('mailbox', mailboxId);
    return mailbox;
  }

  /**
   * The grant a side uses right now, or why it has none (404, 400 naming the setting, 409).
   * ONE query for the mailbox, both sides' grants and their apps: this is the token API's
   * hot path (every call of another application), where TypeORM finds cost more than the SQL.
   */
  async forUse(mailboxId: string, side: Side): Promise<GrantInUse> {
    if (!isUuid(mailboxId)) throw new NotFoundError('mailbox', mailboxId);
    const rows: Array<{ m: Record<string, unknown>; g: Record<string, unknown> | null; a: Record<string, unknown> | null }> = await this.db.run((em) =>
      em.query(
        `SELECT row_to_json(m) AS m, row_to_json(g) AS g, row_to_json(a) AS a
           FROM mailbox m LEFT JOIN oauth_grant g ON g.mailbox_id = m.id LEFT JOIN oauth_app a ON a.id = g.app_id
          WHERE m.id = $1`,
        [mailboxId],
      ),
    );
    if (rows.length === 0) throw new NotFoundError('mailbox', mailboxId);
    const dataSource = this.db.dataSource;
    const mailbox = hydrate(dataSource, Mailbox, rows[0].m);
    const target = oauthSideOf(mailbox, side);
    const row = rows.find((r) => r.g?.side === target.grantSide);
    const grant = row?.g ? hydrate(dataSource, OAuthGrant, row.g) : null;
    if (grant && row?.a) grant.app = hydrate(dataSource, OAuthApp, row.a);
    const authorize = `authorize it: POST /v1/mailboxes/${mailboxId}/authorize {"side":"${target.grantSide}"}`;
    if (!grant) throw new NotAuthorizedError(`the ${side} side of mailbox ${mailboxId} has no OAuth2 grant yet; ${authorize}`);
    if (grant.appId !== target.appId) throw new NotAuthorizedError(`the ${side} side of mailbox ${mailboxId} changed its OAuth2 app since it was authorized; ${authorize}`);
    return { mailbox, target, grant };
  }

  async byId(grantId: string): Promise<OAuthGrant | null> {
    return this.db.run((em) => em.findOneBy(OAuthGrant, { id: grantId }));
  }

  /** The grant stored under one side, with its app. */
  async forSide(mailboxId: string, side: Side): Promise<OAuthGrant | null> {
    if (!isUuid(mailboxId)) return null;
    return this.db.run((em) => em.findOne(OAuthGrant, { where: { mailboxId, side }, relations: { app: true } }));
  }

  /** Every grant of these mailboxes, with its app, in one query. */
  async forMailboxes(mailboxIds: readonly string[]): Promise<OAuthGrant[]> {
    const ids = mailboxIds.filter(isUuid);
    if (ids.length === 0) return [];
    return this.db.run((em) => em.find(OAuthGrant, { where: { mailboxId: In(ids) }, relations: { app: true } }));
  }

  /**
   * Stores the tokens of a new consent (or registered ones), replacing the side's grant in place
   * (same id, so a refresh in flight for it re-reads the new tokens under the same lock) and
   * clearing every failure mark: a new consent is a fresh start.
   */
  async replace(input: NewGrant, now = new Date()): Promise<OAuthGrant> {
    const existing = await this.db.run((em) => em.findOne(OAuthGrant, { where: { mailboxId: input.mailboxId, side: input.side }, select: { id: true } }));
    const values: Partial<OAuthGrant> = {
      mailboxId: input.mailboxId,
      side: input.side,
      appId: input.appId,
      accessTokenSealed: this.secretBox.seal(input.accessToken),
      refreshTokenSealed: this.secretBox.sealOptional(input.refreshToken),
      expiresAt: input.expiresAt,
      scopes: input.scopes,
      user: input.user,
      lastRefreshAt: null,
      refreshTokenIssuedAt: input.refreshToken ? now : null,
      refreshTokenRotated: false,
      needsReauthorization: false,
      failedRefreshes: 0,
      nextRetryAt: null,
      lastRefreshError: null,
    };
    if (!existing) return this.db.run((em) => em.save(em.create(OAuthGrant, values)));
    return this.db.transactionWithLock(`oauth-grant:${existing.id}`, async (em) => {
      await em.update(OAuthGrant, { id: existing.id }, values);
      return em.findOneByOrFail(OAuthGrant, { id: existing.id });
    });
  }

  /** A successful refresh: new access token, the rotated refresh token if any, failures cleared. */
  async applyRefresh(grant: OAuthGrant, tokens: TokenSet, now = new Date()): Promise<OAuthGrant> {
    const previous = this.secretBox.openOptional(grant.refreshTokenSealed);
    // RFC 6749 §6: the server MAY issue a new refresh token; then the old one may stop working,
    // so it must replace the old one in the same write (Microsoft and oidc-provider rotate).
    const rotated = tokens.refreshToken !== null && tokens.refreshToken !== previous;
    const changes: Partial<OAuthGrant> = {
      accessTokenSealed: this.secretBox.seal(tokens.accessToken),
      expiresAt: new Date(now.getTime() + (tokens.expiresIn ?? DEFAULT_EXPIRES_IN_SECONDS) * 1000),
      scopes: tokens.scopes ?? grant.scopes,
      lastRefreshAt: now,
      refreshTokenRotated: rotated,
      failedRefreshes: 0,
      nextRetryAt: null,
      lastRefreshError: null,
    };
    if (rotated) {
      changes.refreshTokenSealed = this.secretBox.seal(tokens.refreshToken!);
      changes.refreshTokenIssuedAt = now;
    }
    // Written only if the grant still holds the tokens we refreshed: a new consent that replaced
    // them meanwhile wins, and we hand out its tokens instead.
    const result = await this.db.run((em) => em.update(OAuthGrant, { id: grant.id, accessTokenSealed: grant.accessTokenSealed }, changes));
    if (result.affected === 0) return (await this.byId(grant.id)) ?? Object.assign(grant, changes);
    return Object.assign(grant, changes);
  }

  /** Returns false when a new consent replaced the tokens meanwhile (nothing recorded). */
  async recordFailure(grant: OAuthGrant, error: RefreshError, nextRetryAt: Date | null, needsReauthorization: boolean): Promise<boolean> {
    const changes: Partial<OAuthGrant> = { failedRefreshes: grant.failedRefreshes + 1, nextRetryAt, lastRefreshError: error, needsReauthorization };
    // Same guard as applyRefresh: a failure of the old tokens must not mark a fresh consent.
    const result = await this.db.run((em) => em.update(OAuthGrant, { id: grant.id, accessTokenSealed: grant.accessTokenSealed }, changes));
    if (result.affected !== 0) Object.assign(grant, changes);
    return result.affected !== 0;
  }

  openAccessToken(grant: OAuthGrant): string {
    return this.secretBox.open(grant.accessTokenSealed);
  }

  openRefreshToken(grant: OAuthGrant): string | null {
    return this.secretBox.openOptional(grant.refreshTokenSealed);
  }

  /** Drops the grant of one side (or all of a mailbox): its app or authType changed. */
  async remove(mailboxId: string, side?: Side): Promise<void> {
    if (!isUuid(mailboxId)) return;
    await this.db.run((em) => em.delete(OAuthGrant, side ? { mailboxId, side } : { mailboxId }));
  }
}
