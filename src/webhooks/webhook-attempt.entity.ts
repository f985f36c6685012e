import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { ProductEventType } from '../common/ports';

export type AttemptResult = 'delivered' | 'failed' | 'gave_up';

/** The delivery log: one row per attempt made (what GET /webhooks/:id/deliveries shows). */
@Entity('webhook_delivery_attempts')
@Index('IDX_webhook_attempts_subscription', ['subscriptionId', 'createdAt', 'id'])
export class WebhookAttemptEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Index('IDX_webhook_attempts_delivery')
  @Column('uuid')
  deliveryId!: string;

  @Column('uuid')
  subscriptionId!: string;

  @Column('uuid')
  eventId!: string;

  @Column('varchar', { length: 32 })
  event!: ProductEventType;

  @Column('integer')
  attempt!: number;

  @Column('varchar', { length: 16 })
  status!: AttemptResult;

  @Column('integer', { nullable: true })
  responseStatus!: number | null;

  @Column('varchar', { length: 500, nullable: true })
  error!: string | null;

  /** When the attempt started. */
  @Column({ type: Date })
  createdAt!: Date;

  @Column({ type: Date, nullable: true })
  deliveredAt!: Date | null;
}
