import { Inject, Injectable } from '@nestjs/common';
import { Database } from '../core/database/database';
import { MailboxLogEntry, type LogLevel } from './mailbox-log.entity';
import type { Side } from './mailbox.types';

/** Newest entries kept per mailbox: a debug transcript must not grow the table without end. */
export const LOG_ENTRIES_KEPT = 2_000;
const PRUNE_EVERY = 200;
const MAX_MESSAGE_CHARS = 4_000;

export interface LogInput {
  level: LogLevel;
  event: string;
  message: string;
  side?: Side | null;
}

@Injectable()
export class MailboxLogService {
  private writesSincePrune = new Map<string, number>();

  constructor(@Inject(Database) private readonly db: Database) {}

  async append(mailboxId: string, ...entries: LogInput[]): Promise<void> {
    if (entries.length === 0) return;
    await this.db.run((em) =>
      em.insert(
        MailboxLogEntry,
        entries.map((entry) => ({
          mailboxId,
          level: entry.level,
          event: entry.event,
          side: entry.side ?? null,
          message: entry.message.length > MAX_MESSAGE_CHARS ? `${entry.message.slice(0, MAX_MESSAGE_CHARS)}… [truncated]` : entry.message,
        })),
      ),
    );
    const writes = (this.writesSincePrune.get(mailboxId) ?? 0) + entries.length;
    this.writesSincePrune.set(mailboxId, writes);
    if (writes >= PRUNE_EVERY) {
      this.writesSincePrune.set(mailboxId, 0);
      await this.prune(mailboxId);
    }
  }

  /** Newest first. */
  async list(mailboxId: string, limit: number): Promise<MailboxLogEntry[]> {
    return this.db.run((em) => em.find(MailboxLogEntry, { where: { mailboxId }, order: { id: 'DESC' }, take: limit }));
  }

  async prune(mailboxId: string): Promise<void> {
    await this.db.run((em) =>
      em.query(
        `DELETE FROM mailbox_log WHERE mailbox_id = $1 AND id < (
           SELECT id FROM mailbox_log WHERE mailbox_id = $1 ORDER BY id DESC OFFSET $2 LIMIT 1)`,
        [mailboxId, LOG_ENTRIES_KEPT - 1],
      ),
    );
  }
}
