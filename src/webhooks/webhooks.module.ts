import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ProductEventOutbox } from '../common/ports';
import { WebhookAttemptEntity } from './webhook-attempt.entity';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookDeliveryWorker } from './webhook-delivery.worker';
import { WebhookEventEntity } from './webhook-event.entity';
import { WebhookOutboxRepository } from './webhook-outbox.repository';
import { WebhookOutboxService } from './webhook-outbox.service';
import { WebhookSubscriptionEntity } from './webhook-subscription.entity';
import { WebhookSubscriptionsRepository } from './webhook-subscriptions.repository';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

/**
 * Webhooks: subscriptions, the outbox and its delivery worker. Not global: features look up
 * ProductEventOutbox (optionally) with `moduleRef.get(…, { strict: false })`, which searches
 * every module, so none imports this one.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([
      WebhookSubscriptionEntity,
      WebhookEventEntity,
      WebhookDeliveryEntity,
      WebhookAttemptEntity,
    ]),
  ],
  controllers: [WebhooksController],
  providers: [
    WebhookSubscriptionsRepository,
    WebhookOutboxRepository,
    WebhooksService,
    WebhookDeliveryWorker,
    WebhookOutboxService,
    { provide: ProductEventOutbox, useExisting: WebhookOutboxService },
  ],
  exports: [ProductEventOutbox],
})
export class WebhooksModule {}
