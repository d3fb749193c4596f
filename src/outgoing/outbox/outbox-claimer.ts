import { Inject, Injectable } from '@nestjs/common';
import crypto from 'node:crypto';
import os from 'node:os';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../core/config/app-config';
import { Database } from '../../core/database/database';
import type { LastError } from '../../mailboxes/mailbox.types';
import type { SendResult } from '../mail-transport.port';
import type { OutboxKind } from './outbox-message.entity';

/** What the sender needs of a claimed row (the raw bytes are read one mail at a time). */
export interface ClaimedMail {
  id: string;
  mailboxId: string;
  kind: OutboxKind;
  envelopeFrom: string;
  envelopeTo: string[];
  messageId: string;
  /** Including the attempt this claim starts. */
  attempts: number;
  createdAt: Date;
  /** Small mails come with the claim (one query less per mail); big ones are read when sent. */
  raw?: Buffer;
}

/** Mails up to this size are read with the claim: a round of them stays a few MB at most. */
export const RAW_WITH_CLAIM_BYTES = 64 * 1024;

/**
 * Every state change of outbox rows, in SQL, for one process (`owner`). Rows are CLAIMED
 * with `FOR UPDATE SKIP LOCKED`, so processes sharing one PostgreSQL database split the
 * queue and never take the same row; a claim is a LEASE (status `sending`, `lease_until`,
 * and `next_attempt_at` moved to the lease's end), so the rows of a process that died come
 * back when the lease runs out, with no coordination beyond the database.
 */
