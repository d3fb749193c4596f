import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { SourceCursor } from '../mail-source.port';

/** Where fetching a mailbox's folder left off; advanced in the same transaction as each batch of mail. */
@Entity('fetch_cursor')
export class FetchCursor {
  @PrimaryColumn('uuid')
  mailboxId: string;

  @PrimaryColumn('varchar', { length: 500 })
  folder: string;

  @Column('jsonb', { nullable: true })
  cursor: SourceCursor | null;

  /** Set once the first run has gone through the mail that was on the server at creation. */
  @Column('timestamptz', { nullable: true })
  firstRunCompletedAt: Date | null;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
