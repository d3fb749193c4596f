import { findRequestToken } from '../parsing/subject';
import type { InboundMail, PipelineStep, ThreadHints } from '../pipeline/inbound-mail';

/** Bounce texts quote the original early; past this they are transcripts and logs. */
const BOUNCE_TEXT_SCAN_CHARS = 64 * 1024;

/**
 * What ties the mail to an existing request (design.md, "Threading"): the Message-IDs in
 * In-Reply-To and References (RFC 5322 §3.6.4) and the first `[##<number>##]` subject token.
 * Only extraction — the lookups (any message of any request, incoming or outgoing) are the
 * database thread step's.
 *
 * A bounce is about the message that bounced, which is ours: the ids and subject of the
 * returned message inside the report (RFC 3464 / RFC 6522) come first, then the bounce's own
 * headers, then — for bounces that quote the original as text — a token in the text.
 */
export class ThreadHintsStep implements PipelineStep {
  readonly name = 'thread-hints';

  async run(mail: InboundMail): Promise<void> {
    const parsed = mail.parsed;
    if (!parsed) return;
    const original = mail.bounce ? parsed.report?.original ?? null : null;

    const messageIds = new Set<string>();
    const add = (...ids: Array<string | null | undefined>): void => {
      for (const id of ids) if (id) messageIds.add(id);
    };
    if (original) add(original.messageId, original.inReplyTo, ...[...original.references].reverse());
    add(parsed.inReplyTo, ...[...parsed.references].reverse());

    const hints: ThreadHints = {
      messageIds: [...messageIds],
      inReplyTo: original?.messageId ?? parsed.inReplyTo,
      requestNumber:
        findRequestToken(original?.subject) ??
        findRequestToken(parsed.subject) ??
        (mail.bounce ? findRequestToken(parsed.text.slice(0, BOUNCE_TEXT_SCAN_CHARS)) : null),
    };
    mail.threadHints = hints;
  }
}
