import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { Cursor } from '../common/pagination';
import { applyKeyset } from '../database/keyset';
import { VideoEntity } from './video.entity';

export interface NewVideo {
  id: string;
  ownerId: string;
  title: string;
  size: number;
  contentType: string;
  storageName: string;
  sha256: string;
  durationSec: number | null;
}

@Injectable()
export class VideosRepository {
  constructor(@InjectRepository(VideoEntity) private readonly repo: Repository<VideoEntity>) {}

  async create(input: NewVideo): Promise<VideoEntity> {
    const now = new Date();
    return this.repo.save(this.repo.create({ ...input, createdAt: now, updatedAt: now }));
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

  /** True when a row was removed (false when it was already gone). */
  async deleteById(id: string): Promise<boolean> {
    const r = await this.repo.delete({ id });
    return (r.affected ?? 0) > 0;
  }
}
