import { Inject, Injectable } from '@nestjs/common';
import { In, IsNull, Not, type EntityManager } from 'typeorm';
import { Database } from '../../core/database/database';
import type { MailRef, SourceCursor } from '../mail-source.port';
import { FetchCursor } from './fetch-cursor.entity';
import { LedgerEntry, type LedgerOutcome } from './ledger-entry.entity';

export interface LedgerFigures {
  seen: number;
  requests: number;
  appended: number;
  duplicates: number;
  quarantined: number;
  ignored: number;
  unacknowledged: number;
}

export interface NewLedgerRow {
  ref: MailRef;
  messageId: string | null;
  outcome: LedgerOutcome;
  requestId: string | null;
  action: string | null;
}

/** Reads and writes of the ledger and the fetch cursor; writes take the caller's transaction. */
@Injectable()
export class LedgerService {
  constructor(@Inject(Database) private readonly db: Database) {}

  async cursor(mailboxId: string, folder: string): Promise<FetchCursor | null> {
    return this.db.run((em) => em.findOne(FetchCursor, { where: { mailboxId, folder } }));
  }

  async saveCursor(em: EntityManager, mailboxId: string, folder: string, cursor: SourceCursor | null, firstRunCompleted = false): Promise<void> {
    const values: Partial<FetchCursor> = { mailboxId, folder, cursor };
    if (firstRunCompleted) values.firstRunCompletedAt = new Date();
    await em.upsert(FetchCursor, values, ['mailboxId', 'folder']);
  }

  async knownServerIds(mailboxId: string, folder: string, serverIds: string[]): Promise<Set<string>> {
    if (serverIds.length === 0) return new Set();
    const rows = await this.db.run((em) => em.find(LedgerEntry, { select: { serverId: true }, where: { mailboxId, folder, serverId: In(serverIds) } }));
    return new Set(rows.map((r) => r.serverId));
  }

  async insert(em: EntityManager, mailboxId: string, folder: string, rows: NewLedgerRow[]): Promise<void> {
    if (rows.length === 0) return;
    await em.insert(
      LedgerEntry,
      rows.map((row) => ({
        mailboxId,
        folder,
        serverId: row.ref.serverId,
        messageId: row.messageId?.slice(0, 1000) ?? null,
        size: row.ref.size,
        outcome: row.outcome,
        requestId: row.requestId,
        action: row.action,
      })),
    );
  }

  /** Rows committed whose after-fetch action has not run yet (oldest first). */
  async pendingAcknowledgements(mailboxId: string, folder: string, limit: number): Promise<LedgerEntry[]> {
    return this.db.run((em) => em.find(LedgerEntry, { where: { mailboxId, folder, acknowledgedAt: IsNull(), action: Not(IsNull()) }, order: { id: 'ASC' }, take: limit }));
  }

  async markAcknowledged(mailboxId: string, folder: string, serverIds: string[], error: string | null = null): Promise<void> {
    if (serverIds.length === 0) return;
    await this.db.run((em) =>
      em.update(LedgerEntry, { mailboxId, folder, serverId: In(serverIds) }, error ? { acknowledgeError: error } : { acknowledgedAt: new Date(), acknowledgeError: null }),
    );
  }

  async figures(mailboxId: string): Promise<LedgerFigures> {
    const rows: Array<{ outcome: LedgerOutcome; count: string | number; unacknowledged: string | number }> = await this.db.run((em) =>
      em.query(
        `SELECT outcome, count(*) AS count, count(*) FILTER (WHERE acknowledged_at IS NULL AND action IS NOT NULL) AS unacknowledged
           FROM ledger_entry WHERE mailbox_id = $1 GROUP BY outcome`,
        [mailboxId],
      ),
    );
    const by = (outcome: LedgerOutcome) => Number(rows.find((r) => r.outcome === outcome)?.count ?? 0);
    return {
      seen: rows.reduce((sum, r) => sum + Number(r.count), 0),
      requests: by('request'),
      appended: by('appended'),
      duplicates: by('duplicate'),
      quarantined: by('quarantined'),
      ignored: by('ignored'),
      unacknowledged: rows.reduce((sum, r) => sum + Number(r.unacknowledged), 0),
    };
  }

  async page(mailboxId: string, outcome: LedgerOutcome | undefined, page: number, pageSize: number): Promise<[LedgerEntry[], number]> {
    return this.db.run((em) =>
      em.findAndCount(LedgerEntry, { where: { mailboxId, ...(outcome ? { outcome } : {}) }, order: { id: 'DESC' }, skip: (page - 1) * pageSize, take: pageSize }),
    );
  }

  async forgetMailbox(mailboxId: string): Promise<void> {
    await this.db.transaction(async (em) => {
      await em.delete(FetchCursor, { mailboxId });
      await em.delete(LedgerEntry, { mailboxId });
    });
  }
}
