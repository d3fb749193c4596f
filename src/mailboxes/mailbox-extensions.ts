import { Injectable } from '@nestjs/common';
import type { Mailbox } from './mailbox.entity';
import type { Side } from './mailbox.types';

/**
 * What other modules add to a mailbox's API view without the mailboxes module depending
 * on them: the OAuth2 grant summary (oauth module), the ledger figures (incoming module).
 * Each module registers its contributor once at start.
 */
export type SideContributor = (mailbox: Mailbox, side: Side) => Promise<Record<string, unknown>>;

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

  async contribute(mailbox: Mailbox, side: Side): Promise<Record<string, unknown>> {
    const parts = await Promise.all(this.contributors.map((c) => c(mailbox, side)));
    return Object.assign({}, ...parts);
  }

  async beforeDelete(mailboxId: string): Promise<void> {
    for (const hook of this.deleteHooks) await hook(mailboxId);
  }

  notify(mailboxId: string, change: 'settings' | 'reconnect' | 'deleted'): void {
    for (const listener of this.listeners) listener(mailboxId, change);
  }
}
