import { Injectable } from '@nestjs/common';
import type { Decision, PipelineStep } from '../pipeline/inbound-mail';
import type { RequestMail, StoreContext } from '../pipeline/request-mail';

/**
 * De-duplication, first look (design.md: "a mail is identified by its Message-ID (or a hash
 * of its raw bytes) within the mailbox"): a mail this mailbox already holds — as a message
 * or in quarantine — goes no further. The unique constraints are what guarantee it when two
 * processes race (the store step turns their violation into `duplicate`); this look only
 * saves the work, and lets the sample-mail dry run say which request the mail already is.
 */
@Injectable()
export class DuplicateCheckStep implements PipelineStep {
  readonly name = 'duplicate-check';
  readonly runsOnQuarantined = true;

  async run(mail: RequestMail, { em }: StoreContext): Promise<void> {
    if (!mail.identity) return;
    // One round trip for both places a mail can already be: messages first.
    const rows: Array<{ kind: 'message' | 'quarantine'; id: string; number: number | null; reason: string | null }> = await em.query(
      `(SELECT 'message' AS kind, m.request_id::text AS id, r.number, NULL::varchar AS reason
          FROM message m JOIN request r ON r.id = m.request_id WHERE m.mailbox_id = $1 AND m.identity = $2 LIMIT 1)
       UNION ALL
       (SELECT 'quarantine', q.id::text, NULL, q.reason FROM quarantined_mail q WHERE q.mailbox_id = $1 AND q.identity = $2 LIMIT 1)`,
      [mail.mailbox.id, mail.identity],
    );
    const found = rows.find((row) => row.kind === 'message') ?? rows[0];
    if (!found) return;
    if (found.kind === 'message') {
      const requestNumber = Number(found.number);
      mail.duplicate = { kind: 'message', requestId: found.id, requestNumber };
      mail.decision = duplicateDecision(mail, requestNumber, `Already fetched: it is a message of request #${requestNumber}`);
    } else {
      mail.duplicate = { kind: 'quarantine', quarantineId: found.id, reason: found.reason ?? '' };
      mail.decision = duplicateDecision(mail, null, `Already fetched: it is in quarantine (reason "${found.reason}")`);
    }
  }
}

/** What the sample-mail dry run answers for a mail this mailbox already has: nothing would happen. */
function duplicateDecision(mail: RequestMail, request: number | null, what: string): Decision {
  const key = mail.parsed?.messageId ? `Message-ID <${mail.parsed.messageId}>` : 'the same raw bytes';
  return {
    outcome: 'ignored',
    request,
    rule: 'duplicate',
    autoReply: mail.autoReply?.isAutoReply ?? false,
    reason: `${what}; fetching it again changes nothing (same ${key}).`,
    requester: mail.requester ?? null,
    acknowledge: false,
    acknowledgementSuppressedBy: 'duplicate',
  };
}
