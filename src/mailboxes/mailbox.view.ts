import { Injectable } from '@nestjs/common';
import { MailboxExtensions } from './mailbox-extensions';
import type { Mailbox } from './mailbox.entity';

/**
 * The API view of a mailbox: settings with secrets replaced by `passwordSet`, plus the
 * live state of each side and what other modules contribute (ledger, oauth2 summary).
 */
@Injectable()
export class MailboxView {
  constructor(private readonly extensions: MailboxExtensions) {}

  async render(mailbox: Mailbox): Promise<Record<string, unknown>> {
    const incoming = {
      ...mailbox.incoming,
      passwordSet: mailbox.incomingPasswordSealed !== null,
      state: mailbox.incomingState,
      lastError: mailbox.incomingLastError,
      lastFetchAt: mailbox.lastFetchAt?.toISOString() ?? null,
      nextFetchAt: mailbox.incoming.enabled ? (mailbox.nextFetchAt?.toISOString() ?? null) : null,
      failingSince: mailbox.failingSince?.toISOString() ?? null,
      reconciliation: mailbox.reconciliation,
      ...(await this.extensions.contribute(mailbox, 'incoming')),
    };
    const outgoing = mailbox.outgoing
      ? {
          ...mailbox.outgoing,
          passwordSet: mailbox.outgoingPasswordSealed !== null,
          state: mailbox.outgoingState,
          lastError: mailbox.outgoingLastError,
          ...(await this.extensions.contribute(mailbox, 'outgoing')),
        }
      : null;
    return {
      id: mailbox.id,
      name: mailbox.name,
      emailAddresses: mailbox.emailAddresses,
      incoming,
      outgoing,
      createdAt: mailbox.createdAt.toISOString(),
      updatedAt: mailbox.updatedAt.toISOString(),
    };
  }
}
