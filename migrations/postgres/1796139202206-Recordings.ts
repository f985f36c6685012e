import { MigrationInterface, QueryRunner } from 'typeorm';

export class Recordings1796139202206 implements MigrationInterface {
  name = 'Recordings1796139202206';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "recording_imports" (
                "id" uuid NOT NULL,
                "streamId" uuid NOT NULL,
                "server" character varying(16) NOT NULL,
                "path" character varying(4096) NOT NULL,
                "status" character varying(16) NOT NULL,
                "attempts" integer NOT NULL DEFAULT '0',
                "runAfter" TIMESTAMP NOT NULL,
                "claimToken" character varying(64),
                "leaseUntil" TIMESTAMP,
                "error" character varying(500),
                "videoId" uuid,
                "createdAt" TIMESTAMP NOT NULL DEFAULT now(),
                "updatedAt" TIMESTAMP NOT NULL DEFAULT now(),
                CONSTRAINT "PK_9759d82e98a0b244eaaf08647d2" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_recording_imports_due" ON "recording_imports" ("status", "runAfter")
        `);
    await queryRunner.query(`
            ALTER TABLE "videos"
            ADD "source" character varying(16) NOT NULL DEFAULT 'upload'
        `);
    await queryRunner.query(`
            ALTER TABLE "videos"
            ADD "streamId" uuid
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_videos_stream_created" ON "videos" ("streamId", "createdAt", "id")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."IDX_videos_stream_created"
        `);
    await queryRunner.query(`
            ALTER TABLE "videos" DROP COLUMN "streamId"
        `);
    await queryRunner.query(`
            ALTER TABLE "videos" DROP COLUMN "source"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_recording_imports_due"
        `);
    await queryRunner.query(`
            DROP TABLE "recording_imports"
        `);
  }
}
