import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { In, LessThanOrEqual, Repository } from 'typeorm';
import { isUniqueViolation } from '../users/users.repository';
import { RoomBanEntity } from './room-ban.entity';

@Injectable()
export class RoomBansRepository {
  constructor(@InjectRepository(RoomBanEntity) private readonly repo: Repository<RoomBanEntity>) {}

  /** Bans (or re-bans with a new expiry); one row per (room, user). */
  async upsert(input: {
    roomId: string;
    userId: string;
    until: Date | null;
    createdById: string;
  }): Promise<RoomBanEntity> {
    const now = new Date();
    const existing = await this.repo.findOneBy({ roomId: input.roomId, userId: input.userId });
    if (existing) {
      await this.repo.update(
        { id: existing.id },
        { until: input.until, createdById: input.createdById, createdAt: now },
      );
      return { ...existing, until: input.until, createdById: input.createdById, createdAt: now };
    }
    const row = this.repo.create({ id: randomUUID(), ...input, createdAt: now });
    try {
      return await this.repo.save(row);
    } catch (err) {
      // Two moderators banning at once: the other insert won, apply ours on top of it.
      if (!isUniqueViolation(err)) throw err;
      await this.repo.update(
        { roomId: input.roomId, userId: input.userId },
        { until: input.until, createdById: input.createdById, createdAt: now },
      );
      return { ...row };
    }
  }

  async lift(roomId: string, userId: string): Promise<boolean> {
    const res = await this.repo.delete({ roomId, userId });
    return (res.affected ?? 0) > 0;
  }

  /** The ban in force for a user in a room, if any (one lookup on the unique (roomId, userId) index). */
  async findActive(roomId: string, userId: string, now: Date): Promise<RoomBanEntity | null> {
    const ban = await this.repo.findOneBy({ roomId, userId });
    if (!ban) return null;
    return ban.until === null || ban.until.getTime() > now.getTime() ? ban : null;
  }

  /** Removes at most `batch` expired bans; returns how many went. */
  async deleteExpired(now: Date, batch: number): Promise<number> {
    const rows = await this.repo.find({
      select: { id: true },
      where: { until: LessThanOrEqual(now) },
      take: batch,
    });
    if (rows.length === 0) return 0;
    await this.repo.delete({ id: In(rows.map((r) => r.id)) });
    return rows.length;
  }
}
