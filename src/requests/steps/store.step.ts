import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Request } from '../entities/request.entity';
import type { MailAddress } from '../parsing/parsed-mail';
import type { PipelineStep } from '../pipeline/inbound-mail';
import { eventTime, subjectKey, type RequestMail, type StoreContext } from '../pipeline/request-mail';
import { QuarantineWriter } from '../quarantine/quarantine.writer';
import { RequestsMetrics } from '../requests.metrics';
import { IncomingMessageWriter } from '../storage/incoming-message.writer';

/**
 * Carries out the decision in the pipeline's transaction:
 *
 * - new request → a request and its first message; append → a message of the thread's
 *   request (a bounce as a note; a person's mail reopens a closed request);
 * - quarantine, and mail that is ignored (a bounce about no known request, mail from our own
 *   address) → a quarantine row with the raw bytes and the reason: nothing fetched is lost;
 * - a duplicate → nothing. The early look may miss a mail another process is storing at this
 *   very moment: the unique (mailbox, identity) constraint then refuses the second message
 *   (ON CONFLICT DO NOTHING: the second process waits for the first to commit, then inserts
 *   nothing), and the mail is reported as `duplicate`, no request created. Any other database
 *   error propagates: the fetch runner quarantines the mail ("storage failed").
 */
@Injectable()
export class StoreStep implements PipelineStep {
  readonly name = 'store';
  readonly runsOnQuarantined = true;
  readonly runsOnDuplicate = true;

  constructor(
    private readonly messages: IncomingMessageWriter,
    private readonly quarantines: QuarantineWriter,
    private readonly metrics: RequestsMetrics,
  ) {}

  async run(mail: RequestMail, context: StoreContext): Promise<void> {
    if (mail.duplicate) {
      const requestId = mail.duplicate.kind === 'message' ? mail.duplicate.requestId : null;
      const requestNumber = mail.duplicate.kind === 'message' ? mail.duplicate.requestNumber : null;
      mail.stored = { outcome: 'duplicate', requestId, requestNumber, rowId: null };
      if (context.sideEffects) this.metrics.duplicatesSuppressed.inc();
      return;
    }
    const decision = mail.decision;
    if (!decision) throw new Error('the store step runs after the decide step');
    if (!context.sideEffects) return;

    switch (decision.outcome) {
      case 'new request':
        return this.asMessage(mail, context, (ctx) => this.createRequest(mail, ctx));
      case 'append':
        return this.asMessage(mail, context, (ctx) => this.appendTo(mail, ctx));
      case 'ignored':
      case 'quarantine':
        return this.keepInQuarantine(mail, context, quarantineOf(mail));
    }
  }

  /** Writes the message (and, for a new request, the request); a mail the constraint refuses is a duplicate. */
  private async asMessage(mail: RequestMail, context: StoreContext, write: (context: StoreContext) => Promise<{ requestId: string; requestNumber: number; rowId: string } | null>): Promise<void> {
    const written = await write(context);
    if (!written) {
      mail.stored = { outcome: 'duplicate', requestId: null, requestNumber: null, rowId: null };
      this.metrics.duplicatesSuppressed.inc();
      return;
    }
    const created = mail.decision!.outcome === 'new request';
    mail.stored = { outcome: created ? 'request' : 'appended', ...written };
    if (created) this.metrics.requestsCreated.inc();
    else this.metrics.messagesAppended.inc({ matched_by: mail.thread?.matchedBy ?? 'unknown' });
  }

  /** The message first: only when the constraint took it does the request exist (no foreign key orders them). */
  private async createRequest(mail: RequestMail, context: StoreContext): Promise<{ requestId: string; requestNumber: number; rowId: string } | null> {
    const requestId = randomUUID();
    const rowId = await this.messages.write(context.em, mail, requestId, context);
    if (rowId === null) return null;
    const requester = mail.requester!;
    const inserted = await context.em.insert(Request, {
      id: requestId,
      subject: mail.parsed!.subject || '(no subject)',
      mailboxId: mail.mailbox.id,
      requesterName: requester.name?.slice(0, 300) ?? null,
      requesterEmail: requester.email.slice(0, 320),
      status: 'open',
    });
    const generated = inserted.generatedMaps[0] as { number: number };
    return { requestId, requestNumber: Number(generated.number), rowId };
  }

  private async appendTo(mail: RequestMail, context: StoreContext): Promise<{ requestId: string; requestNumber: number; rowId: string } | null> {
    const { requestId, requestNumber } = mail.thread!;
    const rowId = await this.messages.write(context.em, mail, requestId, context);
    if (rowId === null) return null;
    // A person writing again reopens a closed request; a bounce or an auto-reply does not.
    const reopen = !mail.bounce && !mail.autoReply?.isAutoReply;
    await context.em.query(`UPDATE request SET updated_at = now(), status = CASE WHEN $2 THEN 'open' ELSE status END WHERE id = $1`, [requestId, reopen]);
    return { requestId, requestNumber, rowId };
  }

  private async keepInQuarantine(mail: RequestMail, context: StoreContext, quarantine: { reason: string; detail: string }): Promise<void> {
    const parsed = mail.parsed;
    const id = await this.quarantines.keep(context.em, {
      mailboxId: mail.mailbox.id,
      raw: mail.raw,
      reason: quarantine.reason,
      detail: quarantine.detail,
      identity: mail.identity!,
      messageId: parsed?.messageId ?? null,
      subject: parsed ? parsed.subject : null,
      from: formatAddress(parsed?.from ?? mail.requester ?? null),
      requesterEmail: mail.requester?.email ?? null,
      subjectKey: parsed ? subjectKey(parsed.subject) : null,
      receivedAt: eventTime(mail, context),
    });
    if (id === null) {
      mail.stored = { outcome: 'duplicate', requestId: null, requestNumber: null, rowId: null };
      this.metrics.duplicatesSuppressed.inc();
      return;
    }
    mail.stored = { outcome: 'quarantined', requestId: null, requestNumber: null, rowId: id };
    this.metrics.quarantined.inc({ reason: quarantine.reason });
  }
}

/** Why a mail that does not become a message is kept: its quarantine, or why it is ignored (a bounce about nothing we know, our own mail). */
export function quarantineOf(mail: RequestMail): { reason: string; detail: string } {
  if (mail.decision?.outcome === 'ignored') return { reason: mail.bounce ? 'bounce' : 'own address', detail: mail.decision.reason };
  return mail.quarantine ?? { reason: 'unparseable', detail: mail.decision?.reason ?? 'the pipeline made no decision' };
}

export function formatAddress(address: MailAddress | null): string | null {
  if (!address) return null;
  return address.name ? `${address.name} <${address.email}>` : address.email;
}
