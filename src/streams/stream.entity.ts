import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type StreamStatus = 'idle' | 'live' | 'ended';
/** Who may start a playback session: anyone, or signed-in users (owner and admins always). */
export type StreamAccess = 'public' | 'members';

@Entity('streams')
@Index('IDX_streams_owner_status', ['ownerId', 'status'])
@Index('IDX_streams_created', ['createdAt', 'id'])
export class StreamEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('varchar', { length: 120 })
  title!: string;

  @Column('uuid')
  ownerId!: string;

  @Index('IDX_streams_room')
  @Column('uuid', { nullable: true })
  roomId!: string | null;

  @Index('IDX_streams_status')
  @Column('varchar', { length: 8 })
  status!: StreamStatus;

  /** SHA-256 (hex) of the stream key; the key itself is never stored. */
  @Column('varchar', { length: 64 })
  keyHash!: string;

  /** Media-server client id of the current publisher, so a stale publish_done cannot end a newer session. */
  @Column('varchar', { length: 128, nullable: true })
  publisherClientId!: string | null;

  @Column('varchar', { length: 16, nullable: true })
  publisherServer!: string | null;

  @Column('varchar', { length: 8, default: 'public' })
  access!: StreamAccess;

  @Column({ type: Date, nullable: true })
  startedAt!: Date | null;

  @Column({ type: Date, nullable: true })
  endedAt!: Date | null;

  @CreateDateColumn()
  createdAt!: Date;

  @UpdateDateColumn()
  updatedAt!: Date;
}
