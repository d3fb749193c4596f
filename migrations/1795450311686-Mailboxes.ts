import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Mailboxes1795450311686 implements MigrationInterface {
  name = 'Mailboxes1795450311686';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"mailbox_log\" (\"id\" BIGSERIAL NOT NULL, \"mailbox_id\" uuid NOT NULL, \"at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"level\" character varying(8) NOT NULL, \"event\" character varying(40) NOT NULL, \"side\" character varying(16), \"message\" text NOT NULL, CONSTRAINT \"PK_c0ab42864904357de353cfe1e4c\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"IDX_05fb8b7bb58e0f6fc6f0e96a5c\" ON \"mailbox_log\"  (\"mailbox_id\", \"id\") ");
    await queryRunner.query("CREATE TABLE \"mailbox\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"name\" character varying(200) NOT NULL, \"email_addresses\" jsonb NOT NULL, \"incoming\" jsonb NOT NULL, \"incoming_password_sealed\" text, \"incoming_oauth_app_id\" uuid, \"outgoing\" jsonb, \"outgoing_password_sealed\" text, \"outgoing_oauth_app_id\" uuid, \"incoming_state\" character varying(32) NOT NULL, \"incoming_last_error\" jsonb, \"outgoing_state\" character varying(32) NOT NULL, \"outgoing_last_error\" jsonb, \"failing_since\" TIMESTAMP WITH TIME ZONE, \"last_fetch_at\" TIMESTAMP WITH TIME ZONE, \"last_success_at\" TIMESTAMP WITH TIME ZONE, \"next_fetch_at\" TIMESTAMP WITH TIME ZONE, \"failed_runs\" integer NOT NULL DEFAULT '0', \"lease_owner\" character varying(100), \"lease_until\" TIMESTAMP WITH TIME ZONE, \"settings_version\" integer NOT NULL DEFAULT '1', \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_f7191e7ca96ddaeebb57e58650f\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"IDX_b142a6772a601fb49f97c7278f\" ON \"mailbox\"  (\"incoming_oauth_app_id\") ");
    await queryRunner.query("CREATE INDEX \"IDX_a16a7aa6b17d744c12a67b66b8\" ON \"mailbox\"  (\"outgoing_oauth_app_id\") ");
    await queryRunner.query("CREATE INDEX \"IDX_3d6841ee9d17d35db629883d0d\" ON \"mailbox\"  (\"next_fetch_at\") ");
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"public\".\"IDX_3d6841ee9d17d35db629883d0d\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_a16a7aa6b17d744c12a67b66b8\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_b142a6772a601fb49f97c7278f\"");
    await queryRunner.query("DROP TABLE \"mailbox\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_05fb8b7bb58e0f6fc6f0e96a5c\"");
    await queryRunner.query("DROP TABLE \"mailbox_log\"");
  }
}
