import type { Decision, InboundMail, PipelineStep, Quarantine, ThreadMatchedBy } from '../pipeline/inbound-mail';

const MATCHED_BY: Record<ThreadMatchedBy, string> = {
  'in-reply-to': 'In-Reply-To names one of its messages',
  references: 'References names one of its messages',
  'subject-token': 'the subject carries its token',
};

/**
 * Turns what the earlier steps found into the decision (design.md, "Mail into requests";
 * api.md, sample-mail `decision`), in this order:
 *
 * 1. quarantined by an earlier step (too large, too complex, unparseable, loop) → quarantine;
 * 2. the thread step found a request → append (a bounce is appended as a note);
 * 3. a bounce or own-address mail → ignored: they never start requests;
 * 4. `createRequests: false` → quarantine "not turned into a request", so the mail is not lost;
 * 5. no usable sender address → quarantine "no sender" (nobody to answer);
 * 6. otherwise a new request, acknowledged unless a loop rule matched, it is the mailbox's
 *    first import, the requester's acknowledgement rate is exhausted, or the mailbox does not
 *    acknowledge.
 *
 * Pure: the same code answers the sample-mail dry run and the real fetch.
 */
export function decide(mail: InboundMail): { decision: Decision; quarantine?: Quarantine } {
  const requester = mail.requester ?? null;
  const verdict = mail.autoReply ?? { isAutoReply: false };
  const base = { requester, autoReply: verdict.isAutoReply, acknowledge: false, acknowledgementSuppressedBy: null };
  const quarantine = (entry: Quarantine): { decision: Decision; quarantine: Quarantine } => ({
    quarantine: entry,
    decision: { ...base, outcome: 'quarantine', request: null, rule: entry.reason, reason: `Quarantined (${entry.reason}): ${entry.detail}.` },
  });
  const verdictNote = verdict.rule ? ` No acknowledgement: ${verdict.reason}.` : '';

  if (mail.quarantine) return quarantine(mail.quarantine);
  if (mail.thread) {
    const { requestNumber, matchedBy } = mail.thread;
    const asNote = mail.bounce ? ' as a note about a mail that bounced' : '';
    const reason = `Appended to request #${requestNumber}${asNote}: ${MATCHED_BY[matchedBy]}.${verdictNote}`;
    return { decision: { ...base, outcome: 'append', request: requestNumber, rule: matchedBy, reason } };
  }
  if (mail.bounce || mail.ownAddress) {
    const what = mail.bounce ? 'a bounce that names no known request' : "mail from this mailbox's own address";
    const because = verdict.reason ? ` (${verdict.reason})` : '';
    const reason = `Ignored, ${what}${because}; such mail never starts a request.`;
    const rule = verdict.rule ?? (mail.bounce ? 'bounce' : 'own-address');
    return { decision: { ...base, outcome: 'ignored', request: null, rule, reason } };
  }
  if (!mail.mailbox.createRequests) {
    return quarantine({ reason: 'not turned into a request', detail: 'new request creation by email is disabled for this mailbox' });
  }
  if (!requester) {
    return quarantine({ reason: 'no sender', detail: 'the mail names no usable sender address in From, Reply-To, Sender or Return-Path' });
  }

  const suppressedBy =
    verdict.rule ??
    (mail.mailbox.firstImport ? 'first-import' : null) ??
    (mail.acknowledgementRateLimited ? 'rate-limit' : null) ??
    (mail.mailbox.acknowledge ? null : 'mailbox-setting');
  const acknowledgement: Record<string, string> = {
    'first-import': ' No acknowledgement: mail imported on the first fetch is never acknowledged.',
    'rate-limit': ' No acknowledgement: this requester has had the most acknowledgements allowed this hour.',
    'mailbox-setting': ' No acknowledgement: this mailbox does not acknowledge new requests.',
  };
  const ackNote = suppressedBy ? (verdict.rule ? verdictNote : acknowledgement[suppressedBy]) : ' It will be acknowledged.';
  return {
    decision: {
      ...base,
      outcome: 'new request',
      request: null,
      rule: 'new-thread',
      reason: `A new request: no request matches its In-Reply-To, References or subject token.${ackNote}`,
      acknowledge: suppressedBy === null,
      acknowledgementSuppressedBy: suppressedBy,
    },
  };
}

/** Records the decision; a quarantine it decides (no sender, creation disabled) is recorded on the mail too. */
export class DecideStep implements PipelineStep {
  readonly name = 'decide';
  readonly runsOnQuarantined = true;

  async run(mail: InboundMail): Promise<void> {
    const { decision, quarantine } = decide(mail);
    mail.decision = decision;
    if (quarantine) mail.quarantine = quarantine;
  }
}
