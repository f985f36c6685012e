import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ProductEvent, ProductEventOutbox } from '../common/ports';
import { WebhookDeliveryWorker } from './webhook-delivery.worker';
import { WebhookOutboxRepository } from './webhook-outbox.repository';

/** The ProductEventOutbox port: events join the caller's transaction, then the worker is nudged. */
@Injectable()
export class WebhookOutboxService implements ProductEventOutbox {
  constructor(
    private readonly repo: WebhookOutboxRepository,
    private readonly worker: WebhookDeliveryWorker,
  ) {}

  async append(manager: EntityManager, events: ProductEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.repo.appendEvents(manager, events);
    this.worker.kickSoon();
  }
}
