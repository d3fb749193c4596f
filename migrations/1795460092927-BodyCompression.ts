import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Written by hand: TypeORM neither generates nor tracks a column's compression or storage.
 *
 * PostgreSQL compresses large values with pglz by default: ~1.5 ms per 100 KB of mail text,
 * the largest single cost of storing a mail. lz4 does the same job in a fifth of the time.
 * Where lz4 is missing (the embedded PGlite, a server built without it, PostgreSQL < 14),
 * message bodies are stored uncompressed instead: on PGlite every database step runs on the
 * service's one main thread, and bodies are small next to attachments.
 */
export class BodyCompression1795460092927 implements MigrationInterface {
  name = 'BodyCompression1795460092927';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DO $$
      BEGIN
        EXECUTE 'ALTER TABLE "message" ALTER COLUMN "text" SET COMPRESSION lz4, ALTER COLUMN "html" SET COMPRESSION lz4';
        EXECUTE 'ALTER TABLE "quarantined_mail" ALTER COLUMN "raw" SET COMPRESSION lz4';
        EXECUTE 'ALTER TABLE "attachment_blob" ALTER COLUMN "content" SET COMPRESSION lz4';
      EXCEPTION WHEN OTHERS THEN
        EXECUTE 'ALTER TABLE "message" ALTER COLUMN "text" SET STORAGE EXTERNAL, ALTER COLUMN "html" SET STORAGE EXTERNAL';
      END $$`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DO $$
      BEGIN
        EXECUTE 'ALTER TABLE "message" ALTER COLUMN "text" SET COMPRESSION DEFAULT, ALTER COLUMN "html" SET COMPRESSION DEFAULT';
        EXECUTE 'ALTER TABLE "quarantined_mail" ALTER COLUMN "raw" SET COMPRESSION DEFAULT';
        EXECUTE 'ALTER TABLE "attachment_blob" ALTER COLUMN "content" SET COMPRESSION DEFAULT';
      EXCEPTION WHEN OTHERS THEN
        NULL;
      END $$`);
    await queryRunner.query('ALTER TABLE "message" ALTER COLUMN "text" SET STORAGE EXTENDED, ALTER COLUMN "html" SET STORAGE EXTENDED');
  }
}
