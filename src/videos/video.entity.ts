import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { bigintToNumber } from '../database/columns';

@Entity('videos')
@Index('IDX_videos_created', ['createdAt', 'id'])
export class VideoEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Index('IDX_videos_owner')
  @Column('uuid')
  ownerId!: string;

  @Column('varchar', { length: 200 })
  title!: string;

  @Column('bigint', { transformer: bigintToNumber })
  size!: number;

  @Column('varchar', { length: 100 })
  contentType!: string;

  /** Server-chosen file name under DATA_DIR/videos (never client input). */
  @Column('varchar', { length: 64 })
  storageName!: string;

  @Column('varchar', { length: 64 })
  sha256!: string;

  @Column('float', { nullable: true })
  durationSec!: number | null;

  @CreateDateColumn()
  createdAt!: Date;

  @UpdateDateColumn()
  updatedAt!: Date;
}
