import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type RoomStatus = 'open' | 'closed';

@Entity('rooms')
@Index('IDX_rooms_status_created', ['status', 'createdAt', 'id'])
export class RoomEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('varchar', { length: 80 })
  name!: string;

  @Column('varchar', { length: 500, default: '' })
  description!: string;

  @Index('IDX_rooms_host')
  @Column('uuid')
  hostId!: string;

  @Column('varchar', { length: 8 })
  status!: RoomStatus;

  @Column({ type: Date, nullable: true })
  closedAt!: Date | null;

  @CreateDateColumn()
  createdAt!: Date;

  @UpdateDateColumn()
  updatedAt!: Date;
}
