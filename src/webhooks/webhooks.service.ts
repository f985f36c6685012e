import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { AuthUser } from '../auth/auth.types';
import { canManage } from '../auth/auth.types';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ValidationFailedError,
} from '../common/errors';
import { decodeCursor, Page, PageQueryDto, toPage } from '../common/pagination';
import type { ProductEventType } from '../common/ports';
import type { AppConfig } from '../config/app-config';
import { InjectConfig } from '../config/config.module';
import { UnsafeWebhookUrlError, vetWebhookUrl } from './webhook-address.policy';
import type { WebhookAttemptEntity } from './webhook-attempt.entity';
import { generateWebhookSecret } from './webhook-signature';
import type { WebhookSubscriptionEntity } from './webhook-subscription.entity';
import { WebhookSubscriptionsRepository } from './webhook-subscriptions.repository';
import type {
  CreateWebhookDto,
  WebhookDeliveryDto,
  WebhookDto,
  WebhookWithSecretDto,
} from './webhooks.dto';

/** A quota against accidents and abuse (each subscription costs a request per event). */
export const MAX_WEBHOOKS_PER_USER = 25;

@Injectable()
export class WebhooksService {
  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly repo: WebhookSubscriptionsRepository,
  ) {}

  async create(user: AuthUser, dto: CreateWebhookDto): Promise<WebhookWithSecretDto> {
    try {
      await vetWebhookUrl(dto.url, { allowPrivate: this.config.webhooks.allowPrivate });
    } catch (err) {
      if (err instanceof UnsafeWebhookUrlError) throw new ValidationFailedError(err.message);
      throw err;
    }
    if ((await this.repo.countByOwner(user.id)) >= MAX_WEBHOOKS_PER_USER)
      throw new ConflictError(
        `you already have ${MAX_WEBHOOKS_PER_USER} webhooks; delete one first`,
      );
    const secret = generateWebhookSecret();
    const row = await this.repo.create({
      id: randomUUID(),
      ownerId: user.id,
      url: dto.url,
      events: dto.events.join(','),
      secret,
      createdAt: new Date(),
    });
    return { ...this.view(row), secret };
  }

  async list(user: AuthUser, query: PageQueryDto): Promise<Page<WebhookDto>> {
    const limit = query.limit ?? 20;
    const rows = await this.repo.listPage(
      user.role === 'admin' ? undefined : user.id,
      decodeCursor(query.cursor),
      limit,
    );
    return toPage(rows, limit, (r) => this.view(r));
  }

  async remove(user: AuthUser, id: string): Promise<void> {
    await this.manageable(user, id);
    await this.repo.delete(id);
  }

  async deliveries(
    user: AuthUser,
    id: string,
    query: PageQueryDto,
  ): Promise<Page<WebhookDeliveryDto>> {
    await this.manageable(user, id);
    const limit = query.limit ?? 20;
    const rows = await this.repo.listAttempts(id, decodeCursor(query.cursor), limit);
    return toPage(rows, limit, (r) => this.attemptView(r));
  }

  private async manageable(user: AuthUser, id: string): Promise<WebhookSubscriptionEntity> {
    const row = await this.repo.findById(id);
    if (!row) throw new NotFoundError('webhook');
    if (!canManage(user, row.ownerId))
      throw new ForbiddenError('only the owner of this webhook (or an admin) may do this');
    return row;
  }

  private view(r: WebhookSubscriptionEntity): WebhookDto {
    return {
      id: r.id,
      url: r.url,
      events: r.events.split(',') as ProductEventType[],
      ownerId: r.ownerId,
      createdAt: r.createdAt.toISOString(),
    };
  }

  private attemptView(a: WebhookAttemptEntity): WebhookDeliveryDto {
    return {
      id: a.id,
      eventId: a.eventId,
      event: a.event,
      attempt: a.attempt,
      status: a.status,
      responseStatus: a.responseStatus,
      error: a.error,
      createdAt: a.createdAt.toISOString(),
      deliveredAt: a.deliveredAt ? a.deliveredAt.toISOString() : null,
    };
  }
}
