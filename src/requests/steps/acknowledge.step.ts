import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '../../core/logging/logger';
import { MailboxLogEntry } from '../../mailboxes/mailbox-log.entity';
import type { PipelineStep } from '../pipeline/inbound-mail';
import { onCommit, type DatabaseContext, type RequestMail } from '../pipeline/request-mail';
import { acknowledgementText } from '../replies/acknowledgement.template';
import { OutgoingMessageWriter } from '../replies/outgoing-message.writer';
import { outgoingSubject, threadReferences } from '../replies/outgoing-subject';
import { RequestsMetrics } from '../requests.metrics';

/**
 * Acknowledges a NEW request when the decision says so (the mailbox asks for it, not a first
 * import, no loop rule, under the requester's hourly rate): queued to the outbox in the same
 * transaction as the request, with `Auto-Submitted: auto-replied`, the token in the subject
 * and In-Reply-To / References to the incoming mail, and stored as the request's outgoing
 * message. A failure to queue never costs the request: it runs in its own savepoint and is
 * logged on the mailbox.
 */
@Injectable()
export class AcknowledgeStep implements PipelineStep {
  readonly name = 'acknowledge';

  constructor(
    private readonly writer: OutgoingMessageWriter,
    private readonly metrics: RequestsMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async run(mail: RequestMail, context: DatabaseContext): Promise<void> {
    const decision = mail.decision;
    if (!decision || decision.outcome !== 'new request') return;
    if (!decision.acknowledge) {
      if (context.sideEffects && mail.stored?.outcome === 'request') {
        const rule = decision.acknowledgementSuppressedBy ?? 'unknown';
        onCommit(context, () => this.metrics.acknowledgementsSuppressed.inc({ rule }));
      }
      return;
    }
    if (!context.sideEffects || mail.stored?.outcome !== 'request') return;
    if (!this.writer.available) {
      onCommit(context, () => this.metrics.acknowledgementsSuppressed.inc({ rule: 'no-outbox' }));
      return;
    }

    const parsed = mail.parsed!;
    const requester = mail.requester!;
    const number = mail.stored.requestNumber!;
    const outgoing = mail.mailboxEntity.outgoing;
    try {
      mail.acknowledgement = await context.em.transaction(async (em) => {
        const queued = await this.writer.queue(em, {
          mailbox: mail.mailboxEntity,
          request: { id: mail.stored!.requestId!, number },
          kind: 'acknowledgement',
          to: { name: requester.name, email: requester.email },
          subject: outgoingSubject(parsed.subject, number),
          text: acknowledgementText(requester, number, outgoing?.senderName ?? mail.mailboxEntity.name ?? null),
          inReplyTo: parsed.messageId,
          references: threadReferences(parsed),
          autoReply: true,
        });
        return { outboxId: queued.outboxId, messageId: queued.messageId };
      });
      onCommit(context, () => this.metrics.acknowledgementsQueued.inc());
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn({ mailbox: mail.mailbox.id, err: error }, 'acknowledgement not queued');
      onCommit(context, () => this.metrics.acknowledgementsSuppressed.inc({ rule: 'queue-failed' }));
      mail.acknowledgement = null;
      await context.em.insert(MailboxLogEntry, {
        mailboxId: mail.mailbox.id,
        level: 'warn',
        event: 'acknowledge',
        side: 'outgoing',
        message: `request #${number} was created, but its acknowledgement could not be queued: ${message}`.slice(0, 4000),
      });
    }
  }
}
