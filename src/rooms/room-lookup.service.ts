import { Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { RoomLookup } from '../common/ports';
import { RoomsRepository } from './rooms.repository';

/**
 * RoomLookup for other features (streams validate a roomId with it). Deliberately separate from
 * RoomsService and built on the repository alone: RoomsService uses streams' LiveStreamLookup, so
 * implementing both ports with the two services would make a provider cycle.
 */
@Injectable()
export class RoomLookupService extends RoomLookup {
  constructor(private readonly rooms: RoomsRepository) {
    super();
  }

  async status(roomId: string): Promise<'open' | 'closed' | undefined> {
    if (!isUUID(roomId)) return undefined;
    return (await this.rooms.findById(roomId))?.status;
  }
}
