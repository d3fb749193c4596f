import { Injectable } from '@nestjs/common';
import { MailboxLogEntry } from '../../mailboxes/mailbox-log.entity';
import { normalizeSubject } from '../parsing/subject';
import type { PipelineStep } from '../pipeline/inbound-mail';
import { eventTime, subjectKey, type RequestMail, type StoreContext } from '../pipeline/request-mail';
import { RequestsMetrics } from '../requests.metrics';

/**
 * The loop breaker at ingestion (api.md `loopLimit`, issue 6): more than `count` mails from
 * one requester with one normalized subject within `minutes` stop creating requests, appending
 * and acknowledging, and go to quarantine with reason `loop`, a mailbox log entry and a metric.
 *
 * "Mails" are the ones this mailbox kept — messages and quarantined mails, loop-quarantined
 * ones included, so a loop that keeps going stays blocked until it has been quiet for
 * `minutes`. Time is the server's receive time, so a first import of old mail is judged by
 * when it arrived, not by when it is fetched.
 */
@Injectable()
export class LoopBreakerStep implements PipelineStep {
  readonly name = 'loop-breaker';

  constructor(private readonly metrics: RequestsMetrics) {}

  async run(mail: RequestMail, context: StoreContext): Promise<void> {
    const requester = mail.requester?.email;
    const parsed = mail.parsed;
    const { count, minutes } = mail.mailbox.loopLimit;
    if (!requester || !parsed || !(count > 0) || !(minutes > 0)) return;

    const key = subjectKey(parsed.subject);
    const until = eventTime(mail, context);
    const since = new Date(until.getTime() - minutes * 60_000);
    const rows: Array<{ seen: string | number }> = await context.em.query(
      `SELECT (SELECT count(*) FROM message WHERE mailbox_id = $1 AND direction = 'in' AND requester_email = $2 AND subject_key = $3 AND received_at > $4 AND received_at <= $5)
            + (SELECT count(*) FROM quarantined_mail WHERE mailbox_id = $1 AND requester_email = $2 AND subject_key = $3 AND received_at > $4 AND received_at <= $5) AS seen`,
      [mail.mailbox.id, requester, key, since, until],
    );
    const seen = Number(rows[0]?.seen ?? 0);
    if (seen < count) return;

    const normalized = normalizeSubject(parsed.subject) || '(no subject)';
    const subject = normalized.length > 200 ? `${normalized.slice(0, 200)}…` : normalized;
    mail.quarantine = {
      reason: 'loop',
      detail: `${seen + 1} mails from ${requester} with the subject "${subject}" within ${minutes} minutes; this mailbox accepts at most ${count} (loopLimit)`,
    };
    if (!context.sideEffects) return;
    this.metrics.loopsBlocked.inc();
    // Through the pipeline's transaction: the entry exists exactly when the quarantine row does.
    await context.em.insert(MailboxLogEntry, {
      mailboxId: mail.mailbox.id,
      level: 'warn',
      event: 'loop',
      side: 'incoming',
      message: `mail loop stopped: ${mail.quarantine.detail}; the mail is in quarantine (reason "loop")`,
    });
  }
}
