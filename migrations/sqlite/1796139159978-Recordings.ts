import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Recordings become videos: videos.source/streamId and the recording_imports job table.
 * Written by hand from the generated diff with ADD COLUMN instead of a temporary_videos copy,
 * so columns other migrations add to videos are kept (DROP COLUMN needs SQLite 3.35+).
 */
export class Recordings1796139159978 implements MigrationInterface {
  name = 'Recordings1796139159978';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "recording_imports" (
                "id" varchar PRIMARY KEY NOT NULL,
                "streamId" varchar NOT NULL,
                "server" varchar(16) NOT NULL,
                "path" varchar(4096) NOT NULL,
                "status" varchar(16) NOT NULL,
                "attempts" integer NOT NULL DEFAULT (0),
                "runAfter" datetime NOT NULL,
                "claimToken" varchar(64),
                "leaseUntil" datetime,
                "error" varchar(500),
                "videoId" varchar,
                "createdAt" datetime NOT NULL DEFAULT (datetime('now')),
                "updatedAt" datetime NOT NULL DEFAULT (datetime('now'))
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_recording_imports_due" ON "recording_imports" ("status", "runAfter")
        `);
    await queryRunner.query(`
            ALTER TABLE "videos" ADD COLUMN "source" varchar(16) NOT NULL DEFAULT ('upload')
        `);
    await queryRunner.query(`
            ALTER TABLE "videos" ADD COLUMN "streamId" varchar
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_videos_stream_created" ON "videos" ("streamId", "createdAt", "id")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "IDX_videos_stream_created"
        `);
    await queryRunner.query(`
            ALTER TABLE "videos" DROP COLUMN "streamId"
        `);
    await queryRunner.query(`
            ALTER TABLE "videos" DROP COLUMN "source"
        `);
    await queryRunner.query(`
            DROP INDEX "IDX_recording_imports_due"
        `);
    await queryRunner.query(`
            DROP TABLE "recording_imports"
        `);
  }
}
