import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { insertRows, type InsertColumn } from '../../core/database/insert-rows';
import type { BatchWriteStep } from '../pipeline/batch-reads';
import type { MailAddress } from '../parsing/parsed-mail';
import { eventTime, onCommit, subjectKey, type RequestMail, type StoreContext } from '../pipeline/request-mail';
import { QuarantineWriter } from '../quarantine/quarantine.writer';
import { RequestsMetrics } from '../requests.metrics';
import { IncomingMessageWriter } from '../storage/incoming-message.writer';

const REQUEST_COLUMNS: readonly InsertColumn[] = [
  ['id', 'uuid'],
  ['number', 'integer'],
  ['subject', 'text'],
  ['mailbox_id', 'uuid'],
  ['requester_name', 'varchar'],
  ['requester_email', 'varchar'],
];

/**
 * Carries out the decisions of a batch in the pipeline's transaction, in a few multi-row
 * statements:
 *
 * - new request → a request and its first message; append → a message of the thread's
 *   request (a bounce as a note; a person's mail reopens a closed request);
 * - quarantine, and mail that is ignored (a bounce about no known request, mail from our own
 *   address) → a quarantine row with the raw bytes and the reason: nothing fetched is lost;
 * - a duplicate → nothing. The early look may miss a mail another process is storing at this
 *   very moment: the unique (mailbox, identity) constraint then refuses the second message
 *   (ON CONFLICT DO NOTHING: the second process waits for the first to commit, then inserts
 *   nothing), and the mail is reported as `duplicate`, no request created. Any other database
 *   error propagates: the fetch runner stores the mails one by one, and quarantines the one
 *   that fails ("storage failed").
 *
 * Request numbers are drawn for the requests actually created, in mail order.
 */
@Injectable()
export class StoreStep implements BatchWriteStep {
  readonly name = 'store';
  readonly runsOnQuarantined = true;
  readonly runsOnDuplicate = true;

  constructor(
    private readonly messages: IncomingMessageWriter,
    private readonly quarantines: QuarantineWriter,
    private readonly metrics: RequestsMetrics,
  ) {}

  async run(mail: RequestMail, context: StoreContext): Promise<void> {
    await this.runAll([mail], context);
  }

  async runAll(mails: readonly RequestMail[], context: StoreContext): Promise<void> {
    const decided: RequestMail[] = [];
    for (const mail of mails) {
      if (mail.duplicate) {
        const copy = mail.duplicate.kind === 'message' ? mail.duplicate : null;
        this.storedAsDuplicate(mail, context, copy?.requestId ?? null, copy?.requestNumber ?? null);
        continue;
      }
      if (!mail.decision) throw new Error('the store step runs after the decide step');
      decided.push(mail);
    }
    if (!context.sideEffects || decided.length === 0) return;
    await this.asMessages(decided.filter(becomesMessage), context);
    await this.keepInQuarantine(decided.filter((mail) => !becomesMessage(mail)), context);
  }

  /** The messages first: only for a message the constraint took does its new request exist (no foreign key orders them). */
  private async asMessages(mails: RequestMail[], context: StoreContext): Promise<void> {
    if (mails.length === 0) return;
    const isNew = (mail: RequestMail) => mail.decision!.outcome === 'new request';
    const requestIds = new Map(mails.map((mail) => [mail, isNew(mail) ? randomUUID() : mail.thread!.requestId]));
    const written = await this.messages.write(context.em, mails.map((mail) => ({ mail, requestId: requestIds.get(mail)! })), context);
    const created = mails.filter((mail) => written.has(mail) && isNew(mail));
    const numbers = await this.createRequests(context, created, requestIds);
    await this.touchRequests(context, mails.filter((mail) => written.has(mail) && !isNew(mail)));
    for (const mail of mails) {
      const rowId = written.get(mail);
      if (!rowId) {
        this.storedAsDuplicate(mail, context);
      } else if (isNew(mail)) {
        mail.stored = { outcome: 'request', requestId: requestIds.get(mail)!, requestNumber: numbers.get(mail)!, rowId };
        onCommit(context, () => this.metrics.requestsCreated.inc());
      } else {
        mail.stored = { outcome: 'appended', requestId: mail.thread!.requestId, requestNumber: mail.thread!.requestNumber, rowId };
        const matchedBy = mail.thread?.matchedBy ?? 'unknown';
        onCommit(context, () => this.metrics.messagesAppended.inc({ matched_by: matchedBy }));
      }
    }
  }

