import { Module } from '@nestjs/common';
import { storeByMode } from '../redis/redis.module';
import { MemoryPresenceStore } from './memory-presence.store';
import { PresenceService } from './presence.service';
import { PresenceStore } from './presence.store';
import { RedisPresenceStore } from './redis-presence.store';

/** Presence for rooms and chat (both import it); the store is picked by mode (memory / Redis). */
@Module({
  providers: [storeByMode(PresenceStore, MemoryPresenceStore, RedisPresenceStore), PresenceService],
  exports: [PresenceService],
})
export class PresenceModule {}
