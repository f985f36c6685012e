import { MigrationInterface, QueryRunner } from 'typeorm';

export class Webhooks1796138737734 implements MigrationInterface {
  name = 'Webhooks1796138737734';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "webhook_delivery_attempts" (
                "id" varchar PRIMARY KEY NOT NULL,
                "deliveryId" varchar NOT NULL,
                "subscriptionId" varchar NOT NULL,
                "eventId" varchar NOT NULL,
                "event" varchar(32) NOT NULL,
                "attempt" integer NOT NULL,
                "status" varchar(16) NOT NULL,
                "responseStatus" integer,
                "error" varchar(500),
                "createdAt" datetime NOT NULL,
                "deliveredAt" datetime
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_webhook_attempts_delivery" ON "webhook_delivery_attempts" ("deliveryId")
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_webhook_attempts_subscription" ON "webhook_delivery_attempts" ("subscriptionId", "createdAt", "id")
        `);
    await queryRunner.query(`
            CREATE TABLE "webhook_deliveries" (
                "id" varchar PRIMARY KEY NOT NULL,
                "eventId" varchar NOT NULL,
                "subscriptionId" varchar NOT NULL,
                "status" varchar(16) NOT NULL,
                "attempts" integer NOT NULL DEFAULT (0),
                "nextAttemptAt" datetime NOT NULL,
                "leaseUntil" datetime,
                "leaseToken" varchar(36),
                "createdAt" datetime NOT NULL DEFAULT (datetime('now'))
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_webhook_deliveries_subscription" ON "webhook_deliveries" ("subscriptionId")
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_webhook_deliveries_lease" ON "webhook_deliveries" ("leaseToken")
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "IDX_webhook_deliveries_event_sub" ON "webhook_deliveries" ("eventId", "subscriptionId")
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_webhook_deliveries_due" ON "webhook_deliveries" ("status", "nextAttemptAt")
        `);
    await queryRunner.query(`
            CREATE TABLE "webhook_events" (
                "id" varchar PRIMARY KEY NOT NULL,
                "type" varchar(32) NOT NULL,
                "ownerId" varchar NOT NULL,
                "data" text NOT NULL,
                "createdAt" datetime NOT NULL DEFAULT (datetime('now')),
                "dispatchedAt" datetime
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_webhook_events_pending" ON "webhook_events" ("dispatchedAt", "createdAt")
        `);
    await queryRunner.query(`
            CREATE TABLE "webhook_subscriptions" (
                "id" varchar PRIMARY KEY NOT NULL,
                "ownerId" varchar NOT NULL,
                "url" varchar(2048) NOT NULL,
                "events" varchar(200) NOT NULL,
                "secret" varchar(100) NOT NULL,
                "createdAt" datetime NOT NULL DEFAULT (datetime('now'))
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_webhook_subscriptions_owner" ON "webhook_subscriptions" ("ownerId")
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_webhook_subscriptions_created" ON "webhook_subscriptions" ("createdAt", "id")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "IDX_webhook_subscriptions_created"
        `);
    await queryRunner.query(`
            DROP INDEX "IDX_webhook_subscriptions_owner"
        `);
    await queryRunner.query(`
            DROP TABLE "webhook_subscriptions"
        `);
    await queryRunner.query(`
            DROP INDEX "IDX_webhook_events_pending"
        `);
    await queryRunner.query(`
            DROP TABLE "webhook_events"
        `);
    await queryRunner.query(`
            DROP INDEX "IDX_webhook_deliveries_due"
        `);
    await queryRunner.query(`
            DROP INDEX "IDX_webhook_deliveries_event_sub"
        `);
    await queryRunner.query(`
            DROP INDEX "IDX_webhook_deliveries_lease"
        `);
    await queryRunner.query(`
            DROP INDEX "IDX_webhook_deliveries_subscription"
        `);
    await queryRunner.query(`
            DROP TABLE "webhook_deliveries"
        `);
    await queryRunner.query(`
            DROP INDEX "IDX_webhook_attempts_subscription"
        `);
    await queryRunner.query(`
            DROP INDEX "IDX_webhook_attempts_delivery"
        `);
    await queryRunner.query(`
            DROP TABLE "webhook_delivery_attempts"
        `);
  }
}
