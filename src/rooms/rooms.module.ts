import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RoomLookup } from '../common/ports';
import { PresenceModule } from '../presence/presence.module';
import { StreamsModule } from '../streams/streams.module';
import { UsersModule } from '../users/users.module';
import { RoomBanEntity } from './room-ban.entity';
import { RoomBansRepository } from './room-bans.repository';
import { RoomEntity } from './room.entity';
import { RoomLookupService } from './room-lookup.service';
import { RoomsController } from './rooms.controller';
import { RoomsRepository } from './rooms.repository';
import { RoomsService } from './rooms.service';

/**
 * Rooms REST (the chat history route lives in ChatModule). Imports presence, users (bans, hosts)
 * and streams (LiveStreamLookup); chat imports this module. Streams finds RoomLookup with
 * `moduleRef.get(…, { strict: false })` instead of importing rooms back (no cycle).
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([RoomEntity, RoomBanEntity]),
    PresenceModule,
    UsersModule,
    StreamsModule,
  ],
  controllers: [RoomsController],
  providers: [
    RoomsRepository,
    RoomBansRepository,
    RoomsService,
    RoomLookupService,
    { provide: RoomLookup, useExisting: RoomLookupService },
  ],
  exports: [RoomsService, RoomLookup],
})
export class RoomsModule {}
