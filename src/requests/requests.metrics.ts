import { Inject, Injectable } from '@nestjs/common';
import { Metrics } from '../core/metrics/metrics';

/** The requests pipeline on /metrics (issue 6): what became of each fetched mail. */
@Injectable()
export class RequestsMetrics {
  readonly requestsCreated;
  readonly messagesAppended;
  readonly duplicatesSuppressed;
  readonly quarantined;
  readonly loopsBlocked;
  readonly acknowledgementsQueued;
  readonly acknowledgementsSuppressed;
  readonly repliesQueued;

  constructor(@Inject(Metrics) metrics: Metrics) {
    this.requestsCreated = metrics.counter('requests_created_total', 'Requests created from incoming mail');
    this.messagesAppended = metrics.counter('request_messages_appended_total', 'Incoming mails appended to an existing request', ['matched_by']);
    this.duplicatesSuppressed = metrics.counter('mail_duplicates_suppressed_total', 'Fetched mails this mailbox already had (same Message-ID or raw hash)');
    this.quarantined = metrics.counter('mail_quarantined_total', 'Mails kept in quarantine instead of becoming a request, by reason', ['reason']);
    this.loopsBlocked = metrics.counter('mail_loops_blocked_total', 'Mails stopped by the loop breaker (loopLimit)');
    this.acknowledgementsQueued = metrics.counter('acknowledgements_queued_total', 'Acknowledgements of new requests queued to the outbox');
    this.acknowledgementsSuppressed = metrics.counter('acknowledgements_suppressed_total', 'New requests not acknowledged, by the rule that prevented it', ['rule']);
    this.repliesQueued = metrics.counter('request_replies_queued_total', 'Replies to requests queued to the outbox');
  }
}
