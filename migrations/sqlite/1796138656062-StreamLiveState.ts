import { MigrationInterface, QueryRunner } from 'typeorm';

export class StreamLiveState1796138656062 implements MigrationInterface {
  name = 'StreamLiveState1796138656062';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "streams" ADD COLUMN "publisherProtocol" varchar(16)
        `);
    await queryRunner.query(`
            ALTER TABLE "streams" ADD COLUMN "lastSeenAt" datetime
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
