import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Mailbox } from '../../mailboxes/mailbox.entity';
import type { Side } from '../../mailboxes/mailbox.types';
import { OAuthApp } from '../apps/oauth-app.entity';

/**
 * A consent in progress: created by POST /v1/mailboxes/:id/authorize, consumed (deleted) by
 * the first GET /oauth/callback that presents its state. Only a SHA-256 of `state` is kept,
 * so the database never holds a usable state (RFC 6749 §10.12: state binds the callback to
 * this request); the PKCE code_verifier (RFC 7636 §4.1) is sealed.
 */
@Entity('oauth_consent')
export class OAuthConsent {
  /** Hex SHA-256 of the `state` parameter. */
  @PrimaryColumn('varchar', { length: 64 })
  stateHash: string;

  @Column('uuid')
  mailboxId: string;

  @ManyToOne(() => Mailbox, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'mailbox_id' })
  mailbox?: Mailbox;

  @Column('varchar', { length: 16 })
  side: Side;

  @Column('uuid')
  appId: string;

  @ManyToOne(() => OAuthApp, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'app_id' })
  app?: OAuthApp;

  /** The exact redirect_uri sent, which the code exchange must repeat (RFC 6749 §4.1.3). */
  @Column('text')
  redirectUri: string;

  @Column('text')
  codeVerifierSealed: string;

  @Column('timestamptz')
  expiresAt: Date;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
