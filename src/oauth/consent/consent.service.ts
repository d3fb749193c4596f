import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { LessThan } from 'typeorm';
import { SecretBox } from '../../core/crypto/secret-box';
import { Database } from '../../core/database/database';
import { InvalidInputError } from '../../core/errors';
import { LOGGER } from '../../core/logging/logger';
import { MailboxExtensions } from '../../mailboxes/mailbox-extensions';
import { MailboxLogService } from '../../mailboxes/mailbox-log.service';
import { MailboxStateService } from '../../mailboxes/mailbox-state.service';
import type { Side } from '../../mailboxes/mailbox.types';
import { OAuthAppsService } from '../apps/oauth-apps.service';
import { redirectUrlOf } from '../apps/oauth-app.view';
import { DEFAULT_EXPIRES_IN_SECONDS, GrantStore } from '../grants/grant-store';
import { oauthSideOf, sidesUsingGrant } from '../grants/oauth-side';
import { resolveUser, ID_TOKEN_USER_CLAIMS, decodeJwtPayload, firstString } from '../grants/token-user';
import { OAuthTuning } from '../oauth-tuning';
import { presetOf } from '../providers/provider-presets';
import { safeExcerpt } from '../tokens/redact';
import { TokenEndpointClient } from '../tokens/token-endpoint.client';
import { buildAuthorizeUrl, offlineAccessParams } from './authorize-url';
import type { CallbackOutcome } from './callback-page';
import { issuerProblem } from './issuer-check';
import { OAuthConsent } from './oauth-consent.entity';
import { codeChallengeS256, hashState, randomUrlSafe } from './pkce';

export interface CallbackQuery {
  state?: string;
  code?: string;
  error?: string;
  error_description?: string;
  /** RFC 9207: the authorization server that answered. */
  iss?: string;
}

/**
 * The authorization-code flow with PKCE (RFC 6749 §4.1, RFC 7636): start builds the authorize
 * URL and remembers the consent; complete consumes it exactly once, exchanges the code and
 * stores the grant. A failure stores nothing and says why, in the page and the mailbox log.
 */
