import { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1795289653766 implements MigrationInterface {
  name = 'Initial1795289653766';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "chat_messages" (
                "id" uuid NOT NULL,
                "roomId" uuid NOT NULL,
                "userId" uuid NOT NULL,
                "displayName" character varying(64) NOT NULL,
                "text" character varying(500) NOT NULL,
                "clientMsgId" character varying(64),
                "hiddenAt" TIMESTAMP,
                "createdAt" TIMESTAMP NOT NULL DEFAULT now(),
                CONSTRAINT "PK_40c55ee0e571e268b0d3cd37d10" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_chat_messages_created" ON "chat_messages" ("createdAt")
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "UQ_chat_messages_user_client_msg" ON "chat_messages" ("userId", "clientMsgId")
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_chat_messages_room_created" ON "chat_messages" ("roomId", "createdAt", "id")
        `);
    await queryRunner.query(`
            CREATE TABLE "room_bans" (
                "id" uuid NOT NULL,
                "roomId" uuid NOT NULL,
                "userId" uuid NOT NULL,
                "until" TIMESTAMP,
                "createdById" uuid NOT NULL,
                "createdAt" TIMESTAMP NOT NULL DEFAULT now(),
                CONSTRAINT "PK_f9d925f0f4d6ce338e967a299e0" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "UQ_room_bans_room_user" ON "room_bans" ("roomId", "userId")
        `);
    await queryRunner.query(`
            CREATE TABLE "rooms" (
                "id" uuid NOT NULL,
                "name" character varying(80) NOT NULL,
                "description" character varying(500) NOT NULL DEFAULT '',
                "hostId" uuid NOT NULL,
                "status" character varying(8) NOT NULL,
                "closedAt" TIMESTAMP,
                "createdAt" TIMESTAMP NOT NULL DEFAULT now(),
                "updatedAt" TIMESTAMP NOT NULL DEFAULT now(),
                CONSTRAINT "PK_0368a2d7c215f2d0458a54933f2" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_rooms_host" ON "rooms" ("hostId")
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_rooms_status_created" ON "rooms" ("status", "createdAt", "id")
        `);
    await queryRunner.query(`
            CREATE TABLE "streams" (
                "id" uuid NOT NULL,
                "title" character varying(120) NOT NULL,
                "ownerId" uuid NOT NULL,
                "roomId" uuid,
                "status" character varying(8) NOT NULL,
                "keyHash" character varying(64) NOT NULL,
                "publisherClientId" character varying(128),
                "publisherServer" character varying(16),
                "viewers" integer NOT NULL DEFAULT '0',
                "startedAt" TIMESTAMP,
                "endedAt" TIMESTAMP,
                "createdAt" TIMESTAMP NOT NULL DEFAULT now(),
                "updatedAt" TIMESTAMP NOT NULL DEFAULT now(),
                CONSTRAINT "PK_40440b6f569ebc02bc71c25c499" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_streams_room" ON "streams" ("roomId")
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_streams_status" ON "streams" ("status")
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_streams_created" ON "streams" ("createdAt", "id")
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_streams_owner_status" ON "streams" ("ownerId", "status")
        `);
    await queryRunner.query(`
            CREATE TABLE "users" (
                "id" uuid NOT NULL,
                "usernameLower" character varying(32) NOT NULL,
                "username" character varying(32) NOT NULL,
                "displayName" character varying(64) NOT NULL,
                "passwordHash" character varying(255) NOT NULL,
                "role" character varying(16) NOT NULL,
                "disabledAt" TIMESTAMP,
                "createdAt" TIMESTAMP NOT NULL DEFAULT now(),
                "updatedAt" TIMESTAMP NOT NULL DEFAULT now(),
                CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "UQ_users_username_lower" ON "users" ("usernameLower")
        `);
    await queryRunner.query(`
            CREATE TABLE "videos" (
                "id" uuid NOT NULL,
                "ownerId" uuid NOT NULL,
                "title" character varying(200) NOT NULL,
                "size" bigint NOT NULL,
                "contentType" character varying(100) NOT NULL,
                "storageName" character varying(64) NOT NULL,
                "sha256" character varying(64) NOT NULL,
                "durationSec" double precision,
                "createdAt" TIMESTAMP NOT NULL DEFAULT now(),
                "updatedAt" TIMESTAMP NOT NULL DEFAULT now(),
                CONSTRAINT "PK_e4c86c0cf95aff16e9fb8220f6b" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_videos_owner" ON "videos" ("ownerId")
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_videos_created" ON "videos" ("createdAt", "id")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."IDX_videos_created"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_videos_owner"
        `);
    await queryRunner.query(`
            DROP TABLE "videos"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."UQ_users_username_lower"
        `);
    await queryRunner.query(`
            DROP TABLE "users"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_streams_owner_status"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_streams_created"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_streams_status"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_streams_room"
        `);
    await queryRunner.query(`
            DROP TABLE "streams"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_rooms_status_created"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_rooms_host"
        `);
    await queryRunner.query(`
            DROP TABLE "rooms"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."UQ_room_bans_room_user"
        `);
    await queryRunner.query(`
            DROP TABLE "room_bans"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_chat_messages_room_created"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."UQ_chat_messages_user_client_msg"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_chat_messages_created"
        `);
    await queryRunner.query(`
            DROP TABLE "chat_messages"
        `);
  }
}
