import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager, FindOptionsSelect, FindOptionsWhere } from 'typeorm';
import { Database } from '../../core/database/database';
import { InvalidInputError, NotFoundError } from '../../core/errors';
import { Mailbox } from '../../mailboxes/mailbox.entity';
import type { Outbox, OutgoingMail, QueuedMail } from '../outbox.port';
import { OutboxClaimer } from './outbox-claimer';
import { OutboxMessage, type OutboxStatus } from './outbox-message.entity';
import { buildOutgoingMime } from './outgoing-mime.builder';

/** What the mailbox view shows of a mailbox's outbox. */
export interface OutboxFigures {
  queued: number;
  failed: number;
}

export interface OutboxFilter {
  status?: OutboxStatus;
  mailbox?: string;
  page: number;
  pageSize: number;
}

/** Every column but the raw bytes, for lists. */
const LISTED: FindOptionsSelect<OutboxMessage> = {
  id: true, mailboxId: true, requestId: true, kind: true, status: true, envelopeFrom: true, envelopeTo: true, messageId: true,
  subject: true, attempts: true, nextAttemptAt: true, lastError: true, server: true, response: true, createdAt: true, sentAt: true,
};

/**
 * The outbox: `enqueue` writes a finished mail in the CALLER's transaction (a request and
 * its acknowledgement commit together, or neither), the OutboxSender delivers it later.
 */
/** Sent rows deleted per statement. */
const PRUNE_SLICE = 1_000;

@Injectable()
export class OutboxService implements Outbox {
  constructor(
    @Inject(Database) private readonly db: Database,
    private readonly claimer: OutboxClaimer,
  ) {}

  enqueue(em: EntityManager, mail: OutgoingMail): Promise<QueuedMail> {
    return this.insert(em, mail, false);
  }

  /** Enqueues a mail already claimed by this process, so it can be sent at once and no sender takes it meanwhile. */
  enqueueClaimed(em: EntityManager, mail: OutgoingMail): Promise<QueuedMail> {
    return this.insert(em, mail, true);
  }

  async list(filter: OutboxFilter): Promise<{ items: OutboxMessage[]; total: number }> {
    const where: FindOptionsWhere<OutboxMessage> = {};
    if (filter.status) where.status = filter.status;
    if (filter.mailbox) where.mailboxId = filter.mailbox;
    const [items, total] = await this.db.run((em) =>
      em.findAndCount(OutboxMessage, {
        select: LISTED,
        where,
        order: { createdAt: 'DESC', id: 'DESC' },
        skip: (filter.page - 1) * filter.pageSize,
        take: filter.pageSize,
      }),
    );
    return { items, total };
  }

  async get(id: string): Promise<OutboxMessage> {
    const row = isUuid(id) ? await this.db.run((em) => em.findOne(OutboxMessage, { select: LISTED, where: { id } })) : null;
    if (!row) throw new NotFoundError('outbox message', id);
    return row;
  }

  async raw(id: string): Promise<Buffer> {
    await this.get(id);
    const raw = await this.claimer.raw(id);
    if (!raw) throw new NotFoundError('outbox message', id);
    return raw;
  }

  /** Mails of one mailbox not yet sent, and those that failed: shown under the mailbox's `outgoing`. */
  /** Mail waiting (queued or being sent) and failed, per mailbox, in one query. */
  async figuresOf(mailboxIds: readonly string[]): Promise<Map<string, OutboxFigures>> {
    const figures = new Map(mailboxIds.map((id): [string, OutboxFigures] => [id, { queued: 0, failed: 0 }]));
    if (mailboxIds.length === 0) return figures;
    const rows: Array<{ mailbox_id: string; status: string; n: number }> = await this.db.run((em) =>
      em.query(`SELECT mailbox_id, status, count(*)::int AS n FROM outbox_message WHERE mailbox_id = ANY($1) AND status <> 'sent' GROUP BY mailbox_id, status`, [mailboxIds]),
    );
    for (const row of rows) {
      const of = figures.get(String(row.mailbox_id));
      if (!of) continue;
      if (row.status === 'failed') of.failed += Number(row.n);
      else if (row.status === 'queued' || row.status === 'sending') of.queued += Number(row.n);
    }
    return figures;
  }

  /**
   * The mailbox was re-authorized or asked to reconnect: mail waiting out a backoff is due
   * now, instead of up to an hour later.
   */
  async retryNow(mailboxId: string): Promise<void> {
    await this.db.run((em) =>
      em.query(`UPDATE outbox_message SET next_attempt_at = now() WHERE mailbox_id = $1 AND status = 'queued' AND next_attempt_at > now()`, [mailboxId]),
    );
  }

  /**
   * Forgets sent mail older than `keepDays` (its MIME is most of the outbox's size; the
   * request keeps the message). In slices, so a first prune of a large outbox holds no long
   * lock. Returns how many rows went.
   */
  async pruneSent(keepDays: number, now = new Date()): Promise<number> {
    if (keepDays <= 0) return 0;
    const before = new Date(now.getTime() - keepDays * 86_400_000);
    let pruned = 0;
    for (;;) {
      const [, deleted]: [unknown, number] = await this.db.run((em) =>
        em.query(`DELETE FROM outbox_message WHERE id IN (SELECT id FROM outbox_message WHERE status = 'sent' AND sent_at < $1 LIMIT ${PRUNE_SLICE})`, [before]),
      );
      pruned += deleted;
      if (deleted < PRUNE_SLICE) return pruned;
    }
  }

  /** Before a mailbox is deleted: its unsent mails can never leave, so they fail (and stay listed). */
  async forgetMailbox(mailboxId: string): Promise<void> {
    const error = { code: 'PROTOCOL_ERROR', message: 'the mailbox was deleted before this mail could be sent', at: new Date().toISOString() };
    await this.db.transaction((em) => this.claimer.failMailbox(em, mailboxId, error));
  }

  private async insert(em: EntityManager, mail: OutgoingMail, claimed: boolean): Promise<QueuedMail> {
    const mailbox = isUuid(mail.mailboxId)
      ? await em.findOne(Mailbox, { where: { id: mail.mailboxId }, select: { id: true, name: true, outgoing: true } })
      : null;
    if (!mailbox) throw new NotFoundError('mailbox', mail.mailboxId);
    if (!mailbox.outgoing) {
      throw new InvalidInputError('outgoing', `is not configured for mailbox ${mailbox.name}: add outgoing server settings before mail can be sent`);
    }
    const built = await buildOutgoingMime(mail, mailbox.outgoing);
    const lease = claimed ? this.claimer.claimedInsert() : null;
    const result = await em.insert(OutboxMessage, {
      mailboxId: mail.mailboxId,
      requestId: mail.requestId,
      kind: mail.kind,
      status: lease?.status ?? 'queued',
      envelopeFrom: built.envelope.from,
      envelopeTo: built.envelope.to,
      raw: built.raw,
      messageId: built.messageId,
      subject: mail.subject,
      attempts: lease?.attempts ?? 0,
      // The database's clock decides when a row is due, so processes with skewed clocks agree.
      nextAttemptAt: lease ? lease.nextAttemptAt : () => 'now()',
      leaseOwner: lease?.leaseOwner ?? null,
      leaseUntil: lease?.leaseUntil ?? null,
    });
    return { id: String(result.identifiers[0].id), messageId: built.messageId, raw: built.raw };
  }
}

function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
