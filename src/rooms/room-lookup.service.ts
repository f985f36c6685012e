import { Injectable } from '@nestjs/common';
import { RoomLookup } from '../common/ports';
import { parseUuid } from '../common/uuid.pipe';
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
    const id = parseUuid(roomId);
    if (id === null) return undefined;
    return (await this.rooms.findById(id))?.status;
  }
}
