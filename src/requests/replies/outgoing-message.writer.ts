import { Inject, Injectable, Optional } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Mailbox } from '../../mailboxes/mailbox.entity';
import { OUTBOX, type Outbox, type OutgoingAddress } from '../../outgoing/outbox.port';
import { Message } from '../entities/message.entity';
import { sanitizeMailHtml } from '../parsing/html-sanitizer';

export interface RequestOutgoingMail {
  mailbox: Mailbox;
  request: { id: string; number: number };
  kind: 'acknowledgement' | 'reply';
  to: OutgoingAddress;
  subject: string;
  text: string;
  html?: string | null;
  inReplyTo: string | null;
  references: string[];
  autoReply: boolean;
}

export interface QueuedRequestMail {
  /** The out-message row. */
  messageRowId: string;
  /** The Message-ID the mail carries, without angle brackets. */
  messageId: string;
  outboxId: string;
}

/**
 * Mail deskmail sends about a request: queued to the outbox and stored as the request's
 * `direction: 'out'` message in the CALLER's transaction, so the request shows exactly the
 * mails that will leave, and a reply to one of them threads back by its Message-ID.
 */
@Injectable()
export class OutgoingMessageWriter {
  constructor(@Optional() @Inject(OUTBOX) private readonly outbox?: Outbox) {}

  /** False until an outbox is bound (the outgoing module); callers then send nothing. */
  get available(): boolean {
    return !!this.outbox;
  }

  async queue(em: EntityManager, mail: RequestOutgoingMail): Promise<QueuedRequestMail> {
    if (!this.outbox) throw new Error('no outbox is bound: the outgoing module is not loaded');
    const queued = await this.outbox.enqueue(em, {
      mailboxId: mail.mailbox.id,
      requestId: mail.request.id,
      kind: mail.kind,
      to: [mail.to],
      subject: mail.subject,
      text: mail.text,
      html: mail.html ?? null,
      inReplyTo: mail.inReplyTo,
      references: mail.references,
      autoReply: mail.autoReply,
    });
    const outgoing = mail.mailbox.outgoing;
    const senderEmail = outgoing?.senderAddress ?? mail.mailbox.emailAddresses[0] ?? null;
    const now = new Date();
    const inserted = await em.insert(Message, {
      requestId: mail.request.id,
      mailboxId: mail.mailbox.id,
      direction: 'out',
      kind: mail.kind,
      from: senderEmail ? { name: outgoing?.senderName ?? null, email: senderEmail } : null,
      to: [{ name: mail.to.name ?? null, email: mail.to.email }],
      cc: [],
      subject: mail.subject,
      messageId: queued.messageId,
      // Our own Message-ID: the same mail fetched back (a Cc to the helpdesk) is then a duplicate.
      identity: queued.messageId,
      date: now,
      text: mail.text,
      html: mail.html ? sanitizeMailHtml(mail.html) : null,
      inReplyTo: mail.inReplyTo,
      references: mail.references,
      isNote: false,
      autoReply: mail.autoReply,
      requesterEmail: mail.to.email.toLowerCase().slice(0, 320),
      subjectKey: null,
      receivedAt: now,
    });
    return { messageRowId: String(inserted.identifiers[0].id), messageId: queued.messageId, outboxId: queued.id };
  }
}
