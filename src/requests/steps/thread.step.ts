import { Injectable } from '@nestjs/common';
import type { LookupStep } from '../pipeline/batch-reads';
import type { ThreadMatch } from '../pipeline/inbound-mail';
import type { RequestMail, StoreContext } from '../pipeline/request-mail';

/**
 * Threading (design.md): the request one of the mail's In-Reply-To / References ids names —
 * any message of it, incoming or outgoing (our acknowledgements and replies are stored with
 * their Message-IDs) — else the request of its `[##<number>##]` subject token. Both look at
 * every mailbox: a forwarded thread whose token names another mailbox's request is appended
 * to that request, not duplicated (issue 6).
 *
 * The same Message-ID can be in two mailboxes (a mail sent to two helpdesk addresses); the
 * receiving mailbox's request wins, then the newest.
 */
@Injectable()
export class ThreadStep implements LookupStep<ThreadCandidates> {
  readonly name = 'thread';

  /** Every message any mail of the batch names and every request its tokens name, in one round trip. */
  async load(mails: readonly RequestMail[], { em }: StoreContext): Promise<ThreadCandidates> {
    const ids = [...new Set(mails.flatMap((mail) => mail.threadHints?.messageIds ?? []))];
    const numbers = [...new Set(mails.map((mail) => mail.threadHints?.requestNumber).filter((n): n is number => typeof n === 'number'))];
    const candidates: ThreadCandidates = { byMessageId: new Map(), byNumber: new Map() };
    if (ids.length === 0 && numbers.length === 0) return candidates;
    const rows: Array<{ kind: 'message' | 'token'; key: string; request_id: string; number: number; mailbox_id: string }> = await em.query(
      `SELECT 'message' AS kind, m.message_id AS key, m.request_id::text AS request_id, r.number, m.mailbox_id::text AS mailbox_id, m.created_at
         FROM message m JOIN request r ON r.id = m.request_id WHERE m.message_id = ANY($1::varchar[])
       UNION ALL
       SELECT 'token', r.number::text, r.id::text, r.number, r.mailbox_id::text, r.created_at FROM request r WHERE r.number = ANY($2::int[])
       ORDER BY created_at DESC`,
      [ids, numbers],
    );
    for (const row of rows) {
      const candidate = { requestId: row.request_id, requestNumber: Number(row.number), mailboxId: row.mailbox_id };
      if (row.kind === 'token') candidates.byNumber.set(Number(row.key), candidate);
      else candidates.byMessageId.set(row.key, [...(candidates.byMessageId.get(row.key) ?? []), candidate]);
    }
    return candidates;
  }

  async run(mail: RequestMail, { reads }: StoreContext): Promise<void> {
    mail.thread = null;
    const hints = mail.threadHints;
    if (!hints) return;
    const candidates = reads.of(this);
    mail.thread = byMessageIds(candidates, mail.mailbox.id, hints.messageIds, hints.inReplyTo) ?? byToken(candidates, hints.requestNumber);
  }
}

interface Candidate {
  requestId: string;
  requestNumber: number;
  mailboxId: string;
}

interface ThreadCandidates {
  /** Newest first. */
  byMessageId: Map<string, Candidate[]>;
  byNumber: Map<number, Candidate>;
}

/** The first hint (In-Reply-To, then References newest first) that names a message; its mailbox's own request wins. */
function byMessageIds(candidates: ThreadCandidates, mailboxId: string, ids: string[], inReplyTo: string | null): ThreadMatch | null {
  for (const id of ids) {
    const found = candidates.byMessageId.get(id);
    if (!found?.length) continue;
    const best = found.find((candidate) => candidate.mailboxId === mailboxId) ?? found[0];
    return { requestId: best.requestId, requestNumber: best.requestNumber, matchedBy: id === inReplyTo ? 'in-reply-to' : 'references' };
  }
  return null;
}

function byToken(candidates: ThreadCandidates, number: number | null): ThreadMatch | null {
  const found = number === null ? undefined : candidates.byNumber.get(number);
  return found ? { requestId: found.requestId, requestNumber: found.requestNumber, matchedBy: 'subject-token' } : null;
}
