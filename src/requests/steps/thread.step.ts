import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { PipelineStep, ThreadMatch } from '../pipeline/inbound-mail';
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
export class ThreadStep implements PipelineStep {
  readonly name = 'thread';

  async run(mail: RequestMail, { em }: StoreContext): Promise<void> {
    mail.thread = null;
    const hints = mail.threadHints;
    if (!hints) return;
    mail.thread = (await this.byMessageIds(em, mail.mailbox.id, hints.messageIds, hints.inReplyTo)) ?? (await this.byToken(em, hints.requestNumber));
  }

  private async byMessageIds(em: EntityManager, mailboxId: string, ids: string[], inReplyTo: string | null): Promise<ThreadMatch | null> {
    if (ids.length === 0) return null;
    const rows: Array<{ message_id: string; request_id: string; number: number; mailbox_id: string }> = await em.query(
      `SELECT m.message_id, m.request_id, r.number, m.mailbox_id FROM message m JOIN request r ON r.id = m.request_id
        WHERE m.message_id = ANY($1::varchar[]) ORDER BY m.created_at DESC`,
      [ids],
    );
    for (const id of ids) {
      const candidates = rows.filter((row) => row.message_id === id);
      if (candidates.length === 0) continue;
      const best = candidates.find((row) => row.mailbox_id === mailboxId) ?? candidates[0];
      return { requestId: best.request_id, requestNumber: Number(best.number), matchedBy: id === inReplyTo ? 'in-reply-to' : 'references' };
    }
    return null;
  }

  private async byToken(em: EntityManager, number: number | null): Promise<ThreadMatch | null> {
    if (number === null) return null;
    const rows: Array<{ id: string; number: number }> = await em.query(`SELECT id, number FROM request WHERE number = $1`, [number]);
    return rows.length ? { requestId: rows[0].id, requestNumber: Number(rows[0].number), matchedBy: 'subject-token' } : null;
  }
}
