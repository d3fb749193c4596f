import { Injectable } from '@nestjs/common';
import type { PipelineStep } from '../pipeline/inbound-mail';
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
export class AcknowledgementRateStep implements PipelineStep {
  readonly name = 'acknowledgement-rate';

  async run(mail: RequestMail, { em, now }: StoreContext): Promise<void> {
    const email = mail.requester?.email;
    if (!email || mail.thread || !mail.mailbox.acknowledge || mail.mailbox.firstImport || mail.autoReply?.rule) return;
    const rows: Array<{ sent: string | number }> = await em.query(
      `SELECT count(*) AS sent FROM message WHERE requester_email = $1 AND kind = 'acknowledgement' AND created_at > $2`,
      [email, new Date(now.getTime() - 3_600_000)],
    );
    mail.acknowledgementRateLimited = Number(rows[0]?.sent ?? 0) >= ACKNOWLEDGEMENTS_PER_REQUESTER_PER_HOUR;
  }
}
