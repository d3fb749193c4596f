import { Injectable } from '@nestjs/common';
import type { Mailbox } from './mailbox.entity';
import type { Side } from './mailbox.types';

/**
 * What other modules add to a mailbox's API view without the mailboxes module depending
 * on them: the OAuth2 grant summary (oauth module), the ledger figures (incoming module),
 * the outbox figures (outgoing module). Each module registers its contributor once at start.
 * A contributor gets a whole page of mailboxes and answers one part per mailbox, in the
 * same order, so a list costs each module one query, not one per mailbox.
 */
export type SideContributor = (mailboxes: readonly Mailbox[], side: Side) => Promise<Array<Record<string, unknown>>>;

/** Called before a mailbox is deleted, so modules can drop what hangs off it (grants, cursors). */
export type DeleteHook = (mailboxId: string) => Promise<void>;

/** Called when a mailbox's server settings changed (reconnect) or it was deleted. */
export type ChangeListener = (mailboxId: string, change: 'settings' | 'reconnect' | 'deleted') => void;

@Injectable()
export class MailboxExtensions {
  private readonly contributors: SideContributor[] = [];
  private readonly deleteHooks: DeleteHook[] = [];
  private readonly listeners: ChangeListener[] = [];

  addSideContributor(contributor: SideContributor): void {
    this.contributors.push(contributor);
  }

  addDeleteHook(hook: DeleteHook): void {
    this.deleteHooks.push(hook);
  }

  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  /** What every module adds to `side` of each mailbox, in the order of `mailboxes`. */
  async contribute(mailboxes: readonly Mailbox[], side: Side): Promise<Array<Record<string, unknown>>> {
    if (mailboxes.length === 0) return [];
    const parts = await Promise.all(this.contributors.map((contributor) => contributor(mailboxes, side)));
    return mailboxes.map((_, index) => Object.assign({}, ...parts.map((part) => part[index])));
  }

  async beforeDelete(mailboxId: string): Promise<void> {
    for (const hook of this.deleteHooks) await hook(mailboxId);
  }

  notify(mailboxId: string, change: 'settings' | 'reconnect' | 'deleted'): void {
    for (const listener of this.listeners) listener(mailboxId, change);
  }
}
