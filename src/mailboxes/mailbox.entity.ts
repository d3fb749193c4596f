import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { IncomingSettings, LastError, OutgoingSettings, SideState } from './mailbox.types';

/**
 * One helpdesk address: its incoming and outgoing server settings and the live state of
 * each side. Passwords are sealed by the SecretBox in their own columns.
 */
@Entity('mailbox')
export class Mailbox {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('varchar', { length: 200 })
  name: string;

  @Column('jsonb')
  emailAddresses: string[];

  @Column('jsonb')
  incoming: IncomingSettings;

  @Column('text', { nullable: true })
  incomingPasswordSealed: string | null;

  /** Indexed copy of incoming.oauth2App, so deleting an app in use can be refused. */
  @Index()
  @Column('uuid', { nullable: true })
  incomingOAuthAppId: string | null;

  @Column('jsonb', { nullable: true })
  outgoing: OutgoingSettings | null;

  @Column('text', { nullable: true })
  outgoingPasswordSealed: string | null;

  @Index()
  @Column('uuid', { nullable: true })
  outgoingOAuthAppId: string | null;

  @Column('varchar', { length: 32 })
  incomingState: SideState;

  @Column('jsonb', { nullable: true })
  incomingLastError: LastError | null;

  @Column('varchar', { length: 32 })
  outgoingState: SideState;

  @Column('jsonb', { nullable: true })
  outgoingLastError: LastError | null;

  /** Since when the incoming side has failed without a success in between (null: healthy). */
  @Column('timestamptz', { nullable: true })
  failingSince: Date | null;

  @Column('timestamptz', { nullable: true })
  lastFetchAt: Date | null;

  @Column('timestamptz', { nullable: true })
  lastSuccessAt: Date | null;

  @Index()
  @Column('timestamptz', { nullable: true })
  nextFetchAt: Date | null;

  /** Consecutive failed runs, for the backoff. */
  @Column('integer', { default: 0 })
  failedRuns: number;

  /** The instance holding the fetch lease, and until when; an expired lease is free. */
  @Column('varchar', { length: 100, nullable: true })
  leaseOwner: string | null;

  @Column('timestamptz', { nullable: true })
  leaseUntil: Date | null;

  /**
   * The last run's reconciliation: messages the server listed past the cursor, and how many
   * of them the ledger holds afterwards. `missing` > 0 means mail seen but not yet committed.
   */
  @Column('jsonb', { nullable: true })
  reconciliation: { at: string; listed: number; inLedger: number; missing: number } | null;

  /** Bumped when server settings change, so a running connection knows to reconnect. */
  @Column('integer', { default: 1 })
  settingsVersion: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
