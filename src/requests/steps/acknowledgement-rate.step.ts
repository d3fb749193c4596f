import { Injectable } from '@nestjs/common';
import type { LookupStep } from '../pipeline/batch-reads';
import type { RequestMail, StoreContext } from '../pipeline/request-mail';

/**
 * Acknowledgements one requester receives per hour, from the whole service (issue 6: "A rate
 * limit caps acknowledgements per requester per hour"). Three: a person opening several
 * requests in an hour is told each time, an autoresponder that slipped past the loop rules
 * gets at most three answers before the loop breaker stops it.
 */
export const ACKNOWLEDGEMENTS_PER_REQUESTER_PER_HOUR = 3;

/**
 * Sets `acknowledgementRateLimited` when the requester already had the most acknowledgements
 * allowed in the last hour. Only looked up when the mail would otherwise be acknowledged: a
 * new request (no thread) of a mailbox that acknowledges, not a first import, no loop rule.
 */
@Injectable()
export class AcknowledgementRateStep implements LookupStep<Map<string, number>> {
  readonly name = 'acknowledgement-rate';

  /** Acknowledgements each requester of the batch had in the last hour, in one query. */
  async load(mails: readonly RequestMail[], { em, now }: StoreContext): Promise<Map<string, number>> {
    const sent = new Map<string, number>();
    const emails = [...new Set(mails.filter(mayBeAcknowledged).map((mail) => mail.requester!.email))];
    if (emails.length === 0) return sent;
    const rows: Array<{ requester_email: string; sent: string | number }> = await em.query(
      `SELECT requester_email, count(*) AS sent FROM message
        WHERE requester_email = ANY($1::varchar[]) AND kind = 'acknowledgement' AND created_at > $2 GROUP BY requester_email`,
      [emails, new Date(now.getTime() - 3_600_000)],
    );
    for (const row of rows) sent.set(row.requester_email, Number(row.sent));
    return sent;
  }

  /** An acknowledgement decided earlier in the batch counts against the requester's hour too. */
  remember(mail: RequestMail, sent: Map<string, number>): void {
    const email = mail.requester?.email;
    if (email && mail.decision?.acknowledge) sent.set(email, (sent.get(email) ?? 0) + 1);
  }

  async run(mail: RequestMail, { reads }: StoreContext): Promise<void> {
    if (mail.thread || !mayBeAcknowledged(mail)) return;
    mail.acknowledgementRateLimited = (reads.of(this).get(mail.requester!.email) ?? 0) >= ACKNOWLEDGEMENTS_PER_REQUESTER_PER_HOUR;
  }
}

/** A mail whose acknowledgement only the rate could still stop: a requester, a mailbox that acknowledges, no first import, no loop rule. */
function mayBeAcknowledged(mail: RequestMail): boolean {
  return !!mail.requester?.email && mail.mailbox.acknowledge && !mail.mailbox.firstImport && !mail.autoReply?.rule;
}
