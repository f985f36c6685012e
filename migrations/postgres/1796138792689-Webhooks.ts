import { MigrationInterface, QueryRunner } from 'typeorm';

export class Webhooks1796138792689 implements MigrationInterface {
  name = 'Webhooks1796138792689';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "webhook_delivery_attempts" (
                "id" uuid NOT NULL,
                "deliveryId" uuid NOT NULL,
                "subscriptionId" uuid NOT NULL,
                "eventId" uuid NOT NULL,
                "event" character varying(32) NOT NULL,
                "attempt" integer NOT NULL,
                "status" character varying(16) NOT NULL,
                "responseStatus" integer,
                "error" character varying(500),
                "createdAt" TIMESTAMP NOT NULL,
                "deliveredAt" TIMESTAMP,
                CONSTRAINT "PK_59ef9124585b56c18b98548a0c6" PRIMARY KEY ("id")
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
                "id" uuid NOT NULL,
                "eventId" uuid NOT NULL,
                "subscriptionId" uuid NOT NULL,
                "status" character varying(16) NOT NULL,
                "attempts" integer NOT NULL DEFAULT '0',
                "nextAttemptAt" TIMESTAMP NOT NULL,
                "leaseUntil" TIMESTAMP,
                "leaseToken" character varying(36),
                "createdAt" TIMESTAMP NOT NULL DEFAULT now(),
                CONSTRAINT "PK_535dd409947fb6d8fc6dfc0112a" PRIMARY KEY ("id")
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
                "id" uuid NOT NULL,
                "type" character varying(32) NOT NULL,
                "ownerId" uuid NOT NULL,
                "data" text NOT NULL,
                "createdAt" TIMESTAMP NOT NULL DEFAULT now(),
                "dispatchedAt" TIMESTAMP,
                CONSTRAINT "PK_4cba37e6a0acb5e1fc49c34ebfd" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_webhook_events_pending" ON "webhook_events" ("dispatchedAt", "createdAt")
        `);
    await queryRunner.query(`
            CREATE TABLE "webhook_subscriptions" (
                "id" uuid NOT NULL,
                "ownerId" uuid NOT NULL,
                "url" character varying(2048) NOT NULL,
                "events" character varying(200) NOT NULL,
                "secret" character varying(100) NOT NULL,
                "createdAt" TIMESTAMP NOT NULL DEFAULT now(),
                CONSTRAINT "PK_bf631ae77d39849d599817fb6f4" PRIMARY KEY ("id")
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
            DROP INDEX "public"."IDX_webhook_subscriptions_created"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_webhook_subscriptions_owner"
        `);
    await queryRunner.query(`
            DROP TABLE "webhook_subscriptions"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_webhook_events_pending"
        `);
    await queryRunner.query(`
            DROP TABLE "webhook_events"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_webhook_deliveries_due"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_webhook_deliveries_event_sub"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_webhook_deliveries_lease"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_webhook_deliveries_subscription"
        `);
    await queryRunner.query(`
            DROP TABLE "webhook_deliveries"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_webhook_attempts_subscription"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_webhook_attempts_delivery"
        `);
    await queryRunner.query(`
            DROP TABLE "webhook_delivery_attempts"
        `);
  }
}
