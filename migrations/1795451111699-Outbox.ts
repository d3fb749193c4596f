import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Outbox1795451111699 implements MigrationInterface {
  name = 'Outbox1795451111699';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"outbox_message\" (\"id\" uuid NOT NULL DEFAULT gen_random_uuid(), \"mailbox_id\" uuid NOT NULL, \"request_id\" uuid, \"kind\" character varying(20) NOT NULL, \"status\" character varying(10) NOT NULL, \"envelope_from\" character varying(320) NOT NULL, \"envelope_to\" jsonb NOT NULL, \"raw\" bytea NOT NULL, \"message_id\" character varying(500) NOT NULL, \"subject\" text NOT NULL, \"attempts\" integer NOT NULL DEFAULT '0', \"next_attempt_at\" TIMESTAMP WITH TIME ZONE NOT NULL, \"last_error\" jsonb, \"server\" character varying(10), \"response\" text, \"lease_owner\" character varying(100), \"lease_until\" TIMESTAMP WITH TIME ZONE, \"created_at\" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), \"sent_at\" TIMESTAMP WITH TIME ZONE, CONSTRAINT \"PK_2f36ee5236f2793f3e7bd554589\" PRIMARY KEY (\"id\"))");
    await queryRunner.query("CREATE INDEX \"IDX_79dd22ec68a71fba5f62877939\" ON \"outbox_message\"  (\"mailbox_id\") ");
    await queryRunner.query("CREATE INDEX \"IDX_61ee65956edb1ea19a235abe50\" ON \"outbox_message\"  (\"request_id\") ");
    await queryRunner.query("CREATE INDEX \"IDX_452f044f9b3436b9fcfa3f8f52\" ON \"outbox_message\"  (\"message_id\") ");
    await queryRunner.query("CREATE INDEX \"IDX_3d7024aeccb0bf083c7e4e5c37\" ON \"outbox_message\"  (\"status\", \"created_at\") ");
    await queryRunner.query("CREATE INDEX \"IDX_outbox_message_due\" ON \"outbox_message\"  (\"next_attempt_at\") WHERE status IN ('queued', 'sending')");
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("DROP INDEX \"public\".\"IDX_outbox_message_due\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_3d7024aeccb0bf083c7e4e5c37\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_452f044f9b3436b9fcfa3f8f52\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_61ee65956edb1ea19a235abe50\"");
    await queryRunner.query("DROP INDEX \"public\".\"IDX_79dd22ec68a71fba5f62877939\"");
    await queryRunner.query("DROP TABLE \"outbox_message\"");
  }
}

