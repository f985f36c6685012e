import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RoomLookup } from '../common/ports';
import { RoomBanEntity } from './room-ban.entity';
import { RoomBansRepository } from './room-bans.repository';
import { RoomEntity } from './room.entity';
import { RoomLookupService } from './room-lookup.service';
import { RoomsController } from './rooms.controller';
import { RoomsRepository } from './rooms.repository';
import { RoomsService } from './rooms.service';

/**
 * Rooms REST (the chat history route lives in ChatModule). Not global: chat imports this module;
 * streams finds RoomLookup with `moduleRef.get(…, { strict: false })`, so neither feature
 * imports the other.
 */
@Module({
  imports: [TypeOrmModule.forFeature([RoomEntity, RoomBanEntity])],
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
