import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { ProductEventType } from '../common/ports';

/**
 * The outbox: one row per product event, written in the same transaction as the state change it
 * reports. The worker fans it out to subscriptions (dispatchedAt set in the same transaction).
 */
@Entity('webhook_events')
@Index('IDX_webhook_events_pending', ['dispatchedAt', 'createdAt'])
export class WebhookEventEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('varchar', { length: 32 })
  type!: ProductEventType;

  @Column('uuid')
  ownerId!: string;

  /** JSON of the event's `data`. */
  @Column('text')
  data!: string;

  @CreateDateColumn()
  createdAt!: Date;

  @Column({ type: Date, nullable: true })
  dispatchedAt!: Date | null;
}
