import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Reconciliation1795455339405 implements MigrationInterface {
  name = 'Reconciliation1795455339405';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"mailbox\" ADD \"reconciliation\" jsonb");
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query("ALTER TABLE \"mailbox\" DROP COLUMN \"reconciliation\"");
  }
}
