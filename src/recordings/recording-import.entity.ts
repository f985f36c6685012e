import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * pending: waiting for a worker (new, released at shutdown, or a retry after a passing fault);
 * running: claimed by one worker until `leaseUntil` (renewed while it works);
 * done: the video exists; failed: given up, the original file is kept.
 */
export type RecordingImportStatus = 'pending' | 'running' | 'done' | 'failed';

/**
 * One recording reported by the media server, persisted before the hook is answered so that a
 * crash or a restart cannot lose it. The table is the queue: workers on any instance claim rows
 * with a conditional UPDATE, so each recording is imported once.
 */
@Entity('recording_imports')
@Index('IDX_recording_imports_due', ['status', 'runAfter'])
export class RecordingImportEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  streamId!: string;

  /** The media server dialect that reported it (nginx-rtmp, srs). */
  @Column('varchar', { length: 16 })
  server!: string;

  /** Real path (symlinks resolved) inside RECORDINGS_DIR, as checked when it was reported. */
  @Column('varchar', { length: 4096 })
  path!: string;

  @Column('varchar', { length: 16 })
  status!: RecordingImportStatus;

  @Column('integer', { default: 0 })
  attempts!: number;

  /** A pending job is not claimed before this time (retry back-off). */
  @Column({ type: Date })
  runAfter!: Date;

  /** Random per claim: only the current claimant may renew, release or finish the job. */
  @Column('varchar', { length: 64, nullable: true })
  claimToken!: string | null;

  /** A running job whose lease passed belongs to a worker that is gone; it may be re-claimed. */
  @Column({ type: Date, nullable: true })
  leaseUntil!: Date | null;

  /** Why it failed (for operators; the same text is logged). */
  @Column('varchar', { length: 500, nullable: true })
  error!: string | null;

  @Column('uuid', { nullable: true })
  videoId!: string | null;

  @CreateDateColumn()
  createdAt!: Date;

  @UpdateDateColumn()
  updatedAt!: Date;
}
