import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { In, IsNull, LessThan, Repository } from 'typeorm';
import type { Cursor } from '../common/pagination';
import { applyKeyset } from '../database/keyset';
import { isUniqueViolation } from '../users/users.repository';
import { ChatMessageEntity } from './chat-message.entity';

export interface NewChatMessage {
  roomId: string;
  userId: string;
  displayName: string;
  text: string;
  clientMsgId: string | null;
}

@Injectable()
export class ChatMessagesRepository {
  private lastCreatedMs = 0;

  constructor(
    @InjectRepository(ChatMessageEntity) private readonly repo: Repository<ChatMessageEntity>,
  ) {}

  /**
   * History is ordered by (createdAt, id) and ids are random, so two messages stamped in the same
   * millisecond would come back in arbitrary order. Stamps from this process are strictly
   * increasing instead (at most drifting ahead of the clock by 1 ms per message in a burst), so
   * history shows messages in the order this instance accepted them.
   */
  private nextCreatedAt(): Date {
    this.lastCreatedMs = Math.max(Date.now(), this.lastCreatedMs + 1);
    return new Date(this.lastCreatedMs);
  }

  /** Persists a message; null when the user already sent one with this clientMsgId (unique index). */
  async insert(input: NewChatMessage): Promise<ChatMessageEntity | null> {
    const row = this.repo.create({
      id: randomUUID(),
      ...input,
      hiddenAt: null,
      createdAt: this.nextCreatedAt(),
    });
    try {
      await this.repo.insert(row);
      return row;
    } catch (err) {
      if (input.clientMsgId !== null && isUniqueViolation(err)) return null;
      throw err;
    }
  }

  findById(id: string): Promise<ChatMessageEntity | null> {
    return this.repo.findOneBy({ id });
  }

  findByClientMsgId(userId: string, clientMsgId: string): Promise<ChatMessageEntity | null> {
    return this.repo.findOneBy({ userId, clientMsgId });
  }

  /** Hides a message from history and clients; false when it was already hidden. */
  async hide(id: string): Promise<boolean> {
    const res = await this.repo.update({ id, hiddenAt: IsNull() }, { hiddenAt: new Date() });
    return (res.affected ?? 0) > 0;
  }

  /** Visible messages of a room, newest first (index on roomId, createdAt, id); limit + 1 rows. */
  pageVisibleByRoom(
    roomId: string,
    cursor: Cursor | undefined,
    limit: number,
  ): Promise<ChatMessageEntity[]> {
    const qb = this.repo
      .createQueryBuilder('m')
      .where('m.roomId = :roomId', { roomId })
      .andWhere('m.hiddenAt IS NULL');
    return applyKeyset(qb, 'm', cursor, limit).getMany();
  }

  /** Deletes at most `batch` messages created before `cutoff`; returns how many went. */
  async deleteOlderThan(cutoff: Date, batch: number): Promise<number> {
    const rows = await this.repo.find({
      select: { id: true },
      where: { createdAt: LessThan(cutoff) },
      order: { createdAt: 'ASC' },
      take: batch,
    });
    if (rows.length === 0) return 0;
    await this.repo.delete({ id: In(rows.map((r) => r.id)) });
    return rows.length;
  }
}
