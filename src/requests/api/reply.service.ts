import { Inject, Injectable } from '@nestjs/common';
import { Database } from '../../core/database/database';
import { ConflictError, DomainError } from '../../core/errors';
import { Mailbox } from '../../mailboxes/mailbox.entity';
import { Message } from '../entities/message.entity';
import { OutgoingMessageWriter } from '../replies/outgoing-message.writer';
import { outgoingSubject, threadReferences } from '../replies/outgoing-subject';
import { RequestsMetrics } from '../requests.metrics';
import { RequestsService } from './requests.service';

export class OutboxUnavailableError extends DomainError {
  readonly status = 503;
}

/**
 * `POST /v1/requests/:id/reply`: the reply is queued to the outbox and stored as the
 * request's outgoing message in ONE transaction: To the requester, the token in the subject,
 * In-Reply-To the newest incoming mail, References the thread.
 */
@Injectable()
export class ReplyService {
  constructor(
    @Inject(Database) private readonly db: Database,
    private readonly requests: RequestsService,
    private readonly writer: OutgoingMessageWriter,
    private readonly metrics: RequestsMetrics,
  ) {}

  async reply(idOrNumber: string, body: { text: string; html?: string }): Promise<{ messageId: string; status: 'queued'; id: string }> {
    if (!this.writer.available) throw new OutboxUnavailableError('replies cannot be queued: the outbox is not available in this service');
    const queued = await this.db.transaction(async (em) => {
      const request = await this.requests.find(em, idOrNumber);
      const mailbox = await em.findOne(Mailbox, { where: { id: request.mailboxId } });
      if (!mailbox) throw new ConflictError(`the mailbox of request #${request.number} was deleted; a reply has no server to leave through`);
      if (!mailbox.outgoing) throw new ConflictError(`mailbox "${mailbox.name}" has no outgoing settings; add them to reply`);
      // The newest incoming mail is what the requester's client threads under; else the newest mail with an id.
      const parent =
        (await em.findOne(Message, { where: { requestId: request.id, direction: 'in' }, order: { seq: 'DESC' } })) ??
        (await em.findOne(Message, { where: { requestId: request.id }, order: { seq: 'DESC' } }));
      const result = await this.writer.queue(em, {
        mailbox,
        request: { id: request.id, number: Number(request.number) },
        kind: 'reply',
        to: { name: request.requesterName, email: request.requesterEmail },
        subject: outgoingSubject(request.subject, Number(request.number)),
        text: body.text,
        html: body.html ?? null,
        inReplyTo: parent?.messageId ?? null,
        references: parent ? threadReferences(parent) : [],
        autoReply: false,
      });
      await em.query(`UPDATE request SET updated_at = now() WHERE id = $1`, [request.id]);
      return result;
    });
    this.metrics.repliesQueued.inc();
    return { messageId: queued.messageId, status: 'queued', id: queued.messageRowId };
  }
}
