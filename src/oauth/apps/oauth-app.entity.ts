import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { BaseScope, ProviderName, TokenEndpointAuthMethod } from '../providers/provider-presets';

/**
 * An OAuth2 application (client) registered at Google, Microsoft, Mail.ru or any other
 * authorization server. The URL, scope and auth-method columns hold the admin's OVERRIDES
 * (null = the preset's value); `effectiveApp()` computes what is actually used.
 */
@Entity('oauth_app')
export class OAuthApp {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('varchar', { length: 200 })
  name: string;

  @Column('varchar', { length: 16 })
  provider: ProviderName;

  @Column('varchar', { length: 500 })
  clientId: string;

  /** SecretBox-sealed; never returned (responses carry `clientSecretSet`). */
  @Column('text', { nullable: true })
  clientSecretSealed: string | null;

  /** When the admin says the secret expires (Azure secrets do): warnings start 30 days ahead. */
  @Column('timestamptz', { nullable: true })
  clientSecretExpiresAt: Date | null;

  /** Null: `${DESKMAIL_PUBLIC_URL or the service URL}/oauth/callback`. */
  @Column('text', { nullable: true })
  redirectUrl: string | null;

  /** Microsoft only: common, consumers, organizations or a tenant id; null = the preset default. */
  @Column('varchar', { length: 200, nullable: true })
  authority: string | null;

  @Column('varchar', { length: 8, default: 'imap' })
  baseScope: BaseScope;

  @Column('text', { nullable: true })
  authorizeUrl: string | null;

  @Column('text', { nullable: true })
  tokenUrl: string | null;

  /** Replaces the preset's base scopes when set (custom: required). */
  @Column('jsonb', { nullable: true })
  scopes: string[] | null;

  // TypeORM reads PostgreSQL's stored default back without the cast: written the same way, no migration keeps re-emitting it.
  @Column('jsonb', { default: () => "'[]'" })
  additionalScopes: string[];

  @Column('varchar', { length: 32, nullable: true })
  tokenEndpointAuthMethod: TokenEndpointAuthMethod | null;

  /** A disabled app cannot start new consents; existing grants keep refreshing. */
  @Column('boolean', { default: true })
  enabled: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
