import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** What an admin reads under "Logs": errors, state changes, and the debug transcript. */
@Entity('mailbox_log')
@Index(['mailboxId', 'id'])
export class MailboxLogEntry {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Column('uuid')
  mailboxId: string;

  @Column('timestamptz', { default: () => 'now()' })
  at: Date;

  @Column('varchar', { length: 8 })
  level: LogLevel;

  /** Machine-readable kind, e.g. `state`, `fetch`, `oauth.refresh`, `transcript`. */
  @Column('varchar', { length: 40 })
  event: string;

  @Column('varchar', { length: 16, nullable: true })
  side: 'incoming' | 'outgoing' | null;

  @Column('text')
  message: string;
}
