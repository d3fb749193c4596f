import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { insertRows, type InsertColumn } from '../../core/database/insert-rows';
import { insertParts } from '../../core/database/byte-parts';
import { QUARANTINE_PARTS } from './quarantined-mail.entity';
import type { MailBytes } from '../../core/spool/spooled-bytes';

export interface QuarantineEntry {
  mailboxId: string;
  raw: MailBytes;
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

const QUARANTINE_COLUMNS: readonly InsertColumn[] = [
  ['mailbox_id', 'uuid'],
  ['reason', 'varchar'],
  ['detail', 'text'],
  ['size', 'integer'],
  ['received_at', 'timestamptz'],
  ['identity', 'varchar'],
  ['message_id', 'varchar'],
  ['subject', 'text'],
  ['from', 'text'],
  ['requester_email', 'varchar'],
  ['subject_key', 'varchar'],
];

/** Keeps mails raw in quarantine, in the caller's transaction. */
@Injectable()
export class QuarantineWriter {
  /**
   * The new row's id for each entry, in order; null where this mailbox already keeps a mail
   * with that identity in quarantine (the same bad mail fetched again): ON CONFLICT on the
   * unique constraint, so two processes racing on one mail still leave one row.
   */
  async keep(em: EntityManager, entries: readonly QuarantineEntry[]): Promise<Array<string | null>> {
    if (entries.length === 0) return [];
    const rows = await insertRows<{ id: string; identity: string }>(
      em,
      'quarantined_mail',
      QUARANTINE_COLUMNS,
      entries.map((entry) => [
        entry.mailboxId,
        entry.reason.slice(0, 64),
        entry.detail,
        entry.raw.length,
        entry.receivedAt,
        entry.identity.slice(0, 1000),
        entry.messageId?.slice(0, 1000) ?? null,
        entry.subject,
        entry.from,
        entry.requesterEmail?.slice(0, 320) ?? null,
        entry.subjectKey,
      ]),
      'ON CONFLICT ("mailbox_id", "identity") DO NOTHING RETURNING id, identity',
    );
    // The raw mails of the rows created, in parts (a spooled mail read a part at a time).
    const rawByIdentity = new Map<string, MailBytes>();
    for (const entry of entries) if (!rawByIdentity.has(entry.identity.slice(0, 1000))) rawByIdentity.set(entry.identity.slice(0, 1000), entry.raw);
    await insertParts(em, QUARANTINE_PARTS, rows.map((row) => [String(row.id), rawByIdentity.get(row.identity)!] as const));
    const idByIdentity = new Map(rows.map((row) => [row.identity, String(row.id)]));
    return entries.map((entry) => {
      const identity = entry.identity.slice(0, 1000);
      const id = idByIdentity.get(identity) ?? null;
      idByIdentity.delete(identity); // the same identity twice in one call: only the first is kept
      return id;
    });
  }
}
