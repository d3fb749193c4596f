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
    return (await this.renderAll([mailbox]))[0];
  }

  /** A page of mailboxes: each contributing module is asked once for the whole page. */
  async renderAll(mailboxes: readonly Mailbox[]): Promise<Array<Record<string, unknown>>> {
    const [incomingParts, outgoingParts] = await Promise.all([
      this.extensions.contribute(mailboxes, 'incoming'),
      this.extensions.contribute(mailboxes.filter((mailbox) => mailbox.outgoing), 'outgoing'),
    ]);
    let withOutgoing = 0;
    return mailboxes.map((mailbox, index) => viewOf(mailbox, incomingParts[index], mailbox.outgoing ? outgoingParts[withOutgoing++] : null));
  }
}

function viewOf(mailbox: Mailbox, incomingPart: Record<string, unknown>, outgoingPart: Record<string, unknown> | null): Record<string, unknown> {
  const incoming = {
    ...mailbox.incoming,
    passwordSet: mailbox.incomingPasswordSealed !== null,
    state: mailbox.incomingState,
    lastError: mailbox.incomingLastError,
    lastFetchAt: mailbox.lastFetchAt?.toISOString() ?? null,
    nextFetchAt: mailbox.incoming.enabled ? (mailbox.nextFetchAt?.toISOString() ?? null) : null,
    failingSince: mailbox.failingSince?.toISOString() ?? null,
    reconciliation: mailbox.reconciliation,
    ...incomingPart,
  };
  const outgoing = mailbox.outgoing
    ? {
        ...mailbox.outgoing,
        passwordSet: mailbox.outgoingPasswordSealed !== null,
        state: mailbox.outgoingState,
        lastError: mailbox.outgoingLastError,
        ...outgoingPart,
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