@Injectable()
export class OutboxClaimer {
  readonly owner = `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get leaseMs(): number {
    return this.config.outboxLeaseMs;
  }

  /**
   * Claims up to `limit` due rows, oldest due first. Rows of a mailbox whose outgoing side
   * is switched off wait (they are not due for this process until it is on again).
   */
  async claimDue(limit: number): Promise<ClaimedMail[]> {
    const rows = await this.db.run((em) =>
      em.query(
        `UPDATE outbox_message o
            SET status = 'sending', lease_owner = $1, lease_until = now() + $2::float8 * interval '1 millisecond',
                next_attempt_at = now() + $2::float8 * interval '1 millisecond', attempts = o.attempts + 1
          WHERE o.id IN (
            SELECT q.id FROM outbox_message q LEFT JOIN mailbox m ON m.id = q.mailbox_id
             WHERE q.status IN ('queued', 'sending') AND q.next_attempt_at <= now()
               AND coalesce((m.outgoing->>'enabled')::boolean, true)
             ORDER BY q.next_attempt_at
             LIMIT $3
             FOR UPDATE OF q SKIP LOCKED)
          RETURNING o.id, o.mailbox_id, o.kind, o.envelope_from, o.envelope_to, o.message_id, o.attempts, o.created_at,
                    CASE WHEN octet_length(o.raw) <= $4 THEN o.raw END AS raw`,
        [this.owner, this.leaseMs, limit, RAW_WITH_CLAIM_BYTES],
      ),
    );
    return resultRows(rows).map(toClaimedMail).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  /** Values for a row inserted already claimed by this process (a test mail sent at once). */
  claimedInsert(): { status: 'sending'; leaseOwner: string; leaseUntil: Date; nextAttemptAt: Date; attempts: number } {
    const until = new Date(Date.now() + this.leaseMs);
    return { status: 'sending', leaseOwner: this.owner, leaseUntil: until, nextAttemptAt: until, attempts: 1 };
  }

  async claimed(id: string): Promise<ClaimedMail | null> {
    const rows = await this.db.run((em) =>
      em.query(
        `SELECT id, mailbox_id, kind, envelope_from, envelope_to, message_id, attempts, created_at FROM outbox_message
          WHERE id = $1 AND status = 'sending' AND lease_owner = $2`,
        [id, this.owner],
      ),
    );
    const list = resultRows(rows);
    return list.length ? toClaimedMail(list[0]) : null;
  }

  async raw(id: string): Promise<Buffer | null> {
    const rows = await this.db.run((em) => em.query(`SELECT raw FROM outbox_message WHERE id = $1`, [id]));
    const list = resultRows(rows);
    return list.length ? toBuffer(list[0].raw) : null;
  }

  /** Keeps every row this process holds; called well within the lease while it works. */
  async renewLeases(): Promise<void> {
    await this.db.run((em) =>
      em.query(
        `UPDATE outbox_message SET lease_until = now() + $2::float8 * interval '1 millisecond', next_attempt_at = now() + $2::float8 * interval '1 millisecond'
          WHERE lease_owner = $1 AND status = 'sending'`,
        [this.owner, this.leaseMs],
      ),
    );
  }

  /**
   * Recorded as soon as the server said 250, in one statement, to keep the window in which a
   * crash would resend a delivered mail as small as it can be. Recorded even if the lease was
   * lost meanwhile: the server has the mail, and that is the truth the row must show.
   */
  async markSent(id: string, result: SendResult): Promise<void> {
    await this.db.run((em) =>
      em.query(
        `UPDATE outbox_message SET status = 'sent', server = $3, response = $4, sent_at = now(), lease_owner = $1, lease_until = NULL
          WHERE id = $2 AND status <> 'sent'`,
        [this.owner, id, result.server, result.response],
      ),
    );
  }

  async markFailed(id: string, error: LastError, response: string | null): Promise<boolean> {
    return this.updateHeld(
      `UPDATE outbox_message SET status = 'failed', last_error = $3, response = coalesce($4, response), lease_until = NULL
        WHERE id = $2 AND lease_owner = $1 AND status = 'sending'`,
      [this.owner, id, JSON.stringify(error), response],
    );
  }

  /**
   * Back to `queued` for a later attempt. `untried`: the row was put back without being sent
   * (its mailbox failed first, or the process is stopping), so the attempt its claim counted
   * is given back; `error` null keeps the previous one.
   */
  async reschedule(id: string, delayMs: number, error: LastError | null, options: { untried?: boolean; response?: string | null } = {}): Promise<boolean> {
    return this.updateHeld(
      `UPDATE outbox_message SET status = 'queued', next_attempt_at = now() + $3::float8 * interval '1 millisecond', last_error = coalesce($4, last_error),
              response = coalesce($5, response), attempts = attempts - $6, lease_until = NULL
        WHERE id = $2 AND lease_owner = $1 AND status = 'sending'`,
      [this.owner, id, Math.max(0, Math.round(delayMs)), error ? JSON.stringify(error) : null, options.response ?? null, options.untried ? 1 : 0],
    );
  }

  /** A deleted mailbox's mails can never be sent: they fail, and stay listed. */
  async failMailbox(em: EntityManager, mailboxId: string, error: LastError): Promise<void> {
    await em.query(
      `UPDATE outbox_message SET status = 'failed', last_error = $2, lease_until = NULL WHERE mailbox_id = $1 AND status IN ('queued', 'sending')`,
      [mailboxId, JSON.stringify(error)],
    );
  }

  private async updateHeld(sql: string, parameters: unknown[]): Promise<boolean> {
    const result = await this.db.run((em) => em.query(sql, parameters));
    // TypeORM answers UPDATE with [rows, affected] on PostgreSQL; PGlite's driver likewise.
    const affected = Array.isArray(result) && typeof result[1] === 'number' ? result[1] : null;
    return affected === null ? true : affected > 0;
  }
}

type Row = Record<string, unknown>;

/** TypeORM returns `[rows, count]` for UPDATE … RETURNING and plain rows for SELECT. */
function resultRows(result: unknown): Row[] {
  if (!Array.isArray(result)) return [];
  return (Array.isArray(result[0]) ? result[0] : result) as Row[];
}

function toClaimedMail(row: Row): ClaimedMail {
  return {
    id: String(row.id),
    mailboxId: String(row.mailbox_id),
    kind: row.kind as OutboxKind,
    envelopeFrom: String(row.envelope_from),
    envelopeTo: (typeof row.envelope_to === 'string' ? JSON.parse(row.envelope_to) : row.envelope_to) as string[],
    messageId: String(row.message_id),
    attempts: Number(row.attempts),
    createdAt: row.created_at instanceof Date ? row.created_at : new Date(String(row.created_at)),
    raw: row.raw ? toBuffer(row.raw) : undefined,
  };
}

/** pg gives a Buffer for bytea, PGlite a Uint8Array. */
function toBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new Error('outbox raw column is not binary');
}
