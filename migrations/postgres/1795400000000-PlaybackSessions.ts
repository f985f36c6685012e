import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * 0.2 playback sessions: streams gain `access`; `viewers` goes (the count lives in the viewer
 * session store: sessions seen within PLAY_SESSION_TTL_SEC, not a counter in a row).
 */
export class PlaybackSessions1795400000000 implements MigrationInterface {
  name = 'PlaybackSessions1795400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "streams" ADD "access" character varying(8) NOT NULL DEFAULT 'public'
        `);
    await queryRunner.query(`
            ALTER TABLE "streams" DROP COLUMN "viewers"
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "streams" ADD "viewers" integer NOT NULL DEFAULT '0'
        `);
    await queryRunner.query(`
            ALTER TABLE "streams" DROP COLUMN "access"
        `);
  }
}
