import { DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { bindStore } from '../redis/redis.module';
import { MemoryPresenceStore } from './memory-presence.store';
import { PresenceService } from './presence.service';
import { PresenceStore } from './presence.store';
import { RedisPresenceStore } from './redis-presence.store';

/** Presence for rooms and chat; the store is picked once by mode (memory / Redis). */
@Module({})
export class PresenceModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: PresenceModule,
      global: true,
      providers: [
        bindStore(config, PresenceStore, MemoryPresenceStore, RedisPresenceStore),
        PresenceService,
      ],
      exports: [PresenceService],
    };
  }
}
