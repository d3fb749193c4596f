import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '../core/logging/logger';
import { MailboxExtensions } from '../mailboxes/mailbox-extensions';
import { MailboxLogService } from '../mailboxes/mailbox-log.service';
import type { Mailbox } from '../mailboxes/mailbox.entity';
import type { Side } from '../mailboxes/mailbox.types';
import { GrantStore } from './grants/grant-store';
import { oauthSideOf } from './grants/oauth-side';
import { OAuthTokenService } from './grants/oauth-token.service';

/**
 * Where the OAuth2 module plugs into the mailboxes module without it depending on us: each
 * OAuth2 side of a mailbox response gets its `oauth2` summary, and a settings change that
 * leaves a grant unusable (app changed, side no longer OAuth2) drops that grant.
 * (Deleting a mailbox drops its grants through the foreign key.)
 */
@Injectable()
export class OAuthMailboxHooks implements OnModuleInit {
  constructor(
    private readonly extensions: MailboxExtensions,
    private readonly tokens: OAuthTokenService,
    private readonly store: GrantStore,
    private readonly logs: MailboxLogService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.extensions.addSideContributor(async (mailboxes, side) => {
      const summaries = await this.tokens.summaries(mailboxes, side);
      return mailboxes.map((mailbox, index) => ((side === 'incoming' ? mailbox.incoming : mailbox.outgoing)?.authType === 'oauth2' ? { oauth2: summaries[index] } : {}));
    });
    this.extensions.onChange((mailboxId, change) => {
      if (change !== 'settings') return;
      this.dropUnusableGrants(mailboxId).catch((error: Error) => this.logger.error({ err: error, mailboxId }, 'could not reconcile OAuth2 grants after a settings change'));
    });
  }

  async dropUnusableGrants(mailboxId: string): Promise<void> {
    const mailbox = await this.store.mailbox(mailboxId).catch(() => null);
    if (!mailbox) return;
    for (const side of ['incoming', 'outgoing'] as Side[]) {
      const grant = await this.store.forSide(mailboxId, side);
      if (!grant || stillUsable(mailbox, side, grant.appId)) continue;
      await this.store.remove(mailboxId, side);
      await this.logs.append(mailboxId, { level: 'info', event: 'oauth.grant', side, message: `${side}: OAuth2 grant removed: the side's OAuth2 settings changed (authorize again if it still uses OAuth2)` });
    }
  }
}

/** Whether the grant stored under `side` is still the one some side of the mailbox would use. */
function stillUsable(mailbox: Mailbox, grantSide: Side, appId: string): boolean {
  try {
    const target = oauthSideOf(mailbox, grantSide, { forConsent: true });
    return target.appId === appId;
  } catch {
    return false;
  }
}
