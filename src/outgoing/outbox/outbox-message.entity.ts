import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { LastError } from '../../mailboxes/mailbox.types';

export type OutboxStatus = 'queued' | 'sending' | 'sent' | 'failed';
export type OutboxKind = 'acknowledgement' | 'reply' | 'test';
export type OutboxServer = 'primary' | 'alternate';

/**
 * One outgoing mail, from the moment it is enqueued (in the caller's transaction) until a
 * server took it or it failed for good. The MIME is built once and stored, so every retry
 * sends the same bytes and the same Message-ID (RFC 5322 §3.6.4: one id per message).
 *
 * `queued` and `sending` rows are "due" when `nextAttemptAt` has passed: a claim moves a row
 * to `sending` and sets `nextAttemptAt` to the end of its lease, so a row whose sender died
 * comes back by itself, and one partial index serves the claim query.
 */
@Entity('outbox_message')
@Index('IDX_outbox_message_due', ['nextAttemptAt'], { where: `status IN ('queued', 'sending')` })
@Index(['status', 'createdAt'])
export class OutboxMessage {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index()
  @Column('uuid')
  mailboxId: string;

  /** The request the mail answers; null for test mails. */
  @Index()
  @Column('uuid', { nullable: true })
  requestId: string | null;

  @Column('varchar', { length: 20 })
  kind: OutboxKind;

  @Column('varchar', { length: 10 })
  status: OutboxStatus;

  /** RFC 5321 MAIL FROM: the mailbox's sender address. */
  @Column('varchar', { length: 320 })
  envelopeFrom: string;

  /** RFC 5321 RCPT TO: every To and Cc address. */
  @Column('jsonb')
  envelopeTo: string[];

  @Column('bytea')
  raw: Buffer;

  /** Without angle brackets, as the requests pipeline keys Message-IDs. */
  @Index()
  @Column('varchar', { length: 500 })
  messageId: string;

  @Column('text')
  subject: string;

  /** Sends started (a claim counts, so a mail that crashes its sender cannot loop for ever). */
  @Column('integer', { default: 0 })
  attempts: number;

  @Column('timestamptz')
  nextAttemptAt: Date;

  @Column('jsonb', { nullable: true })
  lastError: LastError | null;

  @Column('varchar', { length: 10, nullable: true })
  server: OutboxServer | null;

  /** The server's final answer, e.g. `250 2.0.0 Ok: queued as …`, or its refusal. */
  @Column('text', { nullable: true })
  response: string | null;

  /** The process that holds (or, once sent, last held) the row. */
  @Column('varchar', { length: 100, nullable: true })
  leaseOwner: string | null;

  @Column('timestamptz', { nullable: true })
  leaseUntil: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { nullable: true })
  sentAt: Date | null;
}
