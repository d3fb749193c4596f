import type { MigrationInterface, QueryRunner } from 'typeorm';

export class OAuth1795450931674 implements MigrationInterface {
  name = 'OAuth1795450931674';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"oauth_app\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"name\" character varying(200) NOT NULL, \"provider\" character varying(16) NOT NULL, \"client_id\" character varying(500) NOT NULL, \"client_secret_sealed\" text, \"client_secret_expires_at\" TIMESTAMP WITH TIME ZONE, \"redirect_url\" text, \"authority\" character varying(200), \"base_scope\" character varying(8) NOT NULL DEFAULT 'imap', \"authorize_url\" text, \"token_url\" text, \"scopes\" jsonb, \"additional_scopes\" jsonb NOT NULL DEFAULT '[]'::jsonb, \"token_endpoint_auth_method\" character varying(32), \"enabled\" boolean NOT NULL DEFAULT true, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_3256b97c0a3ee2d67240805dca4\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE TABLE \"oauth_consent\" (\"state_hash\" character varying(64) NOT NULL, \"mailbox_id\" uuid NOT NULL, \"side\" character varying(16) NOT NULL, \"app_id\" uuid NOT NULL, \"redirect_uri\" text NOT NULL, \"code_verifier_sealed\" text NOT NULL, \"expires_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_f642a0195826068391636a5e282\" PRIMARY KEY (\"state_hash\"))");
    await queryRunner.query("CREATE TABLE \"oauth_grant\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"mailbox_id\" uuid NOT NULL, \"side\" character varying(16) NOT NULL, \"app_id\" uuid NOT NULL, \"access_token_sealed\" text NOT NULL, \"refresh_token_sealed\" text, \"expires_at\" TIMESTAMP WITH TIME ZONE, \"scopes\" jsonb NOT NULL, \"user\" character varying(320), \"last_refresh_at\" TIMESTAMP WITH TIME ZONE, \"refresh_token_issued_at\" TIMESTAMP WITH TIME ZONE, \"refresh_token_rotated\" boolean NOT NULL DEFAULT false, \"needs_reauthorization\" boolean NOT NULL DEFAULT false, \"failed_refreshes\" integer NOT NULL DEFAULT '0', \"next_retry_at\" TIMESTAMP WITH TIME ZONE, \"last_refresh_error\" jsonb, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_7ef975b60977497b796babe82ca\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE UNIQUE INDEX \"IDX_04386ece06145922aca97b661a\" ON \"oauth_grant\"  (\"mailbox_id\", \"side\") ");
    await queryRunner.query("ALTER TABLE \"oauth_consent\" ADD CONSTRAINT \"FK_5915518bf4c59cb0339316100cd\" FOREIGN KEY (\"mailbox_id\") REFERENCES \"mailbox\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"oauth_consent\" ADD CONSTRAINT \"FK_7af093fa973aa92910e57c43250\" FOREIGN KEY (\"app_id\") REFERENCES \"oauth_app\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"oauth_grant\" ADD CONSTRAINT \"FK_3f1c80ca912bea15e6b8d924990\" FOREIGN KEY (\"mailbox_id\") REFERENCES \"mailbox\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query("ALTER TABLE \"oauth_grant\" ADD CONSTRAINT \"FK_b4aa34de914ed4afb0224fb03b7\" FOREIGN KEY (\"app_id\") REFERENCES \"oauth_app\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"oauth_grant\" DROP CONSTRAINT \"FK_b4aa34de914ed4afb0224fb03b7\"");
    await queryRunner.query("ALTER TABLE \"oauth_grant\" DROP CONSTRAINT \"FK_3f1c80ca912bea15e6b8d924990\"");
    await queryRunner.query("ALTER TABLE \"oauth_consent\" DROP CONSTRAINT \"FK_7af093fa973aa92910e57c43250\"");
    await queryRunner.query("ALTER TABLE \"oauth_consent\" DROP CONSTRAINT \"FK_5915518bf4c59cb0339316100cd\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_04386ece06145922aca97b661a\"");
    await queryRunner.query("DROP TABLE \"oauth_grant\"");
    await queryRunner.query("DROP TABLE \"oauth_consent\"");
    await queryRunner.query("DROP TABLE \"oauth_app\"");
  }
}
