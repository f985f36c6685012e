import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import type { Cursor } from '../common/pagination';
import { applyKeyset } from '../database/keyset';
import { VideoEntity, VideoSource } from './video.entity';
import { runInTransaction } from '../database/transaction';

export interface NewVideo {
  id: string;
  ownerId: string;
  title: string;
  size: number;
  contentType: string;
  storageName: string;
  sha256: string;
  durationSec: number | null;
  /** Defaults to an upload of no stream. */
  source?: VideoSource;
  streamId?: string | null;
}

@Injectable()
export class VideosRepository {
  constructor(@InjectRepository(VideoEntity) private readonly repo: Repository<VideoEntity>) {}

  async create(input: NewVideo): Promise<VideoEntity> {
    const now = new Date();
    return this.repo.save(
      this.repo.create({
        source: 'upload',
        streamId: null,
        ...input,
        createdAt: now,
        updatedAt: now,
      }),
    );
  }

  /** Runs `fn` in one database transaction; other features append their rows through `manager`. */
  transaction<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    // Queued on SQLite: its single connection would nest overlapping transactions.
    return runInTransaction(this.repo.manager.connection, fn);
  }

  /** Inserts a video inside the caller's transaction. */
  async createIn(manager: EntityManager, input: NewVideo): Promise<VideoEntity> {
    const now = new Date();
    const row = manager.create(VideoEntity, {
      source: 'upload',
      streamId: null,
      ...input,
      createdAt: now,
      updatedAt: now,
    });
    await manager.insert(VideoEntity, row);
    return row;
  }

  findById(id: string): Promise<VideoEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** Newest first, keyset-paged; `limit + 1` rows so the caller knows whether more exist. */
  listNewestFirst(opts: {
    ownerId?: string;
    cursor?: Cursor;
    limit: number;
  }): Promise<VideoEntity[]> {
    const qb = this.repo.createQueryBuilder('v');
    if (opts.ownerId !== undefined) qb.where('v.ownerId = :ownerId', { ownerId: opts.ownerId });
    return applyKeyset(qb, 'v', opts.cursor, opts.limit).getMany();
  }

  /** A stream's recordings, newest first, keyset-paged (`limit + 1` rows). */
  listRecordingsOfStream(opts: {
    streamId: string;
    cursor?: Cursor;
    limit: number;
  }): Promise<VideoEntity[]> {
    const qb = this.repo
      .createQueryBuilder('v')
      .where('v.streamId = :streamId', { streamId: opts.streamId })
      .andWhere('v.source = :source', { source: 'recording' });
    return applyKeyset(qb, 'v', opts.cursor, opts.limit).getMany();
  }

  /** True when a row was removed (false when it was already gone). */
  async deleteById(id: string): Promise<boolean> {
    const r = await this.repo.delete({ id });
    return (r.affected ?? 0) > 0;
  }
}
