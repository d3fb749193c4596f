import { Injectable } from '@nestjs/common';
import { MailboxLogEntry } from '../../mailboxes/mailbox-log.entity';
import { normalizeSubject } from '../parsing/subject';
import type { LookupStep } from '../pipeline/batch-reads';
import { eventTime, mailboxOf, onCommit, subjectKey, type RequestMail, type StoreContext } from '../pipeline/request-mail';
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
export class LoopBreakerStep implements LookupStep<KeptTimes> {
  readonly name = 'loop-breaker';

  constructor(private readonly metrics: RequestsMetrics) {}

  /** When this mailbox kept mail from the batch's requester+subject pairs, over the window of every mail of the batch. */
  async load(mails: readonly RequestMail[], context: StoreContext): Promise<KeptTimes> {
    const kept: KeptTimes = new Map();
    const counted = mails.filter((mail) => mail.requester?.email && mail.parsed);
    const { count, minutes } = mails[0]?.mailbox.loopLimit ?? { count: 0, minutes: 0 };
    // As in `run`: a limit that is off reads nothing.
    if (counted.length === 0 || !(count > 0) || !(minutes > 0)) return kept;
    const times = counted.map((mail) => eventTime(mail, context).getTime());
    const rows: Array<{ requester_email: string; subject_key: string; received_at: Date | string }> = await context.em.query(
      `SELECT requester_email, subject_key, received_at FROM message
        WHERE mailbox_id = $1 AND direction = 'in' AND requester_email = ANY($2::varchar[]) AND subject_key = ANY($3::varchar[]) AND received_at > $4 AND received_at <= $5
       UNION ALL
       SELECT requester_email, subject_key, received_at FROM quarantined_mail
        WHERE mailbox_id = $1 AND requester_email = ANY($2::varchar[]) AND subject_key = ANY($3::varchar[]) AND received_at > $4 AND received_at <= $5`,
      [
        mailboxOf(mails),
        [...new Set(counted.map((mail) => mail.requester!.email))],
        [...new Set(counted.map((mail) => subjectKey(mail.parsed!.subject)))],
        new Date(Math.min(...times) - minutes * 60_000),
        new Date(Math.max(...times)),
      ],
    );
    for (const row of rows) keep(kept, pairKey(row.requester_email, row.subject_key), new Date(row.received_at).getTime());
    return kept;
  }

  /** A mail of the batch the mailbox keeps (as a message or in quarantine) counts for the mails after it. */
  remember(mail: RequestMail, kept: KeptTimes, context: StoreContext): void {
    const requester = mail.requester?.email;
    if (!requester || !mail.parsed || mail.duplicate) return;
    keep(kept, pairKey(requester, subjectKey(mail.parsed.subject)), eventTime(mail, context).getTime());
  }

  async run(mail: RequestMail, context: StoreContext): Promise<void> {
    const requester = mail.requester?.email;
    const parsed = mail.parsed;
    const { count, minutes } = mail.mailbox.loopLimit;
    if (!requester || !parsed || !(count > 0) || !(minutes > 0)) return;

    const until = eventTime(mail, context).getTime();
    const since = until - minutes * 60_000;
    const times = context.reads.of(this).get(pairKey(requester, subjectKey(parsed.subject))) ?? [];
    const seen = times.filter((time) => time > since && time <= until).length;
    if (seen < count) return;

    const normalized = normalizeSubject(parsed.subject) || '(no subject)';
    const subject = normalized.length > 200 ? `${normalized.slice(0, 200)}…` : normalized;
    mail.quarantine = {
      reason: 'loop',
      detail: `${seen + 1} mails from ${requester} with the subject "${subject}" within ${minutes} minutes; this mailbox accepts at most ${count} (loopLimit)`,
    };
    if (!context.sideEffects) return;
    onCommit(context, () => this.metrics.loopsBlocked.inc());
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

/** Receive times (ms) of the mails kept per requester + subject key. */
type KeptTimes = Map<string, number[]>;

const pairKey = (requester: string, key: string): string => `${requester}\n${key}`;

function keep(kept: KeptTimes, key: string, time: number): void {
  const times = kept.get(key);
  if (times) times.push(time);
  else kept.set(key, [time]);
}
