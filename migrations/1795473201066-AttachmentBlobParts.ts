import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Generated, then edited by hand to keep the bytes: each stored attachment's content moves
 * into its part 0 before the column goes (older blobs stay one part of any size; the reader
 * takes parts of any size), and the parts get the lz4 compression the column had.
 */
export class AttachmentBlobParts1795473201066 implements MigrationInterface {
  name = 'AttachmentBlobParts1795473201066';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("CREATE TABLE \"attachment_blob_part\" (\"sha256\" character varying(64) NOT NULL, \"part\" integer NOT NULL, \"content\" bytea NOT NULL, CONSTRAINT \"PK_e62c1e83196b00f2d81a0a6c592\" PRIMARY KEY (\"sha256\", \"part\"))");
    await queryRunner.query("ALTER TABLE \"attachment_blob_part\" ADD CONSTRAINT \"FK_343a1dbc7d865a99219fa8bdc18\" FOREIGN KEY (\"sha256\") REFERENCES \"attachment_blob\"(\"sha256\") ON DELETE CASCADE ON UPDATE NO ACTION");
    await queryRunner.query(`DO $$
      BEGIN
        EXECUTE 'ALTER TABLE "attachment_blob_part" ALTER COLUMN "content" SET COMPRESSION lz4';
      EXCEPTION WHEN OTHERS THEN
        NULL;
      END $$`);
    await queryRunner.query('INSERT INTO "attachment_blob_part" ("sha256", "part", "content") SELECT "sha256", 0, "content" FROM "attachment_blob"');
    await queryRunner.query("ALTER TABLE \"attachment_blob\" DROP COLUMN \"content\"");
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"attachment_blob\" ADD \"content\" bytea");
    await queryRunner.query(
      'UPDATE "attachment_blob" b SET "content" = (SELECT string_agg(p."content", \'\'::bytea ORDER BY p."part") FROM "attachment_blob_part" p WHERE p."sha256" = b."sha256")',
    );
    await queryRunner.query('UPDATE "attachment_blob" SET "content" = \'\'::bytea WHERE "content" IS NULL');
    await queryRunner.query("ALTER TABLE \"attachment_blob\" ALTER COLUMN \"content\" SET NOT NULL");
    await queryRunner.query("ALTER TABLE \"attachment_blob_part\" DROP CONSTRAINT \"FK_343a1dbc7d865a99219fa8bdc18\"");
    await queryRunner.query("DROP TABLE \"attachment_blob_part\"");
  }
}
