import { Injectable } from '@nestjs/common';
import type { Decision } from '../pipeline/inbound-mail';
import type { LookupStep } from '../pipeline/batch-reads';
import { mailboxOf, type RequestMail, type StoreContext } from '../pipeline/request-mail';

/**
 * De-duplication, first look (design.md: "a mail is identified by its Message-ID (or a hash
 * of its raw bytes) within the mailbox"): a mail this mailbox already holds — as a message
 * or in quarantine — goes no further. The unique constraints are what guarantee it when two
 * processes race (the store step turns their violation into `duplicate`); this look only
 * saves the work, and lets the sample-mail dry run say which request the mail already is.
 */
@Injectable()
export class DuplicateCheckStep implements LookupStep<Map<string, StoredCopy>> {
  readonly name = 'duplicate-check';
  readonly runsOnQuarantined = true;

  /** Where the batch's identities already are, in one round trip for both places: a message wins over quarantine. */
  async load(mails: readonly RequestMail[], { em }: StoreContext): Promise<Map<string, StoredCopy>> {
    const identities = [...new Set(mails.map((mail) => mail.identity).filter((identity): identity is string => !!identity))];
    const found = new Map<string, StoredCopy>();
    if (identities.length === 0) return found;
    const rows: Array<StoredCopy & { identity: string }> = await em.query(
      `SELECT 'message' AS kind, m.identity, m.request_id::text AS id, r.number, NULL::varchar AS reason
         FROM message m JOIN request r ON r.id = m.request_id WHERE m.mailbox_id = $1 AND m.identity = ANY($2::varchar[])
       UNION ALL
       SELECT 'quarantine', q.identity, q.id::text, NULL, q.reason FROM quarantined_mail q WHERE q.mailbox_id = $1 AND q.identity = ANY($2::varchar[])`,
      [mailboxOf(mails), identities],
    );
    for (const row of rows) {
      if (found.get(row.identity)?.kind !== 'message') found.set(row.identity, { kind: row.kind, id: row.id, number: row.number, reason: row.reason });
    }
    return found;
  }

  async run(mail: RequestMail, { reads }: StoreContext): Promise<void> {
    if (!mail.identity) return;
    const found = reads.of(this).get(mail.identity);
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

interface StoredCopy {
  kind: 'message' | 'quarantine';
  /** The request (message) or the quarantine row. */
  id: string;
  number: number | null;
  reason: string | null;
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
