import { InvalidInputError } from '../../core/errors';
import type { Mailbox } from '../../mailboxes/mailbox.entity';
import type { Side } from '../../mailboxes/mailbox.types';

/** How one side of a mailbox uses OAuth2: which app, which grant, which account. */
export interface OAuthSide {
  side: Side;
  /** Where its grant lives: outgoing with sameAsIncoming uses the incoming grant. */
  grantSide: Side;
  appId: string;
  /** The configured account name, if any (login_hint, and the user of last resort). */
  username: string | null;
}

export type MailboxSides = Pick<Mailbox, 'id' | 'incoming' | 'outgoing' | 'incomingOAuthAppId' | 'outgoingOAuthAppId'>;

/**
 * The OAuth2 view of a side, or a 400 naming the setting that is missing. `forConsent`: the side
 * is about to be authorized, so an outgoing side that borrows the incoming grant is refused
 * (authorizing it would not be used).
 */
export function oauthSideOf(mailbox: MailboxSides, side: Side, options: { forConsent?: boolean } = {}): OAuthSide {
  if (side === 'incoming') {
    const settings = mailbox.incoming;
    if (settings.authType !== 'oauth2') throw new InvalidInputError('incoming.authType', `is ${settings.authType}: only a side with authType oauth2 uses OAuth2 tokens`);
    const appId = settings.oauth2App ?? mailbox.incomingOAuthAppId;
    if (!appId) throw new InvalidInputError('incoming.oauth2App', 'is not set: choose the OAuth2 app of this mailbox first');
    return { side, grantSide: 'incoming', appId, username: settings.username ?? null };
  }
  const settings = mailbox.outgoing;
  if (!settings) throw new InvalidInputError('outgoing', 'is not configured for this mailbox');
  if (settings.authType !== 'oauth2') throw new InvalidInputError('outgoing.authType', `is ${settings.authType}: only a side with authType oauth2 uses OAuth2 tokens`);
  if (settings.sameAsIncoming) {
    if (options.forConsent) throw new InvalidInputError('outgoing.sameAsIncoming', 'is true: the outgoing side uses the incoming grant, so authorize side incoming');
    const incoming = oauthSideOf(mailbox, 'incoming');
    return { side, grantSide: 'incoming', appId: incoming.appId, username: settings.username ?? incoming.username };
  }
  const appId = settings.oauth2App ?? mailbox.outgoingOAuthAppId;
  if (!appId) throw new InvalidInputError('outgoing.oauth2App', 'is not set: choose the OAuth2 app of this side first (or sameAsIncoming)');
  return { side, grantSide: 'outgoing', appId, username: settings.username ?? null };
}

/** The sides whose connections use the grant stored under `grantSide` (for state changes). */
export function sidesUsingGrant(mailbox: MailboxSides, grantSide: Side): Side[] {
  if (grantSide === 'outgoing') return ['outgoing'];
  const outgoing = mailbox.outgoing;
  return outgoing?.authType === 'oauth2' && outgoing.sameAsIncoming ? ['incoming', 'outgoing'] : ['incoming'];
}