@Injectable()
export class ConsentService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(SecretBox) private readonly secretBox: SecretBox,
    private readonly apps: OAuthAppsService,
    private readonly store: GrantStore,
    private readonly client: TokenEndpointClient,
    private readonly states: MailboxStateService,
    private readonly logs: MailboxLogService,
    private readonly extensions: MailboxExtensions,
    private readonly tuning: OAuthTuning,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async start(mailboxId: string, side: Side, baseUrl: string): Promise<{ url: string }> {
    const mailbox = await this.store.mailbox(mailboxId);
    const target = oauthSideOf(mailbox, side, { forConsent: true });
    const usable = await this.apps.usable(target.appId);
    if (!usable) throw new InvalidInputError(`${side}.oauth2App`, `names no OAuth2 app (${target.appId})`);
    if (!usable.app.enabled) throw new InvalidInputError(`${side}.oauth2App`, `names the disabled OAuth2 app "${usable.app.name}": enable it first`);

    const state = randomUrlSafe();
    const codeVerifier = randomUrlSafe();
    const redirectUri = redirectUrlOf(usable.app, baseUrl);
    const now = Date.now();
    await this.db.run(async (em) => {
      // Housekeeping: consents nobody completed are useless after their 10 minutes.
      await em.delete(OAuthConsent, { expiresAt: LessThan(new Date(now - this.tuning.consentTtlMs)) });
      await em.insert(OAuthConsent, {
        stateHash: hashState(state),
        mailboxId,
        side,
        appId: usable.app.id,
        redirectUri,
        codeVerifierSealed: this.secretBox.seal(codeVerifier),
        expiresAt: new Date(now + this.tuning.consentTtlMs),
      });
    });
    const { effective } = usable;
    const url = buildAuthorizeUrl({
      authorizeUrl: effective.authorizeUrl,
      clientId: usable.app.clientId,
      redirectUri,
      scopes: effective.scopes,
      state,
      codeChallenge: codeChallengeS256(codeVerifier),
      extraParams: { ...offlineAccessParams(usable.app.provider, effective.scopes), ...effective.authorizeParams },
      loginHint: target.username,
    });
    await this.logs.append(mailboxId, { level: 'info', event: 'oauth.consent', side, message: `${side}: authorization started with OAuth2 app "${usable.app.name}"` });
    return { url };
  }

  async complete(query: CallbackQuery): Promise<CallbackOutcome> {
    if (!query.state) return this.failed(null, null, 'The authorization server sent no state parameter, so this answer cannot be matched to a request.');
    const consent = await this.consume(query.state);
    if (!consent) return this.failed(null, null, 'This authorization link is unknown or was already used.');
    const { mailboxId, side } = consent;
    if (consent.expiresAt.getTime() < Date.now()) {
      return this.failed(mailboxId, side, `The authorization took longer than ${Math.round(this.tuning.consentTtlMs / 60_000)} minutes and expired.`);
    }
    const usable = await this.apps.usable(consent.appId);
    const wrongIssuer = usable ? issuerProblem(query.iss, usable.effective) : null;
    if (wrongIssuer) return this.failed(mailboxId, side, wrongIssuer);
    if (query.error) {
      const description = query.error_description ? ` (${safeExcerpt(query.error_description, 200)})` : '';
      const meaning = query.error === 'access_denied' ? 'The consent was declined' : 'The authorization server refused the request';
      return this.failed(mailboxId, side, `${meaning}: ${safeExcerpt(query.error, 60)}${description}.`);
    }
    if (!query.code) return this.failed(mailboxId, side, 'The authorization server sent no authorization code.');

    const mailbox = await this.store.mailbox(mailboxId).catch(() => null);
    if (!usable || !mailbox) return this.failed(mailbox ? mailboxId : null, side, 'The mailbox or its OAuth2 app was deleted during the authorization.');
    let target;
    try {
      target = oauthSideOf(mailbox, side, { forConsent: true });
    } catch (error) {
      return this.failed(mailboxId, side, `The mailbox settings changed during the authorization: ${(error as Error).message}.`);
    }
    if (target.appId !== consent.appId) return this.failed(mailboxId, side, 'The mailbox changed its OAuth2 app during the authorization.');

    let tokens;
    try {
      tokens = await this.client.request({
        tokenUrl: usable.effective.tokenUrl,
        client: { clientId: usable.app.clientId, clientSecret: usable.clientSecret, method: usable.effective.tokenEndpointAuthMethod },
        // RFC 6749 §4.1.3: the same redirect_uri as in the authorization request; RFC 7636 §4.5: the verifier.
        params: { grant_type: 'authorization_code', code: query.code, redirect_uri: consent.redirectUri, code_verifier: this.secretBox.open(consent.codeVerifierSealed) },
        // An authorization code is single-use: a retry after an unclear failure cannot succeed.
        attempts: 1,
        context: { mailboxId, side, provider: usable.app.provider, grantType: 'authorization_code' },
      });
    } catch (error) {
      return this.failed(mailboxId, side, `The code could not be exchanged for tokens: ${(error as Error).message}.`);
    }

    const preset = presetOf(usable.app.provider);
    const claims = tokens.idToken ? decodeJwtPayload(tokens.idToken) : null;
    // Userinfo only when the ID token does not name the account (it costs a request).
    const userinfo = !firstString(claims, ID_TOKEN_USER_CLAIMS) && preset.userinfo ? await this.client.getJson(preset.userinfo.url, tokens.accessToken, preset.userinfo.tokenIn) : null;
    const user = resolveUser({ idToken: tokens.idToken, userinfo, userinfoFields: preset.userinfo?.fields ?? [], tokenResponse: tokens.extras, sideUsername: target.username });
    const expiresIn = tokens.expiresIn;
    const grant = await this.store.replace({
      mailboxId,
      side,
      appId: usable.app.id,
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      expiresAt: new Date(Date.now() + (expiresIn ?? DEFAULT_EXPIRES_IN_SECONDS) * 1000),
      scopes: tokens.scopes ?? usable.effective.scopes,
      user,
    });
    for (const s of sidesUsingGrant(mailbox, side)) await this.states.set(mailboxId, s, 'connecting');
    const refresh = tokens.refreshToken ? 'with a refresh token' : 'WITHOUT a refresh token (access ends when the access token expires)';
    await this.logs.append(mailboxId, { level: 'info', event: 'oauth.consent', side, message: `${side}: authorized${user ? ` as ${user}` : ''} ${refresh}; scopes: ${grant.scopes.join(' ')}` });
    this.logger.info({ mailboxId, side, grantId: grant.id, provider: usable.app.provider }, 'OAuth2 consent completed');
    this.extensions.notify(mailboxId, 'reconnect');
    return { ok: true, mailbox: mailboxId, side, user };
  }

  /** Single use: the row is deleted and returned in one statement, so two callbacks cannot both win. */
  private async consume(state: string): Promise<OAuthConsent | null> {
    // Wrapped in a CTE so the driver reports a SELECT and hands back plain rows on both backends.
    const rows: Record<string, unknown>[] = await this.db.run((em) =>
      em.query('WITH consumed AS (DELETE FROM oauth_consent WHERE state_hash = $1 RETURNING *) SELECT * FROM consumed', [hashState(state)]),
    );
    const raw = rows[0];
    if (!raw) return null;
    return {
      stateHash: raw.state_hash as string,
      mailboxId: raw.mailbox_id as string,
      side: raw.side as Side,
      appId: raw.app_id as string,
      redirectUri: raw.redirect_uri as string,
      codeVerifierSealed: raw.code_verifier_sealed as string,
      expiresAt: new Date(raw.expires_at as string),
      createdAt: new Date(raw.created_at as string),
    };
  }

  private async failed(mailboxId: string | null, side: Side | null, error: string): Promise<CallbackOutcome> {
    this.logger.warn({ mailboxId, side, reason: error }, 'OAuth2 callback failed');
    if (mailboxId) {
      await this.logs.append(mailboxId, { level: 'warn', event: 'oauth.consent', side, message: `${side ?? 'mailbox'}: authorization failed: ${error}` }).catch(() => undefined);
    }
    return { ok: false, mailbox: mailboxId, side, error };
  }
}
