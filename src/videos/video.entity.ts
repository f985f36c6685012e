import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { bigintToNumber } from '../database/columns';

export type VideoSource = 'upload' | 'recording';

@Entity('videos')
@Index('IDX_videos_created', ['createdAt', 'id'])
// GET /streams/:id/recordings: a stream's videos, newest first.
@Index('IDX_videos_stream_created', ['streamId', 'createdAt', 'id'])
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

  @Column('varchar', { length: 16, default: 'upload' })
  source!: VideoSource;

  /** The stream a recording was made of; null for uploads. */
  @Column('uuid', { nullable: true })
  streamId!: string | null;

  @CreateDateColumn()
  createdAt!: Date;

  @UpdateDateColumn()
  updatedAt!: Date;
}
