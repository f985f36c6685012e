import { MigrationInterface, QueryRunner } from 'typeorm';

export class StreamLiveState1796138676832 implements MigrationInterface {
  name = 'StreamLiveState1796138676832';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "streams"
            ADD "publisherProtocol" character varying(16)
        `);
    await queryRunner.query(`
            ALTER TABLE "streams"
            ADD "lastSeenAt" TIMESTAMP
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "streams" DROP COLUMN "lastSeenAt"
        `);
    await queryRunner.query(`
            ALTER TABLE "streams" DROP COLUMN "publisherProtocol"
        `);
  }
}
