import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { QuarantinedMail } from './quarantined-mail.entity';

export interface QuarantineEntry {
  mailboxId: string;
  raw: Buffer;
  reason: string;
  detail: string;
  identity: string;
  messageId: string | null;
  subject: string | null;
  from: string | null;
  requesterEmail: string | null;
  subjectKey: string | null;
  receivedAt: Date;
}

/** Keeps a mail raw in quarantine, in the caller's transaction. */
@Injectable()
export class QuarantineWriter {
  /**
   * The new row's id, or null when this mailbox already keeps a mail with this identity in
   * quarantine (the same bad mail fetched again): ON CONFLICT on the unique constraint, so
   * two processes racing on one mail still leave one row.
   */
  async keep(em: EntityManager, entry: QuarantineEntry): Promise<string | null> {
    const result = await em
      .createQueryBuilder()
      .insert()
      .into(QuarantinedMail)
      .values({
        mailboxId: entry.mailboxId,
        reason: entry.reason.slice(0, 64),
        detail: entry.detail,
        raw: entry.raw,
        size: entry.raw.length,
        receivedAt: entry.receivedAt,
        identity: entry.identity.slice(0, 1000),
        messageId: entry.messageId?.slice(0, 1000) ?? null,
        subject: entry.subject,
        from: entry.from,
        requesterEmail: entry.requesterEmail?.slice(0, 320) ?? null,
        subjectKey: entry.subjectKey,
      })
      .orIgnore()
      .returning(['id'])
      .execute();
    const rows = Array.isArray(result.raw) ? (result.raw as Array<{ id: string }>) : [];
    return rows[0]?.id ?? null;
  }
}
