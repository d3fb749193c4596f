import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Generated, then edited by hand to keep the bytes: each quarantined mail's raw bytes move
 * into its part 0 before the column goes (older mails stay one part of any size; the reader
 * takes parts of any size), and the parts get the lz4 compression the column had.
 */
export class QuarantinedMailParts1795473998505 implements MigrationInterface {
  name = 'QuarantinedMailParts1795473998505';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"quarantined_mail_part\" (\"mail_id\" uuid NOT NULL, \"part\" integer NOT NULL, \"content\" bytea NOT NULL, CONSTRAINT \"PK_5957010a6be7bbb7df8dff3b33d\" PRIMARY KEY (\"mail_id\", \"part\"))");
    await queryRunner.query("ALTER TABLE \"quarantined_mail_part\" ADD CONSTRAINT \"FK_7c5326f5b15636ec4ca605de7c9\" FOREIGN KEY (\"mail_id\") REFERENCES \"quarantined_mail\"(\"id\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query(`DO $$
      BEGIN
        EXECUTE 'ALTER TABLE "quarantined_mail_part" ALTER COLUMN "content" SET COMPRESSION lz4';
      EXCEPTION WHEN OTHERS THEN
        NULL;
      END $$`);
    await queryRunner.query('INSERT INTO "quarantined_mail_part" ("mail_id", "part", "content") SELECT "id", 0, "raw" FROM "quarantined_mail"');
    await queryRunner.query("ALTER TABLE \"quarantined_mail\" DROP COLUMN \"raw\"");
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"quarantined_mail\" ADD \"raw\" bytea");
    await queryRunner.query(
      'UPDATE "quarantined_mail" q SET "raw" = (SELECT string_agg(p."content", \'\'::bytea ORDER BY p."part") FROM "quarantined_mail_part" p WHERE p."mail_id" = q."id")',
    );
    await queryRunner.query('UPDATE "quarantined_mail" SET "raw" = \'\'::bytea WHERE "raw" IS NULL');
    await queryRunner.query("ALTER TABLE \"quarantined_mail\" ALTER COLUMN \"raw\" SET NOT NULL");
    await queryRunner.query("ALTER TABLE \"quarantined_mail_part\" DROP CONSTRAINT \"FK_7c5326f5b15636ec4ca605de7c9\"");
    await queryRunner.query("DROP TABLE \"quarantined_mail_part\"");
  }
}
