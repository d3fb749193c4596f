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

/** Which figure counts the rows of each outcome (every row also counts as `seen`). */
const FIGURE_OF_OUTCOME: Partial<Record<LedgerOutcome, keyof LedgerFigures>> = {
  request: 'requests',
  appended: 'appended',
  duplicate: 'duplicates',
  quarantined: 'quarantined',
  ignored: 'ignored',
};

function noFigures(): LedgerFigures {
  return { seen: 0, requests: 0, appended: 0, duplicates: 0, quarantined: 0, ignored: 0, unacknowledged: 0 };
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

  /** The ledger figures of each mailbox (one query for them all); a mailbox without rows gets zeros. */
  async figuresOf(mailboxIds: readonly string[]): Promise<Map<string, LedgerFigures>> {
    const rows: Array<{ mailbox_id: string; outcome: LedgerOutcome; count: string | number; unacknowledged: string | number }> =
      mailboxIds.length === 0
        ? []
        : await this.db.run((em) =>
            em.query(
              `SELECT mailbox_id, outcome, count(*) AS count, count(*) FILTER (WHERE acknowledged_at IS NULL AND action IS NOT NULL) AS unacknowledged
                 FROM ledger_entry WHERE mailbox_id = ANY($1) GROUP BY mailbox_id, outcome`,
              [mailboxIds],
            ),
          );
    const figures = new Map(mailboxIds.map((id) => [id, noFigures()]));
    for (const row of rows) {
      const of = figures.get(String(row.mailbox_id));
      if (!of) continue;
      const count = Number(row.count);
      of.seen += count;
      of.unacknowledged += Number(row.unacknowledged);
      const field = FIGURE_OF_OUTCOME[row.outcome];
      if (field) of[field] += count;
    }
    return figures;
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
