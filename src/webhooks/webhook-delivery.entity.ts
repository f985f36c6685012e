import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export type DeliveryState = 'pending' | 'delivered' | 'gave_up';

/** One event owed to one subscription, until delivered or given up. */
@Entity('webhook_deliveries')
@Index('IDX_webhook_deliveries_due', ['status', 'nextAttemptAt'])
@Index('IDX_webhook_deliveries_event_sub', ['eventId', 'subscriptionId'], { unique: true })
export class WebhookDeliveryEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  eventId!: string;

  @Index('IDX_webhook_deliveries_subscription')
  @Column('uuid')
  subscriptionId!: string;

  @Column('varchar', { length: 16 })
  status!: DeliveryState;

  /** Attempts started so far (a claim counts one, so an attempt number is never reused). */
  @Column('integer', { default: 0 })
  attempts!: number;

  @Column({ type: Date })
  nextAttemptAt!: Date;

  /** Until when the instance that claimed this row owns it; expired = free to claim again. */
  @Column({ type: Date, nullable: true })
  leaseUntil!: Date | null;

  @Index('IDX_webhook_deliveries_lease')
  @Column('varchar', { length: 36, nullable: true })
  leaseToken!: string | null;

  @CreateDateColumn()
  createdAt!: Date;
}