  /** The requests of `mails`, numbered in mail order from the request sequence. */
  private async createRequests(context: StoreContext, mails: RequestMail[], requestIds: Map<RequestMail, string>): Promise<Map<RequestMail, number>> {
    const numbers = new Map<RequestMail, number>();
    if (mails.length === 0) return numbers;
    const drawn: Array<{ number: number }> = await context.em.query(
      `SELECT nextval(pg_get_serial_sequence('request', 'number'))::int AS number FROM generate_series(1, $1::int) ORDER BY 1`,
      [mails.length],
    );
    mails.forEach((mail, index) => numbers.set(mail, Number(drawn[index].number)));
    await insertRows(
      context.em,
      'request',
      REQUEST_COLUMNS,
      mails.map((mail) => {
        const requester = mail.requester!;
        return [requestIds.get(mail), numbers.get(mail), mail.parsed!.subject || '(no subject)', mail.mailbox.id, requester.name?.slice(0, 300) ?? null, requester.email.slice(0, 320)];
      }),
    );
    return numbers;
  }

  /** Appending touches the request; a person writing again reopens a closed one, a bounce or an auto-reply does not. */
  private async touchRequests(context: StoreContext, appended: RequestMail[]): Promise<void> {
    if (appended.length === 0) return;
    const touched = [...new Set(appended.map((mail) => mail.thread!.requestId))];
    const reopened = [...new Set(appended.filter((mail) => !mail.bounce && !mail.autoReply?.isAutoReply).map((mail) => mail.thread!.requestId))];
    await context.em.query(
      `UPDATE request SET updated_at = now(), status = CASE WHEN id = ANY($2::uuid[]) THEN 'open' ELSE status END WHERE id = ANY($1::uuid[])`,
      [touched, reopened],
    );
  }

  /**
   * The mailbox has this mail already: found by the duplicate check (with its request), or
   * refused just now by the unique (mailbox, identity) constraint, another process having
   * stored it a moment ago. Counted only when something is really being stored.
   */
  private storedAsDuplicate(mail: RequestMail, context: StoreContext, requestId: string | null = null, requestNumber: number | null = null): void {
    mail.stored = { outcome: 'duplicate', requestId, requestNumber, rowId: null };
    if (context.sideEffects) onCommit(context, () => this.metrics.duplicatesSuppressed.inc());
  }

  private async keepInQuarantine(mails: RequestMail[], context: StoreContext): Promise<void> {
    if (mails.length === 0) return;
    const reasons = mails.map(quarantineOf);
    const ids = await this.quarantines.keep(
      context.em,
      mails.map((mail, index) => {
        const parsed = mail.parsed;
        return {
          mailboxId: mail.mailbox.id,
          raw: mail.raw,
          reason: reasons[index].reason,
          detail: reasons[index].detail,
          identity: mail.identity!,
          messageId: parsed?.messageId ?? null,
          subject: parsed ? parsed.subject : null,
          from: formatAddress(parsed?.from ?? mail.requester ?? null),
          requesterEmail: mail.requester?.email ?? null,
          subjectKey: parsed ? subjectKey(parsed.subject) : null,
          receivedAt: eventTime(mail, context),
        };
      }),
    );
    mails.forEach((mail, index) => {
      const id = ids[index];
      if (id === null) return this.storedAsDuplicate(mail, context);
      mail.stored = { outcome: 'quarantined', requestId: null, requestNumber: null, rowId: id };
      const { reason } = reasons[index];
      onCommit(context, () => this.metrics.quarantined.inc({ reason }));
    });
  }
}

function becomesMessage(mail: RequestMail): boolean {
  return mail.decision!.outcome === 'new request' || mail.decision!.outcome === 'append';
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
