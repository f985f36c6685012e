import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A user's subscription: where to POST which product events, and the key that signs them. */
@Entity('webhook_subscriptions')
@Index('IDX_webhook_subscriptions_created', ['createdAt', 'id'])
export class WebhookSubscriptionEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Index('IDX_webhook_subscriptions_owner')
  @Column('uuid')
  ownerId!: string;

  @Column('varchar', { length: 2048 })
  url!: string;

  /** Comma-separated event types (a fixed, small set). */
  @Column('varchar', { length: 200 })
  events!: string;

  /**
   * The signing key, kept as is: an HMAC key must be recoverable to sign with, and encrypting it
   * with a key held by the same process would not keep it from anyone who can read both.
   */
  @Column('varchar', { length: 100 })
  secret!: string;

  @CreateDateColumn()
  createdAt!: Date;
}
