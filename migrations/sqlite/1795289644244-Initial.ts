import { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1795289644244 implements MigrationInterface {
  name = 'Initial1795289644244';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "chat_messages" (
                "id" varchar PRIMARY KEY NOT NULL,
                "roomId" varchar NOT NULL,
                "userId" varchar NOT NULL,
                "displayName" varchar(64) NOT NULL,
                "text" varchar(500) NOT NULL,
                "clientMsgId" varchar(64),
                "hiddenAt" datetime,
                "createdAt" datetime NOT NULL DEFAULT (datetime('now'))
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
                "id" varchar PRIMARY KEY NOT NULL,
                "roomId" varchar NOT NULL,
                "userId" varchar NOT NULL,
                "until" datetime,
                "createdById" varchar NOT NULL,
                "createdAt" datetime NOT NULL DEFAULT (datetime('now'))
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "UQ_room_bans_room_user" ON "room_bans" ("roomId", "userId")
        `);
    await queryRunner.query(`
            CREATE TABLE "rooms" (
                "id" varchar PRIMARY KEY NOT NULL,
                "name" varchar(80) NOT NULL,
                "description" varchar(500) NOT NULL DEFAULT (''),
                "hostId" varchar NOT NULL,
                "status" varchar(8) NOT NULL,
                "closedAt" datetime,
                "createdAt" datetime NOT NULL DEFAULT (datetime('now')),
                "updatedAt" datetime NOT NULL DEFAULT (datetime('now'))
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
                "id" varchar PRIMARY KEY NOT NULL,
                "title" varchar(120) NOT NULL,
                "ownerId" varchar NOT NULL,
                "roomId" varchar,
                "status" varchar(8) NOT NULL,
                "keyHash" varchar(64) NOT NULL,
                "publisherClientId" varchar(128),
                "publisherServer" varchar(16),
                "viewers" integer NOT NULL DEFAULT (0),
                "startedAt" datetime,
                "endedAt" datetime,
                "createdAt" datetime NOT NULL DEFAULT (datetime('now')),
                "updatedAt" datetime NOT NULL DEFAULT (datetime('now'))
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
                "id" varchar PRIMARY KEY NOT NULL,
                "usernameLower" varchar(32) NOT NULL,
                "username" varchar(32) NOT NULL,
                "displayName" varchar(64) NOT NULL,
                "passwordHash" varchar(255) NOT NULL,
                "role" varchar(16) NOT NULL,
                "disabledAt" datetime,
                "createdAt" datetime NOT NULL DEFAULT (datetime('now')),
                "updatedAt" datetime NOT NULL DEFAULT (datetime('now'))
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "UQ_users_username_lower" ON "users" ("usernameLower")
        `);
    await queryRunner.query(`
            CREATE TABLE "videos" (
                "id" varchar PRIMARY KEY NOT NULL,
                "ownerId" varchar NOT NULL,
                "title" varchar(200) NOT NULL,
                "size" bigint NOT NULL,
                "contentType" varchar(100) NOT NULL,
                "storageName" varchar(64) NOT NULL,
                "sha256" varchar(64) NOT NULL,
                "durationSec" float,
                "createdAt" datetime NOT NULL DEFAULT (datetime('now')),
                "updatedAt" datetime NOT NULL DEFAULT (datetime('now'))
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
            DROP INDEX "IDX_videos_created"
        `);
    await queryRunner.query(`
            DROP INDEX "IDX_videos_owner"
        `);
    await queryRunner.query(`
            DROP TABLE "videos"
        `);
    await queryRunner.query(`
            DROP INDEX "UQ_users_username_lower"
        `);
    await queryRunner.query(`
            DROP TABLE "users"
        `);
    await queryRunner.query(`
            DROP INDEX "IDX_streams_owner_status"
        `);
    await queryRunner.query(`
            DROP INDEX "IDX_streams_created"
        `);
    await queryRunner.query(`
            DROP INDEX "IDX_streams_status"
        `);
    await queryRunner.query(`
            DROP INDEX "IDX_streams_room"
        `);
    await queryRunner.query(`
            DROP TABLE "streams"
        `);
    await queryRunner.query(`
            DROP INDEX "IDX_rooms_status_created"
        `);
    await queryRunner.query(`
            DROP INDEX "IDX_rooms_host"
        `);
    await queryRunner.query(`
            DROP TABLE "rooms"
        `);
    await queryRunner.query(`
            DROP INDEX "UQ_room_bans_room_user"
        `);
    await queryRunner.query(`
            DROP TABLE "room_bans"
        `);
    await queryRunner.query(`
            DROP INDEX "IDX_chat_messages_room_created"
        `);
    await queryRunner.query(`
            DROP INDEX "UQ_chat_messages_user_client_msg"
        `);
    await queryRunner.query(`
            DROP INDEX "IDX_chat_messages_created"
        `);
    await queryRunner.query(`
            DROP TABLE "chat_messages"
        `);
  }
}
