import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Repository } from 'typeorm';
import type { Cursor } from '../common/pagination';
import { applyKeyset } from '../database/keyset';
import { RoomEntity, RoomStatus } from './room.entity';

@Injectable()
export class RoomsRepository {
  constructor(@InjectRepository(RoomEntity) private readonly repo: Repository<RoomEntity>) {}

  async create(input: { name: string; description: string; hostId: string }): Promise<RoomEntity> {
    const now = new Date();
    const room = this.repo.create({
      id: randomUUID(),
      ...input,
      status: 'open',
      closedAt: null,
      createdAt: now,
      updatedAt: now,
    });
    return this.repo.save(room);
  }

  findById(id: string): Promise<RoomEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** Newest first, keyset paged; fetches limit + 1 rows. */
  listByStatus(
    status: RoomStatus,
    cursor: Cursor | undefined,
    limit: number,
  ): Promise<RoomEntity[]> {
    const qb = this.repo.createQueryBuilder('r').where('r.status = :status', { status });
    return applyKeyset(qb, 'r', cursor, limit).getMany();
  }

  async updateDetails(id: string, patch: { name?: string; description?: string }): Promise<void> {
    await this.repo.update({ id }, { ...patch, updatedAt: new Date() });
  }

  /** open → closed; false when it was not open (already closed or unknown). */
  async close(id: string): Promise<boolean> {
    const now = new Date();
    const res = await this.repo.update(
      { id, status: 'open' },
      { status: 'closed', closedAt: now, updatedAt: now },
    );
    return (res.affected ?? 0) > 0;
  }
}
