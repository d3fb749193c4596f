import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Ledger1795451744118 implements MigrationInterface {
  name = 'Ledger1795451744118';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"fetch_cursor\" (\"mailbox_id\" uuid NOT NULL, \"folder\" character varying(500) NOT NULL, \"cursor\" jsonb, \"first_run_completed_at\" TIMESTAMP WITH TIME ZONE, \"updated_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT \"PK_46922941e433d2ddcd7547d2009\" PRIMARY KEY (\"mailbox_id\", \"folder\"))");
    await queryRunner.query("CREATE TABLE \"ledger_entry\" (\"id\" BIGSERIAL NOT NULL, \"mailbox_id\" uuid NOT NULL, \"folder\" character varying(500) NOT NULL, \"server_id\" character varying(1000) NOT NULL, \"message_id\" character varying(1000), \"size\" integer NOT NULL, \"outcome\" character varying(16) NOT NULL, \"request_id\" uuid, \"committed_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"action\" character varying(16), \"acknowledged_at\" TIMESTAMP WITH TIME ZONE, \"acknowledge_error\" text, CONSTRAINT \"PK_04e9d274911f909a5848a15cd74\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"IDX_b5787f3ca500bc9021dd7b0e73\" ON \"ledger_entry\"  (\"acknowledged_at\") ");
    await queryRunner.query("CREATE INDEX \"IDX_fde762018effe4172fd12b0199\" ON \"ledger_entry\"  (\"mailbox_id\", \"id\") ");
    await queryRunner.query("CREATE UNIQUE INDEX \"IDX_05e26fc1588d6e1ce603c0e860\" ON \"ledger_entry\"  (\"mailbox_id\", \"folder\", \"server_id\") ");
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"public\".\"IDX_05e26fc1588d6e1ce603c0e860\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_fde762018effe4172fd12b0199\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_b5787f3ca500bc9021dd7b0e73\"");
    await queryRunner.query("DROP TABLE \"ledger_entry\"");
    await queryRunner.query("DROP TABLE \"fetch_cursor\"");
  }
}
