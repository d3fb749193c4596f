import { Injectable } from '@nestjs/common';
import { InvalidInputError } from '../../core/errors';
import { MailboxExtensions } from '../../mailboxes/mailbox-extensions';
import { MailboxLogService } from '../../mailboxes/mailbox-log.service';
import { MailboxStateService } from '../../mailboxes/mailbox-state.service';
import type { Side } from '../../mailboxes/mailbox.types';
import { OAuthAppsService } from '../apps/oauth-apps.service';
import { NotAuthorizedError } from '../tokens/token-errors';
import { GrantStore } from './grant-store';
import type { RegisterTokensDto } from './mailbox-oauth.dto';
import { oauthSideOf, sidesUsingGrant } from './oauth-side';
import { OAuthTokenService, type GrantSummary } from './oauth-token.service';

/** Mailbox-level OAuth2 actions besides consent: tokens obtained elsewhere, and reconnect. */
@Injectable()
export class MailboxOAuthService {
  constructor(
    private readonly store: GrantStore,
    private readonly apps: OAuthAppsService,
    private readonly tokens: OAuthTokenService,
    private readonly states: MailboxStateService,
    private readonly logs: MailboxLogService,
    private readonly extensions: MailboxExtensions,
  ) {}

  /** PUT oauth2-tokens: the tokens replace the side's grant as a new consent would. */
  async register(mailboxId: string, input: RegisterTokensDto): Promise<GrantSummary> {
    const mailbox = await this.store.mailbox(mailboxId);
    const target = oauthSideOf(mailbox, input.side, { forConsent: true });
    const usable = await this.apps.usable(target.appId);
    if (!usable) throw new InvalidInputError(`${input.side}.oauth2App`, `names no OAuth2 app (${target.appId})`);
    const expiresAt = input.expires ? new Date(input.expires) : null;
    await this.store.replace({
      mailboxId,
      side: input.side,
      appId: usable.app.id,
      accessToken: input.accessToken,
      refreshToken: input.refreshToken ?? null,
      expiresAt,
      scopes: input.scopes?.length ? [...new Set(input.scopes)] : usable.effective.scopes,
      user: input.user?.trim() || target.username,
    });
    for (const side of sidesUsingGrant(mailbox, input.side)) await this.states.set(mailboxId, side, 'connecting');
    await this.logs.append(mailboxId, {
      level: 'info',
      event: 'oauth.consent',
      side: input.side,
      message: `${input.side}: OAuth2 tokens registered through the API${input.refreshToken ? '' : ' (no refresh token: access ends when the access token expires)'}`,
    });
    this.extensions.notify(mailboxId, 'reconnect');
    return (await this.tokens.summary(mailbox, input.side))!;
  }

  /** PUT reconnect: refresh the tokens of every OAuth2 side first, then ask connections to start over. */
  async reconnect(mailboxId: string): Promise<void> {
    const mailbox = await this.store.mailbox(mailboxId);
    const oauthSides: Side[] = [];
    if (mailbox.incoming.authType === 'oauth2') oauthSides.push('incoming');
    // With sameAsIncoming the outgoing side uses the incoming grant: one refresh serves both.
    if (mailbox.outgoing?.authType === 'oauth2' && !mailbox.outgoing.sameAsIncoming) oauthSides.push('outgoing');
    await this.logs.append(mailboxId, { level: 'info', event: 'reconnect', message: `reconnect requested${oauthSides.length ? '; refreshing OAuth2 tokens first' : ''}` });
    // A side never authorized has nothing to refresh (its connection reports authorizationRequired);
    // a refresh that fails (invalid_grant, token endpoint down) is the answer the admin needs.
    for (const side of oauthSides) {
      await this.tokens.validToken(mailboxId, side, { forceRefresh: true }).catch((error: Error) => {
        if (!(error instanceof NotAuthorizedError)) throw error;
      });
    }
    this.extensions.notify(mailboxId, 'reconnect');
  }
}
