import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, In, ObjectLiteral } from 'typeorm';
import type { ProductEvent } from '../common/ports';
import { runInTransaction } from '../database/transaction';
import { AttemptResult, WebhookAttemptEntity } from './webhook-attempt.entity';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookEventEntity } from './webhook-event.entity';
import { WebhookSubscriptionEntity } from './webhook-subscription.entity';

/** A claimed delivery with what is needed to send it. */
export interface ClaimedDelivery {
  delivery: WebhookDeliveryEntity;
  event: WebhookEventEntity;
  subscription: WebhookSubscriptionEntity;
}

export interface AttemptOutcome {
  result: AttemptResult;
  responseStatus: number | null;
  error: string | null;
  startedAt: Date;
  finishedAt: Date;
  /** For `failed`: when to try again. */
  nextAttemptAt?: Date;
}

/**
 * The outbox tables: events appended in the caller's transaction, fanned out to deliveries,
 * claimed under a lease, and settled with one log row per attempt.
 */
@Injectable()
export class WebhookOutboxRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  private get postgres(): boolean {
    return this.ds.options.type === 'postgres';
  }

  private async exec(manager: EntityManager, sql: string, params: ObjectLiteral): Promise<number> {
    const [query, values] = this.ds.driver.escapeQueryWithParameters(sql, params, {});
    const result = (await manager.queryRunner!.query(query, values, true)) as { affected?: number };
    return result.affected ?? 0;
  }

  /**
   * One fixed INSERT per event, on the caller's transaction (the hook hot path pays for exactly
   * this); finding the subscriptions is left to the worker.
   */
  async appendEvents(manager: EntityManager, events: ProductEvent[]): Promise<void> {
    for (const e of events) {
      const [query, values] = this.ds.driver.escapeQueryWithParameters(
        `INSERT INTO "webhook_events" ("id", "type", "ownerId", "data", "createdAt", "dispatchedAt") VALUES (:id, :type, :ownerId, :data, :createdAt, NULL)`,
        {
          id: randomUUID(),
          type: e.type,
          ownerId: e.ownerId,
          data: JSON.stringify(e.data),
          createdAt: new Date(),
        },
        {},
      );
      await manager.query(query, values);
    }
  }

  /**
   * Turns up to `limit` undispatched events into one delivery per matching subscription (the
   * owner's own, and every admin's), in one transaction; on PostgreSQL the events are locked
   * with SKIP LOCKED so two instances never fan out the same event. Returns how many events.
   */
  async dispatch(limit: number, now = new Date()): Promise<number> {
    return runInTransaction(this.ds, async (m) => {
      const qb = m
        .getRepository(WebhookEventEntity)
        .createQueryBuilder('e')
        .where('e.dispatchedAt IS NULL')
        .orderBy('e.createdAt', 'ASC')
        .limit(limit);
      if (this.postgres) qb.setLock('pessimistic_write').setOnLocked('skip_locked');
      const events = await qb.getMany();
      if (events.length === 0) return 0;
      const owners = [...new Set(events.map((e) => e.ownerId))];
      const subs = await m
        .getRepository(WebhookSubscriptionEntity)
        .createQueryBuilder('s')
        .innerJoin('users', 'u', 'u.id = s.ownerId')
        .where('s.ownerId IN (:...owners)', { owners })
        .orWhere("u.role = 'admin'")
        .getMany();
      const rows: Partial<WebhookDeliveryEntity>[] = [];
      for (const e of events) {
        for (const s of subs) {
          if (!s.events.split(',').includes(e.type)) continue;
          rows.push({
            id: randomUUID(),
            eventId: e.id,
            subscriptionId: s.id,
            status: 'pending',
            attempts: 0,
            nextAttemptAt: now,
            leaseUntil: null,
            leaseToken: null,
            createdAt: now,
          });
        }
      }
      for (let i = 0; i < rows.length; i += 100)
        await m.insert(WebhookDeliveryEntity, rows.slice(i, i + 100));
      await m.update(
        WebhookEventEntity,
        { id: In(events.map((e) => e.id)) },
        { dispatchedAt: now },
      );
      return events.length;
    });
  }

  /**
   * Claims up to `limit` due deliveries for `leaseMs` under a fresh token, counting the attempt
   * now (so no attempt number is ever used twice). One statement: on PostgreSQL the candidates
   * are locked with SKIP LOCKED, on SQLite (one process) the statement itself is atomic.
   */
  async claimDue(
    limit: number,
    leaseMs: number,
    maxAttempts: number,
    now = new Date(),
  ): Promise<ClaimedDelivery[]> {
    const token = randomUUID();
    const due = `"status" = 'pending' AND "nextAttemptAt" <= :now AND ("leaseUntil" IS NULL OR "leaseUntil" < :now) AND "attempts" < :maxAttempts`;
    const claimed = await runInTransaction(this.ds, (m) =>
      this.exec(
        m,
        `UPDATE "webhook_deliveries" SET "attempts" = "attempts" + 1, "leaseUntil" = :leaseUntil, "leaseToken" = :token
         WHERE ${due} AND "id" IN (SELECT "id" FROM "webhook_deliveries" WHERE ${due} ORDER BY "nextAttemptAt" LIMIT :limit${this.postgres ? ' FOR UPDATE SKIP LOCKED' : ''})`,
        { now, leaseUntil: new Date(now.getTime() + leaseMs), token, limit, maxAttempts },
      ),
    );
    if (claimed === 0) return [];
    const deliveries = await this.ds
      .getRepository(WebhookDeliveryEntity)
      .findBy({ leaseToken: token });
    const events = await this.ds
      .getRepository(WebhookEventEntity)
      .findBy({ id: In([...new Set(deliveries.map((d) => d.eventId))]) });
    const subs = await this.ds
      .getRepository(WebhookSubscriptionEntity)
      .findBy({ id: In([...new Set(deliveries.map((d) => d.subscriptionId))]) });
    const out: ClaimedDelivery[] = [];
    for (const delivery of deliveries) {
      const event = events.find((e) => e.id === delivery.eventId);
      const subscription = subs.find((s) => s.id === delivery.subscriptionId);
      if (event && subscription) out.push({ delivery, event, subscription });
    }
    return out;
  }

  /**
   * Settles a claimed attempt: the delivery's new state and its log row, together, and only if
   * this claim still holds the lease (otherwise another instance owns the row now).
   */
  async settle(claim: ClaimedDelivery, outcome: AttemptOutcome): Promise<boolean> {
    const { delivery, event } = claim;
    return runInTransaction(this.ds, async (m) => {
      const status = outcome.result === 'failed' ? 'pending' : outcome.result;
      const affected = await this.exec(
        m,
        `UPDATE "webhook_deliveries" SET "status" = :status, "nextAttemptAt" = :next, "leaseUntil" = NULL, "leaseToken" = NULL
         WHERE "id" = :id AND "leaseToken" = :token`,
        {
          status,
          next: outcome.nextAttemptAt ?? outcome.finishedAt,
          id: delivery.id,
          token: delivery.leaseToken,
        },
      );
      if (affected !== 1) return false;
      await m.insert(WebhookAttemptEntity, {
        id: randomUUID(),
        deliveryId: delivery.id,
        subscriptionId: delivery.subscriptionId,
        eventId: event.id,
        event: event.type,
        attempt: delivery.attempts,
        status: outcome.result,
        responseStatus: outcome.responseStatus,
        error: outcome.error === null ? null : outcome.error.slice(0, 500),
        createdAt: outcome.startedAt,
        deliveredAt: outcome.result === 'delivered' ? outcome.finishedAt : null,
      });
      return true;
    });
  }

  /**
   * Deliveries whose last allowed attempt was claimed by an instance that died before settling
   * it: nothing may be sent any more, so they are given up. Returns how many.
   */
  async giveUpAbandoned(maxAttempts: number, now = new Date()): Promise<number> {
    return runInTransaction(this.ds, (m) =>
      this.exec(
        m,
        `UPDATE "webhook_deliveries" SET "status" = 'gave_up', "leaseUntil" = NULL, "leaseToken" = NULL
         WHERE "status" = 'pending' AND "attempts" >= :maxAttempts AND ("leaseUntil" IS NULL OR "leaseUntil" < :now)`,
        { maxAttempts, now },
      ),
    );
  }

  /**
   * Forgets what is finished and older than `cutoff`: the attempt log, delivered or given-up
   * deliveries, and dispatched events no delivery refers to any more. Pending work is never
   * touched. Safe to run on every instance at once (plain conditional DELETEs).
   */
  async prune(cutoff: Date): Promise<void> {
    await runInTransaction(this.ds, async (m) => {
      await this.exec(m, `DELETE FROM "webhook_delivery_attempts" WHERE "createdAt" < :cutoff`, {
        cutoff,
      });
      await this.exec(
        m,
        `DELETE FROM "webhook_deliveries" WHERE "status" <> 'pending' AND "nextAttemptAt" < :cutoff`,
        { cutoff },
      );
      await this.exec(
        m,
        `DELETE FROM "webhook_events" WHERE "dispatchedAt" < :cutoff
           AND NOT EXISTS (SELECT 1 FROM "webhook_deliveries" "d" WHERE "d"."eventId" = "webhook_events"."id")`,
        { cutoff },
      );
    });
  }
}
