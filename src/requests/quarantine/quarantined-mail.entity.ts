import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { PartsTable } from '../../core/database/byte-parts';

export const QUARANTINE_IDENTITY_CONSTRAINT = 'uq_quarantine_mailbox_identity';

/**
 * A mail that did not become a request or a message, kept RAW with the reason (design.md:
 * "A mail that cannot be parsed or stored goes to quarantine with its raw bytes and the
 * reason"). Unique per mailbox identity like messages, so a re-fetched bad mail is a
 * duplicate rather than a second row.
 */
@Entity('quarantined_mail')
@Unique(QUARANTINE_IDENTITY_CONSTRAINT, ['mailboxId', 'identity'])
@Index(['createdAt'])
@Index(['mailboxId', 'requesterEmail', 'subjectKey', 'receivedAt'])
export class QuarantinedMail {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  mailboxId: string;

  /** Short and stable: "too large", "too complex", "unparseable", "loop", "not turned into a request", "bounce"… */
  @Column('varchar', { length: 64 })
  reason: string;

  /** One sentence an admin can act on. */
  @Column('text')
  detail: string;

  @Column('integer')
  size: number;

  @Column('timestamptz')
  receivedAt: Date;

  @Column('varchar', { length: 1000 })
  identity: string;

  @Column('varchar', { length: 1000, nullable: true })
  messageId: string | null;

  @Column('text', { nullable: true })
  subject: string | null;

  /** The From (or requester) address as "Name <email>", when it could be read. */
  @Column('text', { nullable: true })
  from: string | null;

  @Column('varchar', { length: 320, nullable: true })
  requesterEmail: string | null;

  @Column('varchar', { length: 64, nullable: true })
  subjectKey: string | null;

  @Column('integer', { default: 0 })
  retries: number;

  @Column('timestamptz', { nullable: true })
  lastRetryAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}

/**
 * The raw mail of a quarantined mail in parts of at most 1 MiB (core/database/byte-parts.ts),
 * numbered from 0: a 30 MB mail too large to import is kept and served without ever being
 * whole in memory.
 */
@Entity('quarantined_mail_part')
export class QuarantinedMailPart {
  @PrimaryColumn('uuid')
  mailId: string;

  @PrimaryColumn('integer')
  part: number;

  @Column('bytea')
  content: Buffer;

  @ManyToOne(() => QuarantinedMail, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'mail_id', referencedColumnName: 'id' })
  mail?: QuarantinedMail;
}

/** Where quarantined mails' raw bytes are, for core/database/byte-parts.ts: quarantined_mail_part, by the row's id. */
export const QUARANTINE_PARTS: PartsTable = { table: 'quarantined_mail_part', key: 'mail_id', keyType: 'uuid' };
