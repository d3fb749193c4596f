import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Mailbox } from '../../mailboxes/mailbox.entity';
import type { Side } from '../../mailboxes/mailbox.types';
import { OAuthApp } from '../apps/oauth-app.entity';

export interface RefreshError {
  code: string;
  message: string;
  at: string;
}

/**
 * The tokens one side of a mailbox holds (an outgoing side with sameAsIncoming has none and
 * uses the incoming grant). Tokens are SecretBox-sealed; the plain columns are what the API
 * and the warnings show about them.
 */
@Entity('oauth_grant')
@Index(['mailboxId', 'side'], { unique: true })
export class OAuthGrant {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('uuid')
  mailboxId: string;

  // Deleting a mailbox deletes its grants; the column above is the same mailbox_id.
  @ManyToOne(() => Mailbox, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'mailbox_id' })
  mailbox?: Mailbox;

  @Column('varchar', { length: 16 })
  side: Side;

  /** The app whose client obtained the tokens; a refresh uses it (a changed mailbox app needs a new consent). */
  @Column('uuid')
  appId: string;

  @ManyToOne(() => OAuthApp, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'app_id' })
  app?: OAuthApp;

  @Column('text')
  accessTokenSealed: string;

  @Column('text', { nullable: true })
  refreshTokenSealed: string | null;

  /** When the access token expires; null: the server did not say. */
  @Column('timestamptz', { nullable: true })
  expiresAt: Date | null;

  /** The scopes the server granted (RFC 6749 §5.1 `scope`), else the ones requested. */
  @Column('jsonb')
  scopes: string[];

  /** The mailbox account the tokens belong to (ID token, userinfo or the side's username). */
  @Column('varchar', { length: 320, nullable: true })
  user: string | null;

  @Column('timestamptz', { nullable: true })
  lastRefreshAt: Date | null;

  /** When the current refresh token was issued (consent, registration or rotation). */
  @Column('timestamptz', { nullable: true })
  refreshTokenIssuedAt: Date | null;

  /** Whether the last refresh returned a new refresh token. */
  @Column('boolean', { default: false })
  refreshTokenRotated: boolean;

  /** invalid_grant seen: nothing refreshes this grant until a new consent replaces it. */
  @Column('boolean', { default: false })
  needsReauthorization: boolean;

  /** Consecutive failed refreshes, for the backoff. */
  @Column('integer', { default: 0 })
  failedRefreshes: number;

  @Column('timestamptz', { nullable: true })
  nextRetryAt: Date | null;

  @Column('jsonb', { nullable: true })
  lastRefreshError: RefreshError | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
