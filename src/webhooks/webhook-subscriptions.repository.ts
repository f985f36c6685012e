import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { Cursor } from '../common/pagination';
import { applyKeyset } from '../database/keyset';
import { runInTransaction } from '../database/transaction';
import { WebhookAttemptEntity } from './webhook-attempt.entity';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookSubscriptionEntity } from './webhook-subscription.entity';

/** Subscriptions and their delivery log, as the REST API sees them. */
@Injectable()
export class WebhookSubscriptionsRepository {
  constructor(
    @InjectRepository(WebhookSubscriptionEntity)
    private readonly subs: Repository<WebhookSubscriptionEntity>,
    @InjectRepository(WebhookAttemptEntity)
    private readonly attempts: Repository<WebhookAttemptEntity>,
  ) {}

  async create(row: WebhookSubscriptionEntity): Promise<WebhookSubscriptionEntity> {
    await this.subs.insert(row);
    return row;
  }

  findById(id: string): Promise<WebhookSubscriptionEntity | null> {
    return this.subs.findOneBy({ id });
  }

  /** Newest first; `ownerId` undefined = everyone's (admins). Up to limit + 1 rows (see toPage). */
  listPage(
    ownerId: string | undefined,
    cursor: Cursor | undefined,
    limit: number,
  ): Promise<WebhookSubscriptionEntity[]> {
    const qb = this.subs.createQueryBuilder('w');
    if (ownerId !== undefined) qb.andWhere('w.ownerId = :ownerId', { ownerId });
    return applyKeyset(qb, 'w', cursor, limit).getMany();
  }

  countByOwner(ownerId: string): Promise<number> {
    return this.subs.countBy({ ownerId });
  }

  /** The subscription, its pending deliveries and its log go together: nothing is sent after this. */
  async delete(id: string): Promise<void> {
    await runInTransaction(this.subs.manager.connection, async (m) => {
      await m.delete(WebhookDeliveryEntity, { subscriptionId: id });
      await m.delete(WebhookAttemptEntity, { subscriptionId: id });
      await m.delete(WebhookSubscriptionEntity, { id });
    });
  }

  /** The delivery log of one subscription, newest first; up to limit + 1 rows. */
  listAttempts(
    subscriptionId: string,
    cursor: Cursor | undefined,
    limit: number,
  ): Promise<WebhookAttemptEntity[]> {
    const qb = this.attempts
      .createQueryBuilder('a')
      .andWhere('a.subscriptionId = :subscriptionId', { subscriptionId });
    return applyKeyset(qb, 'a', cursor, limit).getMany();
  }
}
