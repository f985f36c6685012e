import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity('room_bans')
@Index('UQ_room_bans_room_user', ['roomId', 'userId'], { unique: true })
export class RoomBanEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  roomId!: string;

  @Column('uuid')
  userId!: string;

  /** null = until lifted. */
  @Column({ type: Date, nullable: true })
  until!: Date | null;

  @Column('uuid')
  createdById!: string;

  @CreateDateColumn()
  createdAt!: Date;
}
