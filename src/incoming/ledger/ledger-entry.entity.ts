import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type LedgerOutcome = 'request' | 'appended' | 'duplicate' | 'quarantined' | 'ignored';

/**
 * One row per message seen on a server: the exactly-once spine. The mail's outcome and
 * this row commit in ONE transaction; the after-fetch action runs only after that commit
 * and is recorded here, so a restart knows what is still to acknowledge.
 */
@Entity('ledger_entry')
@Index(['mailboxId', 'folder', 'serverId'], { unique: true })
@Index(['mailboxId', 'id'])
export class LedgerEntry {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Column('uuid')
  mailboxId: string;

  @Column('varchar', { length: 500 })
  folder: string;

  /** IMAP `uidValidity:uid`, POP UIDL, EWS/Graph item id. */
  @Column('varchar', { length: 1000 })
  serverId: string;

  @Column('varchar', { length: 1000, nullable: true })
  messageId: string | null;

  @Column('integer')
  size: number;

  @Column('varchar', { length: 16 })
  outcome: LedgerOutcome;

  /** The request the mail created or was appended to. */
  @Column('uuid', { nullable: true })
  requestId: string | null;

  @Column('timestamptz', { default: () => 'now()' })
  committedAt: Date;

  /** The after-fetch action this row still owes (null: none, e.g. ignored old mail). */
  @Column('varchar', { length: 16, nullable: true })
  action: string | null;

  @Index()
  @Column('timestamptz', { nullable: true })
  acknowledgedAt: Date | null;

  @Column('text', { nullable: true })
  acknowledgeError: string | null;
}
