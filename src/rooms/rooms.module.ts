import { Global, Module } from '@nestjs/common';
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
 * Rooms REST (the chat history route lives in ChatModule). Global so that RoomLookup reaches
 * streams without either feature importing the other.
 */
@Global()
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
